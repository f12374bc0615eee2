"""A small MCP server over stdio (the SDK's MCPServer) for the federation tests: a read-only
tool that answers, one that sleeps longer than any test timeout, and a lookup by names that
appends each call's names to the file ``$CALLS_FILE``."""

from __future__ import annotations

import json
import os
import time

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations
from pydantic import BaseModel

server = MCPServer("slow")


class Thing(BaseModel):
    name: str
    size: int


class Things(BaseModel):
    things: list[Thing]


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def open_things(names: list[str]) -> Things:
    """The things named (the size of each is its name's length)."""
    with open(os.environ["CALLS_FILE"], "a", encoding="utf-8") as calls:
        calls.write(json.dumps(names) + "\n")
    return Things(things=[Thing(name=n, size=len(n)) for n in names if n != "Nobody"])


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def echo(text: str) -> dict[str, str]:
    """Answer the text back."""
    return {"echo": text}


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def sleepy() -> dict[str, str]:
    """Sleep for a minute, then answer."""
    time.sleep(60)
    return {"woke": "yes"}


if __name__ == "__main__":
    server.run("stdio")
