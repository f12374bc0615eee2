"""The knowledge graph as MCP resources: the official URI, a paged view, and one entity.

- ``memory://knowledge-graph``: the whole graph, ``{entities, relations}`` as the official memory
  server's ``read_graph`` returns it (same URI, so clients written for it keep working);
- ``ouroboros://graph{?offset,limit}``: one page of entities (``limit`` at most 1000) with their
  relations, plus ``offset``, ``limit``, ``total`` and ``next_offset`` (paged by the
  ``read_graph`` tool itself when it takes ``offset`` / ``limit``);
- ``ouroboros://entity/{name}``: one entity with the relations that touch it.

The graph comes from a ``read_graph`` callable when one is given (sync or async, returning the
whole graph), else from the registry's own ``read_graph`` / ``open_nodes`` tools, called as the
requesting caller — so scopes, rate limits and telemetry apply to resources as to tools.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError
from mcp.shared.uri_template import UriTemplate
from mcp_types.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS

from ouroboros.errors import ForbiddenError, OuroborosError
from ouroboros.tools.policy import Caller
from ouroboros.tools.registry import ToolRegistry

from .tools import to_json_text, to_wire

__all__ = [
    "ENTITY_TEMPLATE",
    "GRAPH_URI",
    "PAGE_TEMPLATE",
    "GraphReader",
    "GraphResources",
]

GRAPH_URI = "memory://knowledge-graph"
PAGE_TEMPLATE = "ouroboros://graph{?offset,limit}"
ENTITY_TEMPLATE = "ouroboros://entity/{name}"
JSON_MIME = "application/json"
MAX_PAGE = 1000
DEFAULT_PAGE = 100

GraphReader = Callable[[], "Mapping[str, Any] | Awaitable[Mapping[str, Any]]"]
"""``read_graph() -> {"entities": [...], "relations": [...]}``, sync or async."""


class GraphResources:
    """Lists and reads the graph resources for one MCP server."""

    def __init__(self, registry: ToolRegistry, read_graph: GraphReader | None = None) -> None:
        self.registry = registry
        self.read_graph = read_graph
        self._page = UriTemplate.parse(PAGE_TEMPLATE)
        self._entity = UriTemplate.parse(ENTITY_TEMPLATE)

    @property
    def available(self) -> bool:
        """Whether there is a graph to serve (a reader, or an enabled ``read_graph`` tool)."""
        return self.read_graph is not None or self.registry.exists("read_graph")

    def resources(self) -> list[types.Resource]:
        """Return the fixed resources (the whole graph)."""
        if not self.available:
            return []
        return [
            types.Resource(
                uri=GRAPH_URI,
                name="knowledge-graph",
                title="Knowledge graph",
                description="The whole knowledge graph as JSON: {entities, relations} "
                "(the same shape as the read_graph tool).",
                mime_type=JSON_MIME,
            )
        ]

    def templates(self) -> list[types.ResourceTemplate]:
        """Return the resource templates (a page of the graph, one entity)."""
        if not self.available:
            return []
        return [
            types.ResourceTemplate(
                uri_template=PAGE_TEMPLATE,
                name="knowledge-graph-page",
                title="Knowledge graph, one page",
                description=f"Entities offset..offset+limit (limit <= {MAX_PAGE}, default "
                f"{DEFAULT_PAGE}) with the relations that touch them, and total / next_offset.",
                mime_type=JSON_MIME,
            ),
            types.ResourceTemplate(
                uri_template=ENTITY_TEMPLATE,
                name="entity",
                title="One entity",
                description="One entity by name, with the relations that touch it.",
                mime_type=JSON_MIME,
            ),
        ]

    async def read(self, uri: str, caller: Caller) -> types.ReadResourceResult:
        """Return the contents of ``uri``; raise ``MCPError`` (invalid params) for an unknown URI."""
        if not self.available:
            raise _not_found(uri)
        try:
            if uri == GRAPH_URI:
                body: Any = await self._graph(caller)
            elif (page := self._page.match(uri)) is not None:
                offset = _int_param(page, "offset", 0, 0, None)
                limit = _int_param(page, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
                body = await self._graph_page(offset, limit, caller)
            elif (found := self._entity.match(uri)) is not None:
                name = found.get("name")
                if not isinstance(name, str) or not name:
                    raise _not_found(uri)
                body = await self._entity_view(name, caller)
                if not body["entities"]:
                    raise _not_found(uri, f"no entity named {name!r}")
            else:
                raise _not_found(uri)
        except OuroborosError as exc:
            raise MCPError(INVALID_PARAMS, exc.message, data=exc.to_json()) from exc
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(uri=uri, mime_type=JSON_MIME, text=to_json_text(body))
            ]
        )

    async def _graph(self, caller: Caller) -> dict[str, Any]:
        if self.read_graph is not None:
            if not caller.can("read"):
                raise ForbiddenError(f"the caller {caller.id!r} has no read scope")
            value = self.read_graph()
            if inspect.isawaitable(value):
                value = await value
            return _graph_shape(value)
        return _graph_shape(await self._tool("read_graph", {}, caller))

    async def _graph_page(self, offset: int, limit: int, caller: Caller) -> dict[str, Any]:
        if self.read_graph is None and self._tool_pages():
            got = await self._tool("read_graph", {"offset": offset, "limit": limit}, caller)
            body = _graph_shape(got)
            data = got if isinstance(got, Mapping) else {}
            total = data.get("total")
            return {
                **body,
                "offset": offset,
                "limit": limit,
                "total": total if isinstance(total, int) else None,
                "next_offset": data.get("next_offset"),
            }
        return _page(await self._graph(caller), offset, limit)

    def _tool_pages(self) -> bool:
        """Whether the registry's read_graph tool takes ``offset`` and ``limit`` itself."""
        props = self.registry.get("read_graph").input_schema.get("properties") or {}
        return "offset" in props and "limit" in props

    async def _entity_view(self, name: str, caller: Caller) -> dict[str, Any]:
        if self.read_graph is None and self.registry.exists("open_nodes"):
            return _graph_shape(await self._tool("open_nodes", {"names": [name]}, caller))
        graph = await self._graph(caller)
        entities = [e for e in graph["entities"] if e.get("name") == name]
        relations = [r for r in graph["relations"] if name in (r.get("from"), r.get("to"))]
        return {"entities": entities, "relations": relations}

    async def _tool(self, name: str, args: dict[str, Any], caller: Caller) -> Any:
        envelope = await self.registry.call(name, args, caller=caller)
        if envelope.get("status") != "success":
            error = envelope.get("error") or {}
            raise MCPError(
                INVALID_PARAMS if envelope.get("status") == "not-found" else INTERNAL_ERROR,
                str(error.get("message", f"{name} failed")),
                data={"error": to_wire(error)},
            )
        return envelope.get("result")


def _graph_shape(value: Any) -> dict[str, Any]:
    data = to_wire(value) if value is not None else {}
    if not isinstance(data, dict):
        data = {}
    return {
        "entities": list(data.get("entities") or []),
        "relations": list(data.get("relations") or []),
    }


def _page(graph: dict[str, Any], offset: int, limit: int) -> dict[str, Any]:
    entities = graph["entities"][offset : offset + limit]
    names = {e.get("name") for e in entities}
    relations = [r for r in graph["relations"] if r.get("from") in names or r.get("to") in names]
    total = len(graph["entities"])
    next_offset = offset + limit if offset + limit < total else None
    return {
        "entities": entities,
        "relations": relations,
        "offset": offset,
        "limit": limit,
        "total": total,
        "next_offset": next_offset,
    }


def _int_param(
    values: Mapping[str, Any], key: str, default: int, low: int, high: int | None
) -> int:
    raw = values.get(key)
    if raw in (None, "", []):
        return default
    try:
        number = int(raw if isinstance(raw, str) else raw[0])
    except (TypeError, ValueError):
        raise MCPError(INVALID_PARAMS, f"{key} must be an integer, not {raw!r}") from None
    if number < low or (high is not None and number > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise MCPError(INVALID_PARAMS, f"{key} must be {bound}, not {number}")
    return number


def _not_found(uri: str, why: str = "") -> MCPError:
    message = f"resource not found: {uri}" + (f" ({why})" if why else "")
    return MCPError(INVALID_PARAMS, message, data={"uri": uri})
