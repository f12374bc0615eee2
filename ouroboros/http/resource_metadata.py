"""OAuth 2.0 protected-resource metadata (RFC 9728) for the MCP endpoint, and its challenge.

When API tokens are on, ``/.well-known/oauth-protected-resource`` and
``/.well-known/oauth-protected-resource/mcp`` describe ``<base>/mcp``: the resource, how a
bearer token is sent (the header only), the scopes, and — when ``OUROBOROS_OAUTH_ISSUER`` names
one — the authorization server that issues tokens for it. Every 401 carries
``WWW-Authenticate: Bearer realm="ouroboros", resource_metadata="<base>/.well-known/..."``,
as the MCP authorization spec asks. Our own tokens stay the authorization: a client with a
configured bearer token sends it and never starts an OAuth flow.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from ouroboros.errors import NotFoundError
from ouroboros.tools.policy import SCOPES

__all__ = [
    "METADATA_PATHS",
    "base_url",
    "challenge",
    "metadata_document",
    "resource_metadata_endpoint",
]

METADATA_PATH = "/.well-known/oauth-protected-resource"
METADATA_PATHS = frozenset({METADATA_PATH, METADATA_PATH + "/mcp"})


def base_url(scope: Scope) -> str:
    """Return ``scheme://host`` of the request (its ``Host`` header, else the server address)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def challenge(scope: Scope) -> str:
    """Return the ``WWW-Authenticate`` value for a 401 on this request."""
    return f'Bearer realm="ouroboros", resource_metadata="{base_url(scope)}{METADATA_PATH}/mcp"'


def metadata_document(base: str, issuer: str | None) -> dict[str, Any]:
    """Return the RFC 9728 document for the MCP endpoint under ``base``."""
    doc: dict[str, Any] = {
        "resource": f"{base}/mcp",
        "bearer_methods_supported": ["header"],
        "scopes_supported": list(SCOPES),
        "resource_name": "Ouroboros MCP server",
    }
    if issuer:
        doc["authorization_servers"] = [issuer.rstrip("/")]
    return doc


async def resource_metadata_endpoint(request: Request) -> Response:
    """GET the protected-resource metadata; 404 while no API token exists (local mode)."""
    from ouroboros.http.errors import error_response

    authenticator = getattr(request.app.state, "authenticator", None)
    if authenticator is None or not await authenticator.has_tokens():
        return error_response(
            NotFoundError("no protected-resource metadata: this server runs without API tokens")
        )
    service = getattr(request.app.state, "service", None)
    issuer = getattr(getattr(service, "settings", None), "oauth_issuer", None)
    return JSONResponse(metadata_document(base_url(request.scope), issuer))
