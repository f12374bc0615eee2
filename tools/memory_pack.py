"""The memory tool pack: recall within a token budget, ingest, invalidation, history, purge.

Each tool is an EQL query or mutation over the ``recall`` resolvers (``resolvers/recall.py``):
``recall {query, limit?, budget_tokens?, asOf?, filters?}`` → ``{items, tokens, truncated,
mode}``; ``ingest {document, text, kind?} | {transcript} | {conversation, turns}``;
``invalidate_observations`` (the shape of ``delete_observations`` plus an optional ``at`` per
item) and ``invalidate_relations`` (the shape of ``delete_relations``, ``at`` optional) end
facts' validity and keep their history; ``entity_history {name}`` → ``{name, events}``;
``purge {entityNames?, observations?}`` forgets every version (audited). Identity:
``resolve_names {names}`` (exact, alias or normalised name), ``add_aliases {name, aliases}``,
``merge_entities {from, into}`` (keeps history and relations; audited) and ``near_duplicates
{names?, threshold?}``. The official tools' writes never go through names' normal forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ouroboros.eql import Keyword
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
    "resolve_names",
    "add_aliases",
    "merge_entities",
    "near_duplicates",
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


def _resolve_names() -> Tool:
    return Tool(
        name="resolve_names",
        title="Find entities by name",
        description=(
            "Find the entity each name stands for: the exact name, else an alias (a name "
            "merged away or added with add_aliases), else the same name up to case, spaces, "
            "'_'/'-' and trailing punctuation. Ambiguous names list their candidates."
        ),
        input_schema=_obj(
            {"names": {"type": "array", "items": {"type": "string"}, "minItems": 1}}, ["names"]
        ),
        query=lambda args, ctx: [with_params(Keyword("graph/resolve"), {"names": args["names"]})],
        shape=lambda result, args, ctx: {"matches": result[Keyword("graph/resolve")]},
    )


def _add_aliases() -> Tool:
    return Tool(
        name="add_aliases",
        title="Add aliases",
        description=(
            "Record other names an entity is found by (resolve_names, merge_entities). An "
            "alias that is another entity's name or alias is refused: merge them instead."
        ),
        input_schema=_obj(
            {
                "name": {"type": "string", "description": "The entity (name or alias)"},
                "aliases": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            },
            ["name", "aliases"],
        ),
        query=lambda args, ctx: [
            mutation_call("graph/add-aliases!", {"name": args["name"], "aliases": args["aliases"]})
        ],
        shape=lambda result, args, ctx: result["graph/add-aliases!"]["graph/aliases"],
        writes=True,
        idempotent=True,
    )


def _merge_entities() -> Tool:
    return Tool(
        name="merge_entities",
        title="Merge entities",
        description=(
            "Merge entity 'from' into 'into' (names found as resolve_names does): every "
            "observation and relation of 'from', with its history, moves to 'into' (exact "
            "duplicates merged), 'from' becomes an alias of 'into', and the merge is audited."
        ),
        input_schema=_obj(
            {
                "from": {"type": "string", "description": "The entity to merge away"},
                "into": {"type": "string", "description": "The entity to keep"},
            },
            ["from", "into"],
        ),
        query=lambda args, ctx: [
            mutation_call("graph/merge-entities!", {"from": args["from"], "into": args["into"]})
        ],
        shape=lambda result, args, ctx: result["graph/merge-entities!"]["graph/merged"],
        writes=True,
        destructive=True,
        idempotent=False,
    )


def _near_duplicates() -> Tool:
    def query(args: dict[str, Any], ctx: Any) -> Any:
        params: dict[str, Any] = {}
        if args.get("names") is not None:
            params["names"] = args["names"]
        if args.get("threshold") is not None:
            params["threshold"] = args["threshold"]
        return [with_params(Keyword("graph/near-duplicates"), params)]

    return Tool(
        name="near_duplicates",
        title="Near-duplicate observations",
        description=(
            "Report pairs of one entity's observations that say nearly the same (equal up to "
            "case and punctuation, or sharing most stemmed words): they are kept, not dropped, "
            "so you can delete or invalidate one."
        ),
        input_schema=_obj(
            {
                "names": {"type": "array", "items": {"type": "string"}},
                "threshold": {"type": "number", "minimum": 0.5, "maximum": 1},
            }
        ),
        query=query,
        shape=lambda result, args, ctx: {"duplicates": result[Keyword("graph/near-duplicates")]},
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
        _resolve_names(),
        _add_aliases(),
        _merge_entities(),
        _near_duplicates(),
    ]
