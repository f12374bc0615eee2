"""The MCP server over stdio: the SDK client spawns a server process and talks to it."""

from __future__ import annotations

import sys

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_toy_script_over_stdio(toy_server_path, exercise, mode: str, tmp_path) -> None:
    params = StdioServerParameters(command=sys.executable, args=[str(toy_server_path)], cwd="/")
    with open(tmp_path / "stderr.txt", "w+") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode=mode) as client:
            await exercise(client)
        errlog.seek(0)
        # the server's stray prints went to stderr and the protocol survived them
        err = errlog.read()
        assert "a stray print while starting up" in err
        assert "a stray print inside a tool" in err


def test_stdin_from_a_file_uses_the_sdk_streams(toy_server_path, tmp_path) -> None:
    """Not a pipe (a file on stdin): the server falls back to the SDK's threaded stdio."""
    import json
    import subprocess

    requests = tmp_path / "requests.jsonl"
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "f", "version": "0"},
        },
    }
    requests.write_text(json.dumps(initialize) + "\n")
    with requests.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, str(toy_server_path)],
            stdin=stdin,
            capture_output=True,
            timeout=60,
            cwd="/",
        )
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert lines[0]["id"] == 1 and lines[0]["result"]["serverInfo"]["name"] == "ouroboros"
    assert b"a stray print while starting up" in done.stderr
