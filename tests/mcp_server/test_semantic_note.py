"""Issue 9 item 20: "semantic search is not available" is said once per session (the MCP
server instructions), not as a ``note`` in every ``search_nodes`` result."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from ouroboros.store.search import NO_EMBEDDER_NOTE

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

OUROBOROS = Path(sys.executable).with_name("ouroboros")


def params(tmp_path: Path, embedder: str) -> StdioServerParameters:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "OUROBOROS_RATE_LIMIT": "0",
        "OUROBOROS_EMBEDDER": embedder,
    }
    db = str(tmp_path / f"{embedder}.duckdb")
    return StdioServerParameters(
        command=str(OUROBOROS), args=["mcp", "--db", db, "--tools", "memory"], env=env
    )


async def search_once(tmp_path: Path, embedder: str) -> tuple[str | None, dict, dict]:
    with open(tmp_path / f"{embedder}.stderr", "w") as errlog:
        async with Client(stdio_client(params(tmp_path, embedder), errlog=errlog)) as client:
            created = await client.call_tool(
                "create_entities",
                {"entities": [{"name": "Ann", "entityType": "person", "observations": ["tea"]}]},
            )
            assert not created.is_error, created.content
            auto = await client.call_tool("search_nodes", {"query": "tea"})
            semantic = await client.call_tool("search_nodes", {"query": "tea", "mode": "semantic"})
            return (
                client.instructions,
                json.loads(auto.content[0].text),
                semantic.structured_content,
            )


async def test_without_embeddings_the_note_is_in_the_instructions_only(tmp_path: Path) -> None:
    instructions, auto, semantic = await search_once(tmp_path, "none")
    assert instructions is not None and NO_EMBEDDER_NOTE in instructions
    assert [e["name"] for e in auto["entities"]] == ["Ann"]
    assert auto["search"]["mode"] == "keyword"
    assert "note" not in auto["search"]  # the default search carries no note
    # asking for semantic by name still says why the answer is keyword-ranked
    assert semantic["search"]["mode"] == "keyword"
    assert semantic["search"]["note"] == NO_EMBEDDER_NOTE


async def test_with_embeddings_nothing_is_said(tmp_path: Path) -> None:
    instructions, auto, semantic = await search_once(tmp_path, "hash")
    assert instructions is not None and "semantic search is not available" not in instructions
    assert auto["search"]["mode"] == "hybrid" and "note" not in auto["search"]
    assert semantic["search"]["mode"] == "semantic" and "note" not in semantic["search"]
