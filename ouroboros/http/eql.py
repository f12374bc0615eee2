"""``POST /eql``: an EQL query in (EDN or JSON), its result out (JSON wire form or EDN).

- ``Content-Type: application/edn``: the body is the query vector as EDN text.
- ``Content-Type: application/json``: ``{"query": "<EDN text>" | <JSON query data>,
  "entity": {...}?, "lenient": bool?}``.
- ``Accept: application/edn`` answers EDN text; anything else answers JSON.
- Strict by default (an error answers the one error shape with its status); ``lenient`` (JSON
  field, or ``?lenient=true``) answers partial data plus ``"ouroboros/errors"``.
- Mutations need the ``write`` scope and a server started with ``--allow-mutations``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ouroboros.eql import Call, Root, entity_from_json, query_from_json, result_to_json, to_edn
from ouroboros.errors import InvalidInputError, PermissionDeniedError
from ouroboros.http.auth import caller_of, require_scope
from ouroboros.http.errors import UnsupportedMediaTypeError
from ouroboros.http.jsonbody import JSONWireResponse, loads_body

__all__ = ["EDN", "eql_endpoint", "has_mutations"]

EDN = "application/edn"
JSON_TYPE = "application/json"


def has_mutations(root: Root) -> bool:
    """Return whether the query calls a mutation (mutations sit at the top level)."""
    return any(isinstance(child, Call) for child in root.children)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "1", "yes", "false", "0", "no", ""}:
        return value.lower() in {"true", "1", "yes"}
    raise InvalidInputError(f"{name} must be a boolean, not {value!r}")


async def read_eql_request(request: Request) -> tuple[Root, dict[Any, Any], bool]:
    """Return ``(query AST, starting entity, lenient)`` from the request body.

    Raises UnsupportedMediaTypeError (415), InvalidInputError / EQLSyntaxError (400).
    """
    media = _media_type(request)
    if media not in (EDN, JSON_TYPE):
        raise UnsupportedMediaTypeError(
            f"POST /eql reads {EDN} (the query as EDN text) or {JSON_TYPE}, not "
            f"{media or 'a body without Content-Type'}",
            details={"accepted": [EDN, JSON_TYPE]},
        )
    body = await request.body()
    lenient = _flag(request.query_params.get("lenient", ""), "lenient")
    if media == EDN:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"the body is not UTF-8: {exc}") from None
        return query_from_json(text), {}, lenient
    data = loads_body(body, what="the JSON body")
    if not isinstance(data, dict) or "query" not in data:
        raise InvalidInputError('the JSON body is an object with a "query" field')
    unknown = set(data) - {"query", "entity", "lenient"}
    if unknown:
        raise InvalidInputError(
            f"unknown fields in the JSON body: {', '.join(sorted(unknown))}",
            details={"allowed": ["query", "entity", "lenient"]},
        )
    if "lenient" in data:
        lenient = _flag(data["lenient"], "lenient")
    entity = data.get("entity")
    return query_from_json(data["query"]), entity_from_json(entity) if entity else {}, lenient


def wants_edn(request: Request) -> bool:
    """Return whether the client asked for EDN (``Accept: application/edn`` ranked first)."""
    accept = request.headers.get("accept", "")
    for part in accept.split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media == EDN:
            return True
        if media in (JSON_TYPE, "application/*", "*/*"):
            return False
    return False


async def eql_endpoint(request: Request) -> Response:
    """Run one EQL query through the engine (``engine.process_async``) and answer its result."""
    service = request.app.state.service
    caller = caller_of(request.scope)
    require_scope(caller, "read", "POST /eql")
    root, entity, lenient = await read_eql_request(request)
    if has_mutations(root):
        require_scope(caller, "write", "an EQL mutation")
        if not service.settings.allow_mutations:
            raise PermissionDeniedError(
                "EQL mutations are disabled on this server (start it with --allow-mutations)"
            )
    result = await service.engine.process_async(
        root,
        entity or None,
        context={"caller": caller, "settings": service.settings, "transport": "http"},
        lenient=lenient,
    )
    if wants_edn(request):
        return Response(to_edn(result), media_type=EDN)
    return JSONWireResponse(result_to_json(result))
