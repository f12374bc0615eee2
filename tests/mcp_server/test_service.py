"""`ouroboros mcp` end to end: the real service (store, engine, tools) behind the MCP server."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

OUROBOROS = Path(sys.executable).with_name("ouroboros")
MEMORY_TOOLS = {
    "create_entities",
    "create_relations",
    "add_observations",
    "delete_entities",
    "delete_observations",
    "delete_relations",
    "read_graph",
    "search_nodes",
    "open_nodes",
}


def mcp_params(db: Path, *extra: str) -> StdioServerParameters:
    env = {"OUROBOROS_RATE_LIMIT": "0", "HOME": str(db.parent), "XDG_DATA_HOME": str(db.parent)}
    return StdioServerParameters(
        command=str(OUROBOROS), args=["mcp", "--db", str(db), *extra], env=env, cwd=str(db.parent)
    )


def text_json(result):
    return json.loads(result.content[0].text)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "kb.duckdb"


async def test_memory_tools_over_stdio(db: Path, tmp_path: Path) -> None:
    errors = tmp_path / "stderr.txt"
    try:
        await memory_tools_script(db, errors)
    except Exception as exc:  # show what the server said on stderr
        raise AssertionError(f"{exc!r}; server stderr:\n{errors.read_text()[-4000:]}") from exc


async def memory_tools_script(db: Path, errors: Path) -> None:
    with open(errors, "w") as errlog:
        async with Client(
            stdio_client(mcp_params(db, "--tools", "memory"), errlog=errlog)
        ) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == MEMORY_TOOLS
            for tool in tools.values():
                assert tool.input_schema["type"] == "object"
                assert tool.output_schema is not None
            assert tools["read_graph"].annotations.read_only_hint is True
            assert tools["delete_entities"].annotations.destructive_hint is True

            created = await client.call_tool(
                "create_entities",
                {
                    "entities": [
                        {
                            "name": "Alice",
                            "entityType": "person",
                            "observations": ["likes green tea"],
                        },
                        {"name": "Ouroboros", "entityType": "project", "observations": ["a snake"]},
                    ]
                },
            )
            assert not created.is_error, created.content
            assert {e["name"] for e in created.structured_content["entities"]} == {
                "Alice",
                "Ouroboros",
            }
            related = await client.call_tool(
                "create_relations",
                {"relations": [{"from": "Alice", "to": "Ouroboros", "relationType": "works_on"}]},
            )
            assert not related.is_error, related.content
            added = await client.call_tool(
                "add_observations",
                {"observations": [{"entityName": "Alice", "contents": ["writes Python"]}]},
            )
            assert not added.is_error, added.content

            found = await client.call_tool("search_nodes", {"query": "tea"})
            assert not found.is_error, found.content
            assert "Alice" in {e["name"] for e in found.structured_content["entities"]}
            opened = await client.call_tool("open_nodes", {"names": ["Alice"]})
            alice = opened.structured_content["entities"][0]
            assert set(alice["observations"]) >= {"likes green tea", "writes Python"}
            assert opened.structured_content["relations"][0]["to"] == "Ouroboros"

            # a tool error: observations for an entity that does not exist
            missing = await client.call_tool(
                "add_observations", {"observations": [{"entityName": "Nobody", "contents": ["x"]}]}
            )
            assert missing.is_error
            assert set(text_json(missing)) == {"error"}
            bad = await client.call_tool("create_entities", {"entities": "not a list"})
            assert bad.is_error and text_json(bad)["error"]["type"] == "InvalidInputError"
            unknown = await client.call_tool(
                "file_read", {"path": "x"}
            )  # not enabled by --tools memory
            assert unknown.is_error and text_json(unknown)["error"]["type"] == "ToolNotFoundError"

            graph = await client.read_resource("memory://knowledge-graph")
            data = json.loads(graph.contents[0].text)
            assert {e["name"] for e in data["entities"]} == {"Alice", "Ouroboros"}
            assert data["relations"] == [
                {"from": "Alice", "to": "Ouroboros", "relationType": "works_on"}
            ]


async def test_all_tools_are_listed_with_schemas(db: Path) -> None:
    async with Client(mcp_params(db)) as client:
        tools = (await client.list_tools()).tools
    names = {t.name for t in tools}
    assert names >= MEMORY_TOOLS
    assert {"system_status", "memory_get", "memory_set", "query_eql", "file_read"} <= names
    for tool in tools:
        assert tool.input_schema["type"] == "object", tool.name
        assert tool.output_schema is None or tool.output_schema["type"] == "object", tool.name


async def test_several_servers_on_one_database_keep_every_write(db: Path) -> None:
    """Three `ouroboros mcp` processes on one file, writing at once: every entity is there."""
    servers, per_server = 3, 20

    async def writer(k: int) -> None:
        async with Client(mcp_params(db, "--tools", "memory"), mode="legacy") as client:
            for i in range(per_server):
                result = await client.call_tool(
                    "create_entities",
                    {
                        "entities": [
                            {
                                "name": f"w{k}-e{i}",
                                "entityType": "test",
                                "observations": [f"from {k}"],
                            }
                        ]
                    },
                )
                assert not result.is_error, result.content

    with anyio.fail_after(240):
        async with anyio.create_task_group() as tg:
            for k in range(servers):
                tg.start_soon(writer, k)
        async with Client(mcp_params(db, "--tools", "memory")) as client:
            graph = await client.call_tool("read_graph", {})
    names = {e["name"] for e in graph.structured_content["entities"]}
    assert names == {f"w{k}-e{i}" for k in range(servers) for i in range(per_server)}


def test_console_script_is_installed() -> None:
    assert OUROBOROS.exists() or shutil.which("ouroboros"), (
        "the ouroboros console script is not installed"
    )
    assert os.access(OUROBOROS, os.X_OK)


async def test_graph_resources_page_through_the_store(db: Path) -> None:
    async with Client(mcp_params(db, "--tools", "memory")) as client:
        entities = [{"name": f"n{i:02d}", "entityType": "t", "observations": []} for i in range(25)]
        created = await client.call_tool("create_entities", {"entities": entities})
        assert not created.is_error, created.content
        await client.call_tool(
            "create_relations", {"relations": [{"from": "n00", "to": "n01", "relationType": "r"}]}
        )
        pages, offset = [], 0
        while offset is not None:
            page = json.loads(
                (await client.read_resource(f"ouroboros://graph?offset={offset}&limit=10"))
                .contents[0]
                .text
            )
            pages.append(page)
            offset = page["next_offset"]
        entity = json.loads((await client.read_resource("ouroboros://entity/n01")).contents[0].text)
    assert [len(p["entities"]) for p in pages] == [10, 10, 5]
    assert pages[0]["total"] == 25
    assert [e["name"] for p in pages for e in p["entities"]] == [f"n{i:02d}" for i in range(25)]
    assert entity["entities"][0]["name"] == "n01"
    assert entity["relations"] == [{"from": "n00", "to": "n01", "relationType": "r"}]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_service_over_http(
    tmp_path: Path, serve_uvicorn, service_host_app, mode: str
) -> None:
    with serve_uvicorn(service_host_app(tmp_path / "kb.duckdb")) as http:
        async with Client(f"{http.url}/mcp", mode=mode) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert names >= MEMORY_TOOLS and "system_status" in names
            created = await client.call_tool(
                "create_entities",
                {"entities": [{"name": "Ann", "entityType": "person", "observations": ["x"]}]},
            )
            assert not created.is_error, created.content
            status = await client.call_tool("system_status", {})
            assert not status.is_error, status.content
            got = await client.call_tool("memory_set", {"key": "k", "value": "v"})
            assert not got.is_error, got.content
            got = await client.call_tool("memory_get", {"key": "k"})
            assert not got.is_error, got.content
            graph = json.loads(
                (await client.read_resource("memory://knowledge-graph")).contents[0].text
            )
    assert [e["name"] for e in graph["entities"]] == ["Ann"]
