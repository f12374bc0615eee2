"""A small tool registry of real ``Tool(run=...)`` tools, and a script serving it over stdio.

Run as ``python toy_server.py`` to serve MCP over stdio (the stdio tests spawn it); imported by
the tests to build the same registry in process.
"""

from __future__ import annotations

from typing import Any

from ouroboros.errors import InvalidInputError, NotFoundError
from ouroboros.tools.registry import Tool, ToolContext, ToolRegistry


class NoEngine:
    """The registry needs an engine to build a tool context; ``run=`` tools never use it."""

    async def process_async(self, query: Any, entity: Any = None, *, context: Any = None) -> dict:
        raise AssertionError("toy tools do not run queries")


def toy_registry() -> ToolRegistry:
    """Return a registry with read, write, failing and graph tools over an in-memory dict."""
    notes: dict[str, str] = {}
    graph: dict[str, Any] = {
        "entities": [
            {"name": "Alice", "entityType": "person", "observations": ["likes tea"]},
            {"name": "Bob", "entityType": "person", "observations": []},
            {"name": "Ouroboros", "entityType": "project", "observations": ["a snake"]},
        ],
        "relations": [{"from": "Alice", "to": "Ouroboros", "relationType": "works_on"}],
    }

    async def echo(args: dict[str, Any], ctx: ToolContext) -> Any:
        print("a stray print inside a tool")  # must not reach the protocol over stdio
        return {"text": args["text"], "times": args.get("times", 1), "caller": ctx.caller.id}

    async def word_count(args: dict[str, Any], ctx: ToolContext) -> Any:
        return len(args["text"].split())

    async def note_set(args: dict[str, Any], ctx: ToolContext) -> Any:
        notes[args["key"]] = args["value"]
        return {"key": args["key"], "stored": True}

    async def note_get(args: dict[str, Any], ctx: ToolContext) -> Any:
        if args["key"] not in notes:
            raise NotFoundError(f"no note {args['key']!r}", details={"key": args["key"]})
        return {"key": args["key"], "value": notes[args["key"]]}

    async def fail(args: dict[str, Any], ctx: ToolContext) -> Any:
        raise InvalidInputError("always fails", path=["reason"], details={"why": "on purpose"})

    async def crash(args: dict[str, Any], ctx: ToolContext) -> Any:
        raise RuntimeError("a bug")

    async def wrong_shape(args: dict[str, Any], ctx: ToolContext) -> Any:
        return {"count": "not a number"}

    async def read_graph(args: dict[str, Any], ctx: ToolContext) -> Any:
        return graph

    async def open_nodes(args: dict[str, Any], ctx: ToolContext) -> Any:
        names = set(args["names"])
        return {
            "entities": [e for e in graph["entities"] if e["name"] in names],
            "relations": [r for r in graph["relations"] if r["from"] in names or r["to"] in names],
        }

    def obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
        return {"type": "object", "properties": props, "required": required or []}

    text = {"type": "string"}
    graph_schema = obj({"entities": {"type": "array"}, "relations": {"type": "array"}})
    tools = [
        Tool(
            name="echo",
            title="Echo",
            description="Return the text.",
            input_schema=obj({"text": text, "times": {"type": "integer", "minimum": 1}}, ["text"]),
            output_schema=obj({"text": text, "times": {"type": "integer"}, "caller": text}),
            run=echo,
        ),
        Tool(
            name="word_count",
            description="Count the words (an integer result, wrapped for MCP).",
            input_schema=obj({"text": text}, ["text"]),
            output_schema={"type": "integer"},
            run=word_count,
        ),
        Tool(
            name="note_set",
            description="Store a note.",
            input_schema=obj({"key": text, "value": text}, ["key", "value"]),
            output_schema=obj({"key": text, "stored": {"type": "boolean"}}),
            run=note_set,
            writes=True,
            destructive=True,
            idempotent=True,
        ),
        Tool(
            name="note_get",
            description="Read a note.",
            input_schema=obj({"key": text}, ["key"]),
            output_schema=obj({"key": text, "value": text}),
            run=note_get,
        ),
        Tool(
            name="fail",
            description="Always fails with InvalidInputError.",
            input_schema=obj({}),
            run=fail,
        ),
        Tool(name="crash", description="Raises a bug.", input_schema=obj({}), run=crash),
        Tool(
            name="wrong_shape",
            description="Returns a result outside its output schema.",
            input_schema=obj({}),
            output_schema=obj({"count": {"type": "integer"}}),
            run=wrong_shape,
        ),
        Tool(
            name="fetch",
            description="Open world, no output schema.",
            input_schema=obj({}),
            run=echo_world,
            open_world=True,
        ),
        Tool(
            name="read_graph",
            description="The whole graph.",
            input_schema=obj({}),
            output_schema=graph_schema,
            run=read_graph,
        ),
        Tool(
            name="open_nodes",
            description="Some nodes.",
            input_schema=obj({"names": {"type": "array", "items": text}}, ["names"]),
            output_schema=graph_schema,
            run=open_nodes,
        ),
    ]
    return ToolRegistry(tools, engine=NoEngine())


async def echo_world(args: dict[str, Any], ctx: ToolContext) -> Any:
    return ["a", "list", "result"]


def main() -> None:
    import contextlib
    import sys

    import anyio

    from ouroboros.mcp_server import build_mcp_server, serve_stdio
    from ouroboros.mcp_server.stdio import log_to_stderr

    log_to_stderr()
    with contextlib.redirect_stdout(sys.stderr):  # as `ouroboros mcp` does while starting up
        print("a stray print while starting up")
        server = build_mcp_server(toy_registry())
    anyio.run(serve_stdio, server)


if __name__ == "__main__":
    main()
