"""A real service for the HTTP tests: DuckDB store, built-in resolvers plus a small people graph."""

from __future__ import annotations

from typing import Any

from ouroboros import mutation, resolver
from ouroboros.config import Settings
from ouroboros.connect.attributes import AttributeSpec
from ouroboros.service import Service

PEOPLE: dict[str, dict[str, Any]] = {
    "Alice": {"type": "person", "age": 31, "friends": ["Bob", "Carol"]},
    "Bob": {"type": "person", "age": 42, "friends": ["Alice"]},
    "Carol": {"type": "robot", "age": 3, "friends": []},
}


def people_operations(notes: dict[str, str]) -> list[Any]:
    """Resolvers over PEOPLE: an ident entry point, joins, params, a mutation."""

    @resolver(
        name="person/by-name",
        input=["person/name"],
        output=["person/type", "person/age", {"person/friends": ["person/name"]}],
        types={"person/age": int, "person/type": str, "person/friends": list[dict]},
        doc="A person's type, age and friends.",
    )
    def person(inp: dict[str, Any]) -> dict[str, Any]:
        row = PEOPLE.get(inp["person/name"])
        if row is None:
            return {}
        return {
            "person/type": row["type"],
            "person/age": row["age"],
            "person/friends": [{"person/name": f} for f in row["friends"]],
        }

    @resolver(
        name="person/greeting",
        input=["person/name"],
        output=["person/greeting"],
        params=["style"],
        types={"person/greeting": str},
    )
    def greeting(env: Any, inp: dict[str, Any]) -> dict[str, Any]:
        style = (env.params or {}).get("style", "plain")
        text = f"Hello, {inp['person/name']}"
        return {"person/greeting": text.upper() if style == "loud" else text}

    @resolver(
        name="people/all",
        output=[{"people/all": ["person/name"]}],
        params=["limit"],
        types={"people/all": list[dict]},
        doc="Everyone, at most :limit.",
    )
    def everyone(env: Any, _inp: Any) -> dict[str, Any]:
        limit = (env.params or {}).get("limit")
        names = sorted(PEOPLE)
        if isinstance(limit, int):
            names = names[:limit]
        return {"people/all": [{"person/name": n} for n in names]}

    @resolver(name="people/count", output=["people/count"], types={"people/count": int})
    def count(_inp: Any) -> dict[str, Any]:
        return {"people/count": len(PEOPLE)}

    @resolver(name="people/broken", output=["people/broken"])
    def broken(_inp: Any) -> dict[str, Any]:
        raise RuntimeError("this resolver always fails")

    @mutation(name="notes/add!", output=["notes/count"])
    def add_note(params: dict[str, Any]) -> dict[str, Any]:
        notes[str(params.get("key"))] = str(params.get("text"))
        return {"notes/count": len(notes)}

    return [person, greeting, everyone, count, broken, add_note]


def fixture_tools() -> list[Any]:
    """A read tool and a write tool, built like the real ones (query templates)."""
    from ouroboros.tools.registry import Tool

    def people_query(args: dict[str, Any], ctx: Any) -> str:
        return "[:people/count]"

    async def note_run(args: dict[str, Any], ctx: Any) -> Any:
        from ouroboros.eql import to_edn

        params = to_edn({"key": args["key"], "text": args["text"]})
        result = await ctx.engine.process_async(f"[(notes/add! {params})]", context=ctx.context)
        return {"stored": args["key"], "count": result["notes/add!"]["notes/count"]}

    return [
        Tool(
            name="people_count",
            description="How many people there are.",
            input_schema={"type": "object", "properties": {}},
            query=people_query,
            shape=lambda result, args, ctx: {"count": result["people/count"]},
        ),
        Tool(
            name="people_broken",
            description="Always fails in its resolver (for error-shape tests).",
            input_schema={"type": "object", "properties": {}},
            query=lambda args, ctx: "[:people/broken]",
        ),
        Tool(
            name="note_add",
            description="Store a note.",
            input_schema={
                "type": "object",
                "properties": {"key": {"type": "string"}, "text": {"type": "string"}},
                "required": ["key", "text"],
            },
            run=note_run,
            writes=True,
            idempotent=False,
        ),
    ]


def make_service(settings: Settings) -> Service:
    """Return a service over a real store at ``settings.db_path`` (close it with ``close()``)."""
    from ouroboros.service import build_service
    from ouroboros.store import open_store

    store = open_store(settings.db_path, embedder="hash")
    notes: dict[str, str] = {}
    return build_service(
        settings,
        store,
        operations=people_operations(notes),
        tools=fixture_tools(),
        attributes=[AttributeSpec("person/name", str, doc="A person's unique name.")],
    )
