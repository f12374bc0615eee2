"""The GraphiQL page at ``GET /graphql`` and its assets at ``/graphql/assets/*``, from the package.

The page and its JavaScript and CSS ship in ``ouroboros/http/static/graphiql`` (GraphiQL 4.1.2's
UMD build and React 18.3.1, see ``VENDORED.md`` there), so a browser opening ``/graphql`` makes
no request that leaves the machine; the page's Content-Security-Policy says so to the browser
too (``connect-src 'self'``, no other origin for scripts, styles, fonts or images).

Neither the page nor its assets hold data, so they are served without a token, like the
dashboard page; every query the page sends is an ordinary ``POST /graphql`` and needs what any
GraphQL request needs (with tokens on: ``{"Authorization": "Bearer <token>"}`` in GraphiQL's
Headers pane).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Scope

from ouroboros.errors import NotFoundError

__all__ = [
    "ASSETS",
    "ASSET_DIR",
    "EXAMPLE_QUERY",
    "asset_endpoint",
    "graphiql_page",
    "wants_page",
]

ASSET_DIR = Path(__file__).resolve().parents[1] / "static" / "graphiql"
ASSETS: dict[str, str] = {
    "react.production.min.js": "text/javascript; charset=utf-8",
    "react-dom.production.min.js": "text/javascript; charset=utf-8",
    "graphiql.min.js": "text/javascript; charset=utf-8",
    "graphiql.min.css": "text/css; charset=utf-8",
    "ouroboros-graphiql.js": "text/javascript; charset=utf-8",
}
"""The files ``/graphql/assets/`` serves, with their content types (nothing else is served)."""

_SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "ouroboros-graphiql.js",
)

EXAMPLE_QUERY = """\
# Ouroboros over GraphQL: each attribute the
# engine resolves is a field. Root fields are
# global attributes (namespace__name);
# entity(name: ...), file(path: ...) and
# memory(key: ...) start from one entity.
# Docs (top left) describes every field.
# Ctrl-Enter runs the query.
query Overview {
  system__healthy_QMARK_
  system__meta
  graph__stats
  tool(name: "query_eql") {
    description
    writes_QMARK_
  }
}
"""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page's Content-Security-Policy: only this origin ('unsafe-inline' styles: GraphiQL's editor
sets style attributes, and the page has one small <style>); no inline script runs."""


def wants_page(scope: Scope) -> bool:
    """Return whether a ``/graphql`` request is a browser asking for the page.

    That is a ``GET`` without a ``query`` parameter whose ``Accept`` names ``text/html``.
    """
    if scope.get("type") != "http" or scope.get("method") != "GET":
        return False
    accept = dict(scope.get("headers") or ()).get(b"accept", b"")
    if b"text/html" not in accept.lower():
        return False
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return "query" not in query


@cache
def _asset(name: str) -> tuple[bytes, str]:
    """Return an asset's bytes and its ETag (a hash of the content)."""
    body = (ASSET_DIR / name).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:16]


def _url(name: str) -> str:
    # Relative to the page at .../graphql, so a server mounted under a prefix works too.
    return f"graphql/assets/{name}?v={_asset(name)[1]}"


def page_html() -> str:
    """Return the page's HTML: the shipped assets, the example query, nothing from elsewhere."""
    config = json.dumps({"url": "graphql", "defaultQuery": EXAMPLE_QUERY})
    config = config.replace("<", "\\u003c")  # no "</script>" can end the JSON block early
    scripts = "\n".join(f'    <script src="{_url(n)}"></script>' for n in _SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Ouroboros GraphiQL</title>
    <link rel="stylesheet" href="{_url("graphiql.min.css")}">
    <style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script type="application/json" id="ouroboros-graphiql">{config}</script>
{scripts}
  </body>
</html>
"""


def graphiql_page() -> Response:
    """Return the page as a response (not cached: it names the assets' current versions)."""
    return HTMLResponse(
        page_html(),
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


async def asset_endpoint(request: Request) -> Response:
    """Return one shipped asset with its content type and caching headers.

    A URL with the current ``?v=`` is cached for a year (it changes when the file does);
    without it the browser revalidates with the ETag. Raises NotFoundError for any other name
    and when the GraphiQL page is off.
    """
    name = request.path_params["name"]
    if not getattr(request.app.state, "graphiql", False):
        raise NotFoundError("the GraphiQL page is off on this server")
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFoundError(f"no GraphiQL asset named {name!r}")
    body, etag = _asset(name)
    quoted = f'"{etag}"'
    cache_control = (
        "public, max-age=31536000, immutable"
        if request.query_params.get("v") == etag
        else "public, max-age=0, must-revalidate"
    )
    headers = {
        "ETag": quoted,
        "Cache-Control": cache_control,
        "X-Content-Type-Options": "nosniff",
    }
    if quoted in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
