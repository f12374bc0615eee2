"""An example Ouroboros plugin: ``:stats/word-count`` and ``:stats/observation-count`` for any
``[:entity/name ...]``, and an ``entity_stats`` tool that asks for them.

Install it (``pip install examples/ouroboros-entity-stats``) and every ``ouroboros`` command
finds it through the ``ouroboros.plugins`` entry point; or point ``--plugins`` at this folder.
"""

from __future__ import annotations

from typing import Any

from ouroboros import resolver
from ouroboros.tools.registry import Tool

__all__ = ["plugin"]


def plugin(ctx: Any) -> list[Any]:
    """Return what the plugin adds: one resolver and one tool (its manifest lists both)."""

    @resolver(
        name="entity-stats/counts",
        input=["entity/name"],
        output=["stats/observation-count", "stats/word-count"],
    )
    def counts(env: Any, data: dict[str, Any]) -> dict[str, Any]:
        """Count an entity's observations and their words (reads the store: store-read)."""
        entity = env.store.get_entity(data["entity/name"]) or {}
        observations = entity.get("observations", [])
        return {
            "stats/observation-count": len(observations),
            "stats/word-count": sum(len(o.split()) for o in observations),
        }

    stats_tool = Tool(
        name="entity_stats",
        title="Entity statistics",
        description="Count an entity's observations and the words in them.",
        input_schema={
            "type": "object",
            "properties": {"name": {"type": "string", "description": "The entity's name."}},
            "required": ["name"],
            "additionalProperties": False,
        },
        output_schema={
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "observations": {"type": "integer"},
                "words": {"type": "integer"},
            },
            "required": ["name", "observations", "words"],
        },
        query=lambda args, ctx: [
            {("entity/name", args["name"]): ["stats/observation-count", "stats/word-count"]}
        ],
        shape=lambda result, args, ctx: {
            "name": args["name"],
            "observations": result[("entity/name", args["name"])]["stats/observation-count"],
            "words": result[("entity/name", args["name"])]["stats/word-count"],
        },
    )
    return [counts, stats_tool]
