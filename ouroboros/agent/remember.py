"""The ``remember`` tool: the agent writes a fact to the knowledge graph as an observation."""

from __future__ import annotations

from typing import Any

from ouroboros.tools.registry import Tool, ToolContext
from ouroboros.tools.shapes import mutation_call

__all__ = ["remember_tool"]


async def _remember(args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    about = args.get("about") or "user"
    fact = args["fact"]
    kind = args.get("type") or "memory"
    created = await ctx.engine.process_async(
        [
            mutation_call(
                "graph/create-entities!",
                {"entities": [{"name": about, "entityType": kind, "observations": [fact]}]},
                [{"graph/created-entities": ["entity/name"]}],
            )
        ],
        context=ctx.context,
    )
    made = (created.get("graph/create-entities!") or {}).get("graph/created-entities") or []
    if not made:  # the entity existed: add the fact to it
        await ctx.engine.process_async(
            [
                mutation_call(
                    "graph/add-observations!",
                    {"observations": [{"entityName": about, "contents": [fact]}]},
                    [{"graph/added-observations": ["entity/name"]}],
                )
            ],
            context=ctx.context,
        )
    return {"remembered": fact, "about": about, "new_entity": bool(made)}


def remember_tool() -> Tool:
    """Return the ``remember`` tool (needs the write scope; audited like every write)."""
    return Tool(
        name="remember",
        title="Remember a fact",
        description=(
            "Remember a fact for later conversations: it is stored as an observation on an "
            "entity of the knowledge graph (default entity: 'user')."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "fact": {"type": "string", "minLength": 1, "description": "The fact, one sentence"},
                "about": {
                    "type": "string",
                    "description": "The entity it is about (default: user)",
                },
                "type": {"type": "string", "description": "The entity's type when it is new"},
            },
            "required": ["fact"],
            "additionalProperties": False,
        },
        output_schema={
            "type": "object",
            "properties": {
                "remembered": {"type": "string"},
                "about": {"type": "string"},
                "new_entity": {"type": "boolean"},
            },
            "required": ["remembered", "about", "new_entity"],
        },
        run=_remember,
        writes=True,
        idempotent=False,
    )
