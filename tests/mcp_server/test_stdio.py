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
