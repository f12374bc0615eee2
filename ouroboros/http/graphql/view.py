"""The ``/graphql`` endpoint: Strawberry's ASGI view with our caller, scopes and error shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from ouroboros.errors import InvalidInputError, NotFoundError, OuroborosError, error_payload
from ouroboros.http.auth import caller_of, require_scope
from ouroboros.http.errors import error_response
from ouroboros.http.graphql.ide import wants_page
from ouroboros.http.jsonbody import loads_body

__all__ = ["GRAPHQL_RESPONSE", "GraphQLView", "error_extensions"]

GRAPHQL_RESPONSE = "application/graphql-response+json"
MAX_VARIABLES_DEPTH = 128  # a GraphQL body (and its variables) nests at most this deep


def _graphql_response_send(send: Send) -> Send:
    """Answer in ``application/graphql-response+json`` (GraphQL over HTTP): a request error
    (the document does not parse or validate, variables do not coerce) is a 400 without
    ``data``; an executed operation stays 200."""
    start: dict[str, Any] | None = None

    async def wrapped(message: Any) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = dict(message)
            return
        if start is not None:
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            body = message.get("body", b"")
            is_json = any(k.lower() == b"content-type" and b"json" in v for k, v in headers)
            if is_json and start.get("status") == 200 and not message.get("more_body"):
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = None
                if (
                    isinstance(payload, dict)
                    and payload.get("data") is None
                    and payload.get("errors")
                ):
                    payload.pop("data", None)
                    start["status"] = 400
                    body = json.dumps(payload).encode()
                headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
                headers.append((b"content-type", GRAPHQL_RESPONSE.encode()))
                message = {**message, "body": body}
            if not message.get("more_body"):
                headers.append((b"content-length", str(len(message.get("body", b""))).encode()))
            start["headers"] = headers
            await send(start)
            start = None
        await send(message)

    return wrapped


def error_extensions(exc: BaseException | None) -> dict[str, Any] | None:
    """Return the one error shape's fields for a GraphQL error's ``extensions`` (no message)."""
    if exc is None:
        return None
    body = error_payload(exc)["error"]
    return {k: v for k, v in body.items() if k != "message"}


class GraphQLView(GraphQL[dict[str, Any], None]):
    """GraphQL over HTTP (POST and GET) on a generated schema.

    A request needs the ``read`` scope; a tool mutation needs what the tool needs (the tool
    registry checks the caller). An error raised by Ouroboros carries ``type``, ``path`` and
    ``details`` in its ``extensions``; an unexpected one is masked as ``InternalError``.
    """

    def __init__(self, schema: Any, *, service: Any) -> None:
        # Strawberry's own IDE page loads GraphiQL from a CDN; ours is served before this view
        # (``ide.py``), so a page request that reaches here means the page is off.
        super().__init__(
            schema,
            graphql_ide=None,
            allow_queries_via_get=True,
            subscription_protocols=(),
        )
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                require_scope(caller_of(scope), "read", "/graphql")
            except OuroborosError as exc:
                await error_response(exc)(scope, receive, send)
                return
            if wants_page(scope):
                off = NotFoundError(
                    "the GraphiQL page is off on this server (`ouroboros serve --graphiql` turns "
                    "it on); send GraphQL as POST /graphql or GET /graphql?query=..."
                )
                await error_response(off)(scope, receive, send)
                return
            if scope.get("method") == "GET" and "query" not in parse_qs(
                scope.get("query_string", b"").decode("latin-1")
            ):
                missing = InvalidInputError(
                    "GET /graphql needs a query: ?query={...} (GraphQL over HTTP), or POST a JSON "
                    'body {"query": ...}; a browser (Accept: text/html) gets the GraphiQL page'
                )
                await error_response(missing)(scope, receive, send)
                return
            accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
            if GRAPHQL_RESPONSE in accept:
                send = _graphql_response_send(send)
            try:
                await super().__call__(scope, receive, send)
            except InvalidInputError as exc:  # raised by decode_json, before any response
                await error_response(exc)(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        """Return the JSON body; raises InvalidInputError (not UTF-8, malformed, too deep)."""
        body = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
        return loads_body(body, max_depth=MAX_VARIABLES_DEPTH, what="the GraphQL request")

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        scope = request.scope if isinstance(request, Request) else {}
        return {
            "request": request,
            "response": response,
            "caller": caller_of(scope),
            "service": self.service,
        }

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            formatted: list[object] = []
            for err in result.errors:
                item = err.formatted
                original = err.original_error
                if original is not None:
                    body = error_payload(original)["error"]
                    item["message"] = body["message"]
                    extra = error_extensions(original) or {}
                    item["extensions"] = {**(item.get("extensions") or {}), **extra}
                formatted.append(item)
            response["errors"] = formatted
        if result.extensions:
            response["extensions"] = result.extensions
        return response
