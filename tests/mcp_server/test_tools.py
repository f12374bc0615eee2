"""Registry tools as MCP tools: schemas, hints, wire values, result and error shapes."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ouroboros.mcp_server.tools import call_result, mcp_output_schema, mcp_tool, to_wire
from ouroboros.tools.registry import Tool


async def _run(args, ctx):
    return None


def tool(**kw) -> Tool:
    base = {"name": "t", "description": "d", "input_schema": {"type": "object"}, "run": _run}
    return Tool(**{**base, **kw})


def test_object_output_schema_is_published_as_is() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert mcp_output_schema(tool(output_schema=schema)) == (schema, False)
    assert mcp_output_schema(tool()) == (None, False)


def test_other_output_schemas_are_wrapped_under_result() -> None:
    schema, wrapped = mcp_output_schema(
        tool(output_schema={"type": "array", "items": {"type": "string"}})
    )
    assert wrapped
    assert schema == {
        "type": "object",
        "properties": {"result": {"type": "array", "items": {"type": "string"}}},
        "required": ["result"],
    }


def test_hints_follow_the_tool_flags() -> None:
    described = mcp_tool(
        tool(writes=True, destructive=True, idempotent=False, open_world=True, title="T")
    )
    hints = described.annotations
    assert described.title == "T"
    assert (
        hints.read_only_hint,
        hints.destructive_hint,
        hints.idempotent_hint,
        hints.open_world_hint,
    ) == (
        False,
        True,
        False,
        True,
    )
    assert mcp_tool(tool()).annotations.read_only_hint is True


def test_to_wire_makes_json_data() -> None:
    class Kw(str):
        pass

    value = {
        Kw("user/name"): Kw("x"),
        "tags": {"b", "a"},
        "when": dt.datetime(2026, 1, 2, 3, 4, 5),
        "items": (1, 2),
    }
    wire = to_wire(value)
    assert json.loads(json.dumps(wire)) == wire
    assert wire["user/name"] == "x" and type(next(iter(wire))) is str
    assert wire["tags"] == ["a", "b"]
    assert wire["when"] == "2026-01-02T03:04:05"
    assert wire["items"] == [1, 2]


def test_ident_keys_travel_as_edn_text() -> None:
    try:
        from ouroboros.eql import Keyword
    except ImportError:
        pytest.skip("ouroboros.eql.Keyword is not there yet")
    wire = to_wire({(Keyword("user/id"), 1): {"user/name": "Ann"}})
    assert wire == {"[:user/id 1]": {"user/name": "Ann"}}


def test_envelopes_become_results() -> None:
    ok = call_result(tool(), {"status": "success", "result": {"a": 1}})
    assert not ok.is_error and ok.structured_content == {"a": 1}
    assert json.loads(ok.content[0].text) == {"a": 1}
    scalar = call_result(tool(), {"status": "success", "result": "text"})
    assert scalar.structured_content == {"result": "text"}
    err = call_result(
        None, {"status": "not-found", "error": {"type": "ToolNotFoundError", "message": "m"}}
    )
    assert err.is_error
    assert err.structured_content is None
    assert json.loads(err.content[0].text) == {
        "error": {"type": "ToolNotFoundError", "message": "m"}
    }
