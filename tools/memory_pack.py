"""The memory tool pack: recall within a token budget, ingest, invalidation, history, purge.

Each tool is an EQL query or mutation over the ``recall`` resolvers (``resolvers/recall.py``):
``recall {query, limit?, budget_tokens?, asOf?, filters?}`` → ``{items, tokens, truncated,
mode}``; ``ingest {document, text, kind?} | {transcript} | {conversation, turns}``;
``invalidate_observations`` (the shape of ``delete_observations`` plus an optional ``at`` per
item) and ``invalidate_relations`` (the shape of ``delete_relations``, ``at`` optional) end
facts' validity and keep their history; ``entity_history {name}`` → ``{name, events}``;
``purge {entityNames?, observations?}`` forgets every version (audited).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ouroboros.tools.registry import Tool
from ouroboros.tools.shapes import ident_join, mutation_call, with_params

__all__ = ["MEMORY_PACK_TOOLS", "memory_tools"]

MEMORY_PACK_TOOLS: tuple[str, ...] = (
    "recall",
    "ingest",
    "invalidate_observations",
    "invalidate_relations",
    "entity_history",
    "purge",
)
_TIME = {"type": "string", "description": "ISO 8601 (2024-01-31T12:00:00Z) or '8 May 2023'"}


def _obj(properties: Mapping[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        out["required"] = required
    return out


def _recall() -> Tool:
    def query(args: dict[str, Any], ctx: Any) -> Any:
        params: dict[str, Any] = {"query": args["query"]}
        for arg, key in (
            ("limit", "limit"),
            ("budget_tokens", "budget-tokens"),
            ("asOf", "as-of"),
            ("filters", "filters"),
        ):
            if args.get(arg) is not None:
                params[key] = args[arg]
        from ouroboros.eql import Keyword

        return [with_params(Keyword("memory/recall"), params)]

    return Tool(
        name="recall",
        title="Recall context",
        description=(
            "Return the stored passages (conversation turns, document chunks, entity "
            "observations) that best answer a question, ranked, deduplicated and packed into "
            "budget_tokens (default 1000), each with its source (id, document, kind, time, "
            "speaker). asOf reads the facts valid at that time; filters narrow by kind, source "
            "(document or conversation) and a from/to time window."
        ),
        input_schema=_obj(
            {
                "query": {"type": "string", "description": "The question or topic"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 200},
                "budget_tokens": {"type": "integer", "minimum": 1, "maximum": 100000},
                "asOf": _TIME,
                "filters": _obj(
                    {
                        "kind": {"type": "string", "enum": ["turn", "chunk", "observation"]},
                        "source": {"type": "string"},
                        "from": _TIME,
                        "to": _TIME,
                    }
                ),
            },
            ["query"],
        ),
        query=query,
        shape=lambda result, args, ctx: result["memory/recall"],
    )


def _ingest() -> Tool:
    def query(args: dict[str, Any], ctx: Any) -> Any:
        keys = ("document", "text", "kind", "transcript", "conversation", "turns")
        return [
            mutation_call("memory/ingest!", {k: args[k] for k in keys if args.get(k) is not None})
        ]

    turn = _obj(
        {
            "id": {"type": "string"},
            "speaker": {"type": "string"},
            "text": {"type": "string"},
            "time": _TIME,
            "image_caption": {"type": "string"},
        },
        ["id", "speaker", "text"],
    )
    return Tool(
        name="ingest",
        title="Ingest a document or conversation",
        description=(
            "Store a Markdown or plain-text document (document name + text, chunked on "
            "headings, paragraphs and sentences), a chat transcript ({conversation, sessions: "
            "[{id, time, turns}]}) or conversation turns (conversation + turns) so recall can "
            "find them. Re-sending an unchanged document does nothing; a changed one "
            "supersedes its old chunks."
        ),
        input_schema=_obj(
            {
                "document": {"type": "string", "description": "Document name or path"},
                "text": {"type": "string"},
                "kind": {"type": "string", "enum": ["markdown", "text"]},
                "transcript": {"type": "object"},
                "conversation": {"type": "string"},
                "turns": {"type": "array", "items": turn},
            }
        ),
        query=query,
        shape=lambda result, args, ctx: result["memory/ingest!"]["memory/ingested"],
        writes=True,
        idempotent=True,
    )


def _invalidate(name: str, argument: str, item: dict[str, Any], op: str) -> Tool:
    what = "observations" if "observations" in name else "relations"
    return Tool(
        name=name,
        title=f"Invalidate {what}",
        description=(
            f"End the validity of {what} at 'at' (default now) without erasing them: reads "
            f"stop showing them, entity_history and asOf/knownAt reads still do. Same shape "
            f"as delete_{what}."
        ),
        input_schema=_obj({argument: {"type": "array", "items": item}}, [argument]),
        query=lambda args, ctx: [mutation_call(op, {argument: args[argument]})],
        shape=lambda result, args, ctx: {
            "success": True,
            "invalidated": result[op]["graph/invalidated-count"],
        },
        writes=True,
        idempotent=True,
    )


def _entity_history() -> Tool:
    return Tool(
        name="entity_history",
        title="Entity history",
        description=(
            "Return every recorded change to an entity, oldest first: {events: [{at, op "
            "(create, add, invalidate), kind (entity, observation, relation), text | relation, "
            "validFrom?, validTo?}]}."
        ),
        input_schema=_obj({"name": {"type": "string"}}, ["name"]),
        query=lambda args, ctx: [ident_join("entity/name", args["name"], ["entity/history"])],
        shape=lambda result, args, ctx: {
            "name": args["name"],
            "events": result[("entity/name", args["name"])]["entity/history"],
        },
    )


def _purge() -> Tool:
    deletion = _obj(
        {
            "entityName": {"type": "string"},
            "observations": {"type": "array", "items": {"type": "string"}},
        },
        ["entityName", "observations"],
    )
    return Tool(
        name="purge",
        title="Purge (forget)",
        description=(
            "Forget entities (with their relations) and observations completely: every "
            "version and its history is removed, and an audit record notes the purge (counts "
            "only). Use delete_* or invalidate_* unless the data must be gone."
        ),
        input_schema=_obj(
            {
                "entityNames": {"type": "array", "items": {"type": "string"}},
                "observations": {"type": "array", "items": deletion},
            }
        ),
        query=lambda args, ctx: [
            mutation_call(
                "graph/purge!",
                {k: args[k] for k in ("entityNames", "observations") if args.get(k) is not None},
            )
        ],
        shape=lambda result, args, ctx: {
            "success": True,
            "removed": result["graph/purge!"]["graph/purged"],
        },
        writes=True,
        destructive=True,
        idempotent=True,
    )


def memory_tools() -> list[Tool]:
    """Return the memory pack's tools, in ``MEMORY_PACK_TOOLS`` order."""
    obs_item = _obj(
        {
            "entityName": {"type": "string"},
            "observations": {"type": "array", "items": {"type": "string"}},
            "at": _TIME,
        },
        ["entityName", "observations"],
    )
    rel_item = _obj(
        {
            "from": {"type": "string"},
            "to": {"type": "string"},
            "relationType": {"type": "string"},
            "at": _TIME,
        },
        ["from", "to", "relationType"],
    )
    return [
        _recall(),
        _ingest(),
        _invalidate(
            "invalidate_observations", "deletions", obs_item, "graph/invalidate-observations!"
        ),
        _invalidate("invalidate_relations", "relations", rel_item, "graph/invalidate-relations!"),
        _entity_history(),
        _purge(),
    ]
