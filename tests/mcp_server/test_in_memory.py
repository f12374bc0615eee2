"""The MCP server through the SDK's own client, in process (modern and legacy protocol)."""

from __future__ import annotations

import json

import pytest
from mcp import Client, MCPError

from ouroboros.mcp_server import build_mcp_server
from ouroboros.tools.policy import Caller

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_toy_script_in_memory(toy_registry, exercise, mode: str) -> None:
    server = build_mcp_server(toy_registry)
    async with Client(server, mode=mode) as client:
        assert client.server_info.name == "ouroboros"
        assert client.server_info.version
        await exercise(client)


async def test_stdio_and_memory_callers_are_local(toy_registry, tool_payload) -> None:
    async with Client(build_mcp_server(toy_registry)) as client:
        got = await client.call_tool("echo", {"text": "x"})
    assert got.structured_content["caller"] == "local"


async def test_caller_hook_decides_scopes(toy_registry, tool_payload) -> None:
    reader = Caller(id="reader", scopes=frozenset({"read"}), transport="http")
    server = build_mcp_server(toy_registry, caller_factory=lambda ctx: reader)
    async with Client(server) as client:
        ok = await client.call_tool("echo", {"text": "x"})
        denied = await client.call_tool("note_set", {"key": "k", "value": "v"})
    assert ok.structured_content["caller"] == "reader"
    assert denied.is_error
    assert tool_payload(denied)["error"]["type"] == "ForbiddenError"
    assert tool_payload(denied)["error"]["details"]["needed_scope"] == "write"


async def test_a_failing_caller_hook_is_a_tool_error(toy_registry, tool_payload) -> None:
    def broken(ctx):
        raise LookupError("no token")

    async with Client(build_mcp_server(toy_registry, caller_factory=broken)) as client:
        got = await client.call_tool("echo", {"text": "x"})
    assert got.is_error and tool_payload(got)["error"]["type"] == "UnauthenticatedError"


async def test_bug_in_a_tool_is_a_tool_error_and_the_server_keeps_serving(
    toy_registry, tool_payload
) -> None:
    async with Client(build_mcp_server(toy_registry)) as client:
        crashed = await client.call_tool("crash", {})
        again = await client.call_tool("echo", {"text": "still here"})
    assert crashed.is_error
    assert tool_payload(crashed)["error"]["type"] == "OuroborosError"
    assert "RuntimeError" in tool_payload(crashed)["error"]["message"]
    assert again.structured_content["text"] == "still here"


async def test_result_outside_the_output_schema_is_a_clear_tool_error(
    toy_registry, tool_payload
) -> None:
    async with Client(build_mcp_server(toy_registry)) as client:
        got = await client.call_tool("wrong_shape", {})
    assert got.is_error
    error = tool_payload(got)["error"]
    assert "does not match its output schema" in error["message"]
    assert error["details"]["tool"] == "wrong_shape"


async def test_tool_without_output_schema_still_returns_structured_content(toy_registry) -> None:
    async with Client(build_mcp_server(toy_registry)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        got = await client.call_tool("fetch", {})
    assert tools["fetch"].output_schema is None
    assert tools["fetch"].annotations.open_world_hint is True
    assert got.structured_content == {"result": ["a", "list", "result"]}


async def test_only_enabled_tools_are_listed_and_callable(toy_registry, tool_payload) -> None:
    toy_registry.enable_only(["echo"])
    async with Client(build_mcp_server(toy_registry)) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        hidden = await client.call_tool("note_set", {"key": "k", "value": "v"})
        resources = await client.list_resources()
    assert names == ["echo"]
    assert hidden.is_error and tool_payload(hidden)["error"]["type"] == "ToolNotFoundError"
    assert resources.resources == []  # no read_graph tool enabled, no graph resource


async def test_graph_page_and_entity_templates(toy_registry) -> None:
    async with Client(build_mcp_server(toy_registry)) as client:
        templates = await client.list_resource_templates()
        page = await client.read_resource("ouroboros://graph?offset=1&limit=1")
        first = await client.read_resource("ouroboros://graph")
        entity = await client.read_resource("ouroboros://entity/Alice")
        with pytest.raises(MCPError):
            await client.read_resource("ouroboros://entity/Nobody")
        with pytest.raises(MCPError):
            await client.read_resource("ouroboros://graph?limit=0")
        with pytest.raises(MCPError):
            await client.read_resource("memory://something-else")
    assert {t.uri_template for t in templates.resource_templates} == {
        "ouroboros://graph{?offset,limit}",
        "ouroboros://entity/{name}",
    }
    body = json.loads(page.contents[0].text)
    assert [e["name"] for e in body["entities"]] == ["Bob"]
    assert (body["offset"], body["limit"], body["total"], body["next_offset"]) == (1, 1, 3, 2)
    assert json.loads(first.contents[0].text)["next_offset"] is None
    alice = json.loads(entity.contents[0].text)
    assert [e["name"] for e in alice["entities"]] == ["Alice"]
    assert alice["relations"][0]["to"] == "Ouroboros"


async def test_read_graph_callable_serves_the_resource(toy_registry) -> None:
    toy_registry.enable_only(["echo"])
    calls = []

    async def read_graph():
        calls.append(1)
        return {"entities": [{"name": "X", "entityType": "t", "observations": []}], "relations": []}

    async with Client(build_mcp_server(toy_registry, read_graph=read_graph)) as client:
        listed = await client.list_resources()
        graph = await client.read_resource("memory://knowledge-graph")
        entity = await client.read_resource("ouroboros://entity/X")
    assert [r.uri for r in listed.resources] == ["memory://knowledge-graph"]
    assert json.loads(graph.contents[0].text)["entities"][0]["name"] == "X"
    assert json.loads(entity.contents[0].text)["entities"][0]["name"] == "X"
    assert len(calls) == 2


async def test_resource_needs_the_read_scope(toy_registry) -> None:
    nobody = Caller(id="nobody", scopes=frozenset(), transport="http")
    server = build_mcp_server(toy_registry, caller_factory=lambda ctx: nobody)
    async with Client(server) as client:
        with pytest.raises(MCPError) as info:
            await client.read_resource("memory://knowledge-graph")
    assert "read scope" in info.value.message
