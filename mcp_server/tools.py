"""Registry tools as MCP tools: descriptions with schemas and annotations, envelopes as results."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import mcp_types as types
from jsonschema import Draft202012Validator

from ouroboros.eql.wire import result_to_json
from ouroboros.errors import OuroborosError
from ouroboros.tools.coerce import is_valid
from ouroboros.tools.registry import Tool

__all__ = [
    "ToolAdapter",
    "call_result",
    "error_result",
    "mcp_output_schema",
    "mcp_tool",
    "to_json_text",
    "to_wire",
]

log = logging.getLogger(__name__)

WRAP_KEY = "result"
"""Where a result that is not a JSON object goes, as the MCP SDK does for scalar returns."""


def mcp_output_schema(tool: Tool) -> tuple[dict[str, Any] | None, bool]:
    """Return ``(output_schema, wrapped)`` as published over MCP.

    MCP (up to 2025-11-25) wants an object at the root of an output schema; any other schema is
    wrapped as ``{"result": <schema>}`` and ``wrapped`` says the results must be wrapped too.
    """
    schema = tool.output_schema
    if schema is None:
        return None, False
    if schema.get("type") == "object":
        return dict(schema), False
    wrapped = {
        "type": "object",
        "properties": {WRAP_KEY: dict(schema)},
        "required": [WRAP_KEY],
    }
    return wrapped, True


def mcp_tool(tool: Tool) -> types.Tool:
    """Return the MCP description of ``tool``: schemas, title and behaviour hints."""
    output_schema, _ = mcp_output_schema(tool)
    return types.Tool(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        input_schema=dict(tool.input_schema),
        output_schema=output_schema,
        annotations=types.ToolAnnotations(
            title=tool.title,
            read_only_hint=not tool.writes,
            destructive_hint=tool.destructive,
            idempotent_hint=tool.idempotent,
            open_world_hint=tool.open_world,
        ),
    )


def to_wire(value: Any) -> Any:
    """Return ``value`` as JSON data (DESIGN §2): ident keys as EDN text, sets as arrays."""
    return result_to_json(value)


def to_json_text(value: Any) -> str:
    """Return compact JSON text for the model (non-ASCII kept as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def error_result(error: Mapping[str, Any]) -> types.CallToolResult:
    """Return an MCP tool error whose text is the one error shape ``{"error": {...}}`` as JSON.

    No ``structured_content``: clients check it against the tool's *output* schema even on
    errors (the TypeScript SDK 1.32 does), so an error shape there would fail the whole call.
    The official memory server and the SDK's ``MCPServer`` also send errors as text only.
    """
    body = {"error": to_wire(error)}
    return types.CallToolResult(
        content=[types.TextContent(text=to_json_text(body))],
        is_error=True,
    )


def call_result(tool: Tool | None, envelope: Mapping[str, Any]) -> types.CallToolResult:
    """Return the MCP result for a registry envelope (``tool`` is None when it was not found)."""
    if envelope.get("status") != "success":
        return error_result(envelope.get("error") or {"type": "OuroborosError", "message": "?"})
    result = to_wire(envelope.get("result"))
    wrapped = tool is not None and mcp_output_schema(tool)[1]
    if wrapped or not isinstance(result, dict):
        structured: Any = {WRAP_KEY: result}
    else:
        structured = result
    return types.CallToolResult(
        content=[types.TextContent(text=to_json_text(result))],
        structured_content=structured,
    )


class ToolAdapter:
    """Checks results against the published output schemas (compiled once per tool).

    A result that does not match its schema would make conforming clients reject the whole
    call with a protocol error; it is reported as a tool error that says what is wrong instead.
    """

    def __init__(self, *, check_output: bool = True) -> None:
        self.check_output = check_output
        self._validators: dict[
            str, tuple[Mapping[str, Any], Draft202012Validator, dict[str, Any]]
        ] = {}

    def result(self, tool: Tool | None, envelope: Mapping[str, Any]) -> types.CallToolResult:
        """Return the MCP result for ``envelope``, checked against the tool's output schema."""
        out = call_result(tool, envelope)
        if out.is_error or tool is None or not self.check_output:
            return out
        cached = self._validator(tool)
        if cached is None:
            return out
        validator, schema = cached
        if is_valid(schema, out.structured_content):  # the fast path for plain schemas
            return out
        problem = next(iter(validator.iter_errors(out.structured_content)), None)
        if problem is None:
            return out
        where = "/".join(str(p) for p in problem.absolute_path) or "(root)"
        log.warning("tool %s returned a result outside its output schema: %s", tool.name, problem)
        exc = OuroborosError(
            f"tool {tool.name!r} returned a result that does not match its output schema "
            f"at {where}: {problem.message}",
            details={"tool": tool.name, "schema_path": [str(p) for p in problem.schema_path]},
        )
        return error_result(exc.to_dict())

    def _validator(self, tool: Tool) -> tuple[Draft202012Validator, dict[str, Any]] | None:
        cached = self._validators.get(tool.name)
        if cached is not None and cached[0] is tool.output_schema:
            return cached[1], cached[2]
        schema, _ = mcp_output_schema(tool)
        if schema is None or tool.output_schema is None:
            return None
        validator = Draft202012Validator(schema)
        self._validators[tool.name] = (tool.output_schema, validator, schema)
        return validator, schema
