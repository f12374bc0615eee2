"""Tool resolvers (the "tools" domain): ``:ai/tools`` from the tool registry and ``:ai/context``.

``:ai/context`` is assembled from other attributes (system and git status, memory keys) as
optional inputs, so the engine resolves them and a failing one (no git repository) is left out
instead of failing the context. Unlike the original, it calls no tools: reading the context
has no side effects (no telemetry events, no rate-limit use).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = ["TOOL_ATTRS", "operations", "tool_attrs"]

TOOL_ATTRS = [
    "tool/name",
    "tool/description",
    "tool/input-schema",
    "tool/output-schema",
    "tool/writes?",
]


def tool_attrs(described: dict[str, Any]) -> dict[str, Any]:
    """Return the ``:tool/*`` attributes of a registry description (``Tool.describe()``)."""
    return {
        "tool/name": described["name"],
        "tool/description": described.get("description", ""),
        "tool/input-schema": described.get("input_schema", {}),
        "tool/output-schema": described.get("output_schema"),
        "tool/writes?": bool(described.get("writes", False)),
    }


ATTRIBUTE_DOCS: dict[str, str] = {
    "ai/tools": "The enabled tools.",
    "tool/description": "What the tool does (its MCP description).",
    "tool/input-schema": "The JSON Schema of the tool's arguments.",
    "tool/output-schema": "The JSON Schema of the tool's result.",
    "tool/writes?": "Whether the tool changes anything.",
    "ai/context": "A snapshot for an AI client: status, git status, memory keys and tool names.",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the ``:ai/*`` resolvers over ``runtime.tools`` (the tool registry; None = no tools).

    ``{:ai/tools [:tool/name :tool/description :tool/input-schema :tool/output-schema
    :tool/writes?]}`` lists the enabled tools; ident ``[:tool/name "file_read"]`` → the same
    attributes of one tool (a NotFoundError listing the tools when it is unknown);
    ``:ai/context`` = ``{context/type "system", context/timestamp, system/status, git/status,
    memory/keys, tools/available (count), tools/names}``.
    """
    from ouroboros import document, optional, resolver
    from ouroboros.errors import NotFoundError

    def described() -> list[dict[str, Any]]:
        registry = runtime.tools
        return list(registry.list()) if registry is not None else []

    @resolver(
        name="ai/tools",
        doc="The enabled tools with their schemas.",
        output=[{"ai/tools": TOOL_ATTRS}],
        types={"ai/tools": list},
    )
    def tools_resolver(_data: Any) -> dict[str, Any]:
        return {"ai/tools": [tool_attrs(d) for d in described()]}

    @resolver(
        name="ai/tool",
        doc="One enabled tool, by name, with its schemas.",
        input=["tool/name"],
        output=TOOL_ATTRS[1:],
        types={
            "tool/description": str,
            "tool/input-schema": dict,
            "tool/output-schema": dict | None,
            "tool/writes?": bool,
        },
    )
    def tool_resolver(data: Any) -> dict[str, Any]:
        name = data["tool/name"]
        tools = described()
        for d in tools:
            if d["name"] == name:
                attrs = tool_attrs(d)
                attrs.pop("tool/name")
                return attrs
        raise NotFoundError(
            f"tool not found: {name!r}",
            details={"available_tools": [d["name"] for d in tools]},
        )

    @resolver(
        name="ai/context",
        doc="A snapshot for an AI client: status, git, memory keys and the tools.",
        input=[optional("system/status"), optional("git/status"), optional("memory/keys")],
        output=["ai/context"],
        types={"ai/context": dict},
    )
    def context_resolver(data: Any) -> dict[str, Any]:
        names = [d["name"] for d in described()]
        return {
            "ai/context": {
                "context/type": "system",
                "context/timestamp": datetime.now(UTC).isoformat(),
                "system/status": data.get("system/status"),
                "git/status": data.get("git/status"),
                "memory/keys": list(data.get("memory/keys") or []),
                "tools/available": len(names),
                "tools/names": names,
            }
        }

    return document([tools_resolver, tool_resolver, context_resolver], ATTRIBUTE_DOCS)
