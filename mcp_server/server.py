"""``build_mcp_server``: an MCP server (the SDK's low-level ``Server``) over a tool registry."""

from __future__ import annotations

import logging
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from ouroboros import __version__
from ouroboros.config import Settings
from ouroboros.errors import ToolNotFoundError
from ouroboros.tools.registry import ToolRegistry

from .callers import CallerFactory, default_caller
from .resources import GraphReader, GraphResources
from .roots import can_ask_outside_a_request, client_roots, refresh_client_roots
from .subscriptions import ChangeBus, ChangeFeed, listen_handler
from .tools import ToolAdapter, error_result, mcp_tool

__all__ = ["INSTRUCTIONS", "build_mcp_server", "server_instructions"]

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Ouroboros: a knowledge graph and memory with tools for the system, git, files and HTTP. "
    "The knowledge-graph tools keep the names and arguments of the official MCP memory server "
    "(create_entities, search_nodes, open_nodes, ...). Every result is JSON; an error result "
    'is {"error": {"type", "message", "details"?}}. The whole graph is the resource '
    "memory://knowledge-graph; ouroboros://graph{?offset,limit} pages it."
)

Ctx = ServerRequestContext[Any, Any]


def server_instructions(semantic_note: str | None = None) -> str:
    """Return the server instructions, with why semantic search is off when it is (said here
    once per session instead of in every ``search_nodes`` result)."""
    if not semantic_note:
        return INSTRUCTIONS
    return f"{INSTRUCTIONS} Note: {semantic_note}; search_nodes ranks by keywords."


def build_mcp_server(
    registry: ToolRegistry,
    *,
    read_graph: GraphReader | None = None,
    caller_factory: CallerFactory = default_caller,
    name: str = "ouroboros",
    version: str = __version__,
    instructions: str | None = INSTRUCTIONS,
    check_output: bool = True,
    settings: Settings | None = None,
    changes: ChangeFeed | None = None,
) -> Server[Any]:
    """Return an MCP server whose tools are ``registry``'s enabled tools.

    - ``tools/list``: each tool with its input and output schema (a non-object output schema is
      wrapped as ``{"result": ...}``), title and hints (readOnly = not writes, destructive,
      idempotent, openWorld).
    - ``tools/call``: ``registry.call`` as the caller ``caller_factory(ctx)`` returns; success
      is ``structured_content`` (the result) plus its JSON as text; an error or unknown tool is
      an ``is_error`` result carrying ``{"error": {...}}``.
    - resources: the knowledge graph (see ``resources.py``) from ``read_graph`` or from the
      registry's ``read_graph`` / ``open_nodes`` tools.
    - roots: when ``settings`` (default: the registry's ``context["settings"]``) configure no
      file roots and the client offers the roots capability, its ``file://`` roots are fetched
      after ``notifications/initialized`` (over HTTP: at the first tool call) and again on
      ``notifications/roots/list_changed``, and the tools of that session read those
      (see ``roots.py``).
    - ``subscriptions/listen`` (2026-07-28), given ``changes`` (``Store.changes``): a stream
      hears ``notifications/resources/updated`` when a write by any process changes the graph
      or a watched entity (see ``subscriptions.py``).

    The server owns nothing: the caller opens and closes whatever the registry runs on.
    """
    adapter = ToolAdapter(check_output=check_output)
    graph = GraphResources(registry, read_graph)
    if settings is None:
        found = registry.context.get("settings")
        settings = found if isinstance(found, Settings) else None
    base = settings
    ask_client = base is not None and not base.roots

    async def call_context(ctx: Ctx) -> dict[str, Any] | None:
        if not ask_client or base is None:
            return None
        roots = await client_roots(ctx)
        return {"settings": base.with_(roots=roots)} if roots else None

    async def list_tools(
        ctx: Ctx, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[mcp_tool(tool) for tool in registry])

    async def call_tool(ctx: Ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            caller = caller_factory(ctx)
        except Exception as exc:  # a failing hook must not leak a traceback to the client
            log.exception("caller_factory failed")
            return error_result({"type": "UnauthenticatedError", "message": f"no caller: {exc}"})
        try:
            tool = registry.get(params.name)
        except ToolNotFoundError:
            tool = None
        envelope = await registry.call(
            params.name, params.arguments or {}, caller=caller, context=await call_context(ctx)
        )
        return adapter.result(tool, envelope)

    async def roots_changed(ctx: Ctx, params: types.NotificationParams) -> None:
        if ask_client:
            await refresh_client_roots(ctx, ask_now=can_ask_outside_a_request(ctx))

    async def initialized(ctx: Ctx, params: types.NotificationParams) -> None:
        if ask_client and can_ask_outside_a_request(ctx):
            await client_roots(ctx)  # fetched now, so the first tool call need not wait

    async def list_resources(
        ctx: Ctx, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=graph.resources())

    async def list_templates(
        ctx: Ctx, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=graph.templates())

    async def read_resource(
        ctx: Ctx, params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        return await graph.read(str(params.uri), caller_factory(ctx))

    def input_schema(tool_name: str) -> dict[str, Any] | None:
        return dict(registry.get(tool_name).input_schema) if registry.exists(tool_name) else None

    listen = None
    if changes is not None and graph.available:
        listen = listen_handler(ChangeBus(changes), caller_factory)

    server: Server[Any] = Server(
        name,
        version=version,
        title="Ouroboros",
        instructions=instructions,
        get_tool_input_schema=input_schema,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
        on_subscriptions_listen=listen,
    )
    # Registered directly: the constructor's on_roots_list_changed warns (roots are deprecated
    # from protocol 2026-07-28, but handshake-era clients still offer them).
    server.add_notification_handler(
        "notifications/roots/list_changed", types.NotificationParams, roots_changed
    )
    server.add_notification_handler(
        "notifications/initialized", types.NotificationParams, initialized
    )
    return server
