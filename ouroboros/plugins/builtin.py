"""Built-in plugins: each resolver domain (``ouroboros.resolvers.<name>``) with its tools.

The built-ins load through the same loader as outside plugins (same manifest schema, same
name-clash checks, same ``--disable-plugin``), so that path is always exercised. Their manifest
is written from what they add; they are trusted with the runtime and every permission.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

__all__ = ["BUILTIN_TOOLS", "builtin_plugins", "builtin_tool_domain", "builtin_tool_order"]

# Which built-in plugin each built-in tool belongs to (disabling ``git`` removes the git
# tools with the git resolvers). A tool not listed here goes by its name's prefix, else to
# ``ai`` (the tools domain).
BUILTIN_TOOLS: dict[str, tuple[str, ...]] = {
    "system": ("system_status", "system_report"),
    "introspection": ("query_eql",),
    "git": ("git_commits", "git_status"),
    "files": ("file_read", "file_search", "file_list"),
    "http": ("http_get",),
    "openapi": ("openapi_bootstrap", "openapi_call"),
    "memory": ("memory_get", "memory_set"),
    "graph": (
        "create_entities",
        "create_relations",
        "add_observations",
        "delete_entities",
        "delete_observations",
        "delete_relations",
        "read_graph",
        "search_nodes",
        "open_nodes",
        "rename_entity",
        "graph_neighbours",
        "graph_path",
    ),
}
_TOOL_DOMAIN = {tool: domain for domain, tools in BUILTIN_TOOLS.items() for tool in tools}
_PREFIXES = {
    "system_": "system",
    "git_": "git",
    "file_": "files",
    "http_": "http",
    "openapi_": "openapi",
    "memory_": "memory",
    "graph_": "graph",
}


def builtin_tool_domain(tool: str, domains: tuple[str, ...]) -> str:
    """Return the built-in plugin a built-in tool belongs to."""
    domain = _TOOL_DOMAIN.get(tool)
    if domain is None:
        domain = next((d for p, d in _PREFIXES.items() if tool.startswith(p)), "ai")
    return domain if domain in domains else domains[-1]


def builtin_plugins() -> list[tuple[str, Callable[[Any], list[Any]]]]:
    """Return ``(name, setup)`` per resolver domain, in registration order.

    ``setup(ctx)`` returns the domain's operations bound to ``ctx.runtime`` and its tools.
    """
    from ouroboros.resolvers import DOMAINS
    from ouroboros.tools import all_tools

    tools: list[Any] = []

    def tools_of(domain: str) -> list[Any]:
        if not tools:
            tools.extend(all_tools())
        return [t for t in tools if builtin_tool_domain(t.name, DOMAINS) == domain]

    def setup_for(domain: str) -> Callable[[Any], list[Any]]:
        def setup(ctx: Any) -> list[Any]:
            module = import_module(f"ouroboros.resolvers.{domain}")
            return [*module.operations(ctx.runtime), *tools_of(domain)]

        setup.__doc__ = f"The built-in {domain} resolvers and tools."
        return setup

    return [(domain, setup_for(domain)) for domain in DOMAINS]


def builtin_tool_order() -> dict[str, int]:
    """Return each built-in tool's position in ``all_tools()`` (the order tools are listed in)."""
    from ouroboros.tools import all_tools

    return {t.name: i for i, t in enumerate(all_tools())}
