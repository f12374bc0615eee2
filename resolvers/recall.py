"""Memory over time: recall within a token budget, ingestion, invalidation, purge, history.

Read: ``(:memory/recall {:query "q" :limit 5 :budget-tokens 1000 :as-of "2024-01-01"
:filters {:kind "turn" :source "chat-1" :from "2023-05-01" :to "2023-06-01"}})`` →
``{"items", "tokens", "truncated", "mode"}`` (``ouroboros.memory.recall``); per entity
``:entity/history`` (``[{at, op, kind, text | relation}]``, oldest first).

Mutations: ``graph/invalidate-observations!`` ``{:deletions [{entityName observations at?}]}``
and ``graph/invalidate-relations!`` ``{:relations [{from to relationType at?}]}`` →
``graph/invalidated-count``; ``graph/purge!`` ``{:entityNames [...] :observations [...]}`` →
``graph/purged`` (row counts; always audited); ``memory/ingest!`` ``{:document "notes.md" :text
"..." :kind "markdown"}`` or ``{:transcript {...}}`` or ``{:conversation "id" :turns [...]}`` →
``memory/ingested`` (what was stored, superseded or skipped).

Identity: ``(:graph/resolve {:names ["alice"]})`` → ``[{query, name, match, candidates?}]``
(exact name, else alias, else normalised name); the ident ``[:entity/lookup "alice"]`` gives
``:entity/name`` (so ``{[:entity/lookup "alice"] [:entity/observations]}`` reads the entity
found), ``:entity/match`` and ``:entity/candidates``; per entity ``:entity/aliases``;
``(:graph/near-duplicates {:names [...] :threshold 0.8})`` → ``[{entityName, observation,
similarTo, score}]``. Mutations ``graph/merge-entities!`` ``{:from "alice" :into "Alice"}`` →
``graph/merged`` (always audited) and ``graph/add-aliases!`` ``{:name "Bob" :aliases [...]}``
→ ``graph/aliases``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ouroboros.errors import InvalidInputError
from ouroboros.resolvers.storeuse import audit_write, param, params_of, store_of, store_write

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = ["operations"]


def _plain(value: Any) -> Any:
    """EDN maps arrive with keyword keys: give the memory functions plain string keys."""
    if isinstance(value, Mapping):
        return {str(k).lstrip(":"): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


ATTRIBUTE_DOCS: dict[str, str] = {
    "memory/recall": "The stored passages that best answer a query, packed into a token budget.",
    "entity/history": "Every recorded change to the entity, oldest first.",
    "graph/invalidated-count": "How many were marked no longer valid.",
    "graph/purged": "How many rows of each kind were erased.",
    "memory/ingested": "What the ingest stored, superseded or skipped.",
    "graph/resolve": "Each name asked, with the entity it stands for and how it matched.",
    "entity/lookup": "A name to look the entity up by (exact, alias or normalised).",
    "entity/match": "How the looked-up name matched: exact, alias or normalised (nil: none).",
    "entity/candidates": "The entities an ambiguous looked-up name could mean.",
    "entity/aliases": "The other names the entity is found by.",
    "graph/near-duplicates": "Pairs of one entity's observations that say nearly the same.",
    "graph/merged": "What a merge moved: observations, duplicates merged, relations, aliases.",
    "graph/aliases": "The entity's name and all its aliases after the change.",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the recall, history, invalidation, purge and ingest operations."""
    from ouroboros import document, mutation, resolver
    from ouroboros.memory import ingest_document, ingest_transcript, ingest_turns, recall

    def store(env: Any) -> Any:
        return store_of(runtime, env)

    @resolver(
        name="memory/recall",
        output=["memory/recall"],
        params=["query", "limit", "budget-tokens", "as-of", "filters", "mode"],
        types={"memory/recall": dict},
        blocking=True,
        doc="The passages that answer a query, ranked and packed into a token budget.",
    )
    def recall_resolver(env: Any, _data: Any) -> dict[str, Any]:
        params = _plain(params_of(env))
        got = recall(
            store(env),
            param(params, "query", "q"),
            limit=param(params, "limit"),
            budget_tokens=param(params, "budget-tokens", "budget_tokens", default=1000),
            as_of=param(params, "as-of", "asOf"),
            filters=param(params, "filters"),
            mode=param(params, "mode", default="auto"),
        )
        return {"memory/recall": got}

    @resolver(
        name="entity/history",
        input=["entity/name"],
        output=["entity/history"],
        types={"entity/history": list},
        blocking=True,
        doc="Every recorded change to an entity (add, invalidate, create), oldest first.",
    )
    def history_resolver(env: Any, data: Any) -> dict[str, Any]:
        return {"entity/history": store(env).entity_history(data["entity/name"])["events"]}

    def _items(params: Mapping[str, Any], name: str) -> list[Any]:
        value = param(params, name)
        if not isinstance(value, list):
            raise InvalidInputError(f"missing param {name} (a list)")
        return value

    @mutation(
        name="graph/invalidate-observations!",
        output=["graph/invalidated-count"],
        params=["deletions"],
        blocking=True,
        doc="End observations' validity (at a time, default now) keeping their history.",
    )
    def invalidate_observations(env: Any, params: Any) -> dict[str, Any]:
        wanted = _items(_plain(dict(params or {})), "deletions")
        n = store_write(env, store(env), "invalidate_observations", wanted)
        if n:
            audit_write(runtime, env, "graph/invalidate-observations!", f"{n} observations")
        return {"graph/invalidated-count": n}

    @mutation(
        name="graph/invalidate-relations!",
        output=["graph/invalidated-count"],
        params=["relations"],
        blocking=True,
        doc="End relations' validity (at a time, default now) keeping their history.",
    )
    def invalidate_relations(env: Any, params: Any) -> dict[str, Any]:
        wanted = _items(_plain(dict(params or {})), "relations")
        n = store_write(env, store(env), "invalidate_relations", wanted)
        if n:
            audit_write(runtime, env, "graph/invalidate-relations!", f"{n} relations")
        return {"graph/invalidated-count": n}

    @mutation(
        name="graph/purge!",
        output=["graph/purged"],
        params=["entityNames", "observations"],
        blocking=True,
        doc="Forget entities and observations, every version of them (always audited).",
    )
    def purge(env: Any, params: Any) -> dict[str, Any]:
        p = _plain(dict(params or {}))
        counts = store_write(
            env,
            store(env),
            "purge",
            param(p, "entityNames", "entity-names", "names"),
            param(p, "observations"),
        )
        return {"graph/purged": counts}

    @mutation(
        name="memory/ingest!",
        output=["memory/ingested"],
        params=["document", "text", "kind", "transcript", "conversation", "turns"],
        blocking=True,
        doc="Take in a Markdown/text document, a transcript or conversation turns.",
    )
    def ingest(env: Any, params: Any) -> dict[str, Any]:
        p = _plain(dict(params or {}))
        s = store(env)
        if param(p, "transcript") is not None:
            got = ingest_transcript(s, param(p, "transcript"))
        elif param(p, "turns") is not None:
            got = ingest_turns(s, param(p, "conversation"), param(p, "turns"))
        elif param(p, "text") is not None:
            text = param(p, "text")
            if not isinstance(text, str):
                raise InvalidInputError("text must be a string")
            got = ingest_document(
                s, param(p, "document"), text, kind=param(p, "kind", default="markdown")
            )
        else:
            raise InvalidInputError(
                "memory/ingest! needs {document, text}, {transcript} or {conversation, turns}"
            )
        audit_write(runtime, env, "memory/ingest!", str(got.get("document", "-")))
        return {"memory/ingested": got}

    @resolver(
        name="graph/resolve",
        output=["graph/resolve"],
        params=["names"],
        types={"graph/resolve": list},
        blocking=True,
        doc="Find entities by name: exact, else an alias, else the normalised name.",
    )
    def resolve_resolver(env: Any, _data: Any) -> dict[str, Any]:
        names = param(_plain(params_of(env)), "names", "name")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list):
            raise InvalidInputError('graph/resolve needs names: (:graph/resolve {:names ["A"]})')
        return {"graph/resolve": store(env).resolve_names(names)}

    @resolver(
        name="entity/lookup",
        input=["entity/lookup"],
        output=["entity/name", "entity/match", "entity/candidates"],
        types={"entity/match": str | None, "entity/candidates": list},
        blocking=True,
        doc="The entity a name stands for (exact, alias or normalised name).",
    )
    def lookup_resolver(env: Any, data: Any) -> dict[str, Any]:
        (found,) = store(env).resolve_names([data["entity/lookup"]])
        return {
            "entity/name": found["name"],
            "entity/match": found["match"],
            "entity/candidates": found.get("candidates", []),
        }

    @resolver(
        name="entity/aliases",
        input=["entity/name"],
        output=["entity/aliases"],
        types={"entity/aliases": list},
        blocking=True,
        doc="The other names the entity is found by (merged-away names, given aliases).",
    )
    def aliases_resolver(env: Any, data: Any) -> dict[str, Any]:
        name = data.get("entity/name")
        if not isinstance(name, str) or store(env).get_entity(name) is None:
            return {"entity/aliases": []}
        return {"entity/aliases": store(env).aliases_of(name)["aliases"]}

    @resolver(
        name="graph/near-duplicates",
        output=["graph/near-duplicates"],
        params=["names", "threshold"],
        types={"graph/near-duplicates": list},
        blocking=True,
        doc="Pairs of one entity's observations that say nearly the same (kept, reported).",
    )
    def near_duplicates_resolver(env: Any, _data: Any) -> dict[str, Any]:
        p = _plain(params_of(env))
        names = param(p, "names")
        if isinstance(names, str):
            names = [names]
        threshold = param(p, "threshold", default=0.8)
        return {"graph/near-duplicates": store(env).near_duplicates(names, threshold)}

    @mutation(
        name="graph/merge-entities!",
        output=["graph/merged"],
        params=["from", "into"],
        blocking=True,
        doc="Merge one entity into another, keeping history, relations and its name as alias.",
    )
    def merge_entities(env: Any, params: Any) -> dict[str, Any]:
        p = _plain(dict(params or {}))
        source, into = param(p, "from"), param(p, "into", "to")
        if source is None or into is None:
            raise InvalidInputError(
                'graph/merge-entities! needs from and into: {:from "alice" :into "Alice"}'
            )
        return {"graph/merged": store_write(env, store(env), "merge_entities", source, into)}

    @mutation(
        name="graph/add-aliases!",
        output=["graph/aliases"],
        params=["name", "aliases"],
        blocking=True,
        doc="Record other names an entity is found by.",
    )
    def add_aliases(env: Any, params: Any) -> dict[str, Any]:
        p = _plain(dict(params or {}))
        name, aliases = param(p, "name", "entityName"), param(p, "aliases")
        if name is None or aliases is None:
            raise InvalidInputError(
                'graph/add-aliases! needs name and aliases: {:name "Bob" :aliases ["Robert"]}'
            )
        got = store_write(env, store(env), "add_aliases", name, aliases)
        audit_write(runtime, env, "graph/add-aliases!", str(got["name"]))
        return {"graph/aliases": got}

    return document(
        [
            recall_resolver,
            history_resolver,
            resolve_resolver,
            lookup_resolver,
            aliases_resolver,
            near_duplicates_resolver,
            merge_entities,
            add_aliases,
            invalidate_observations,
            invalidate_relations,
            purge,
            ingest,
        ],
        ATTRIBUTE_DOCS,
    )
