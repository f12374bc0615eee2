"""Knowledge-graph resolvers: ``:entity/*`` by name, relations as joins, search, paths, writes.

Entities are entered by ident, ``[:entity/name "Alice"]``; relations are maps whose
``:relation/from`` and ``:relation/to`` are entities, so a query walks the graph::

    [{[:entity/name "Alice"]
      [:entity/type
       {:entity/relations-out [:relation/type {:relation/to [:entity/name :entity/type]}]}]}]

The per-entity resolvers are batch resolvers: the entities of a list (search hits, relation
targets) cost one store call per attribute group, not one per entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ouroboros.errors import InvalidInputError
from ouroboros.resolvers.storeuse import (
    audit_write,
    blocks_unless_in_memory,
    count_param,
    param,
    params_of,
    store_of,
    store_write,
)

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = [
    "ENTITY_ATTRS",
    "RELATION_QUERY",
    "entity_attrs",
    "entity_input",
    "operations",
    "relation_attrs",
    "relation_input",
]

ENTITY_ATTRS = [
    "entity/type",
    "entity/observations",
    "entity/created-at",
    "entity/updated-at",
    "entity/exists?",
]
ENTITY_SUMMARY = ["entity/name", *ENTITY_ATTRS]
RELATION_QUERY: list[Any] = [
    "relation/type",
    "relation/created-at",
    {"relation/from": ["entity/name"]},
    {"relation/to": ["entity/name"]},
]
DEFAULT_SEARCH_LIMIT = 10
MAX_SEARCH_LIMIT = 1000
MAX_DEPTH = 6
MAX_NODES = 10_000
DIRECTIONS = ("out", "in", "both")
_MAX_NAME_CHARS = 1024
WALK_PARAMS = ["depth", "direction", "relation-type", "limit"]
ENTITY_TYPES: dict[str, Any] = {
    "entity/type": str | None,
    "entity/observations": list | None,
    "entity/created-at": str | None,
    "entity/updated-at": str | None,
    "entity/exists?": bool,
}


def entity_attrs(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``:entity/*`` attributes of a store entity record."""
    return {
        "entity/name": entity["name"],
        "entity/type": entity["entityType"],
        "entity/observations": list(entity.get("observations", [])),
        "entity/created-at": entity.get("created_at"),
        "entity/updated-at": entity.get("updated_at"),
        "entity/exists?": True,
    }


def _absent_entity() -> dict[str, Any]:
    return {
        "entity/type": None,
        "entity/observations": None,
        "entity/created-at": None,
        "entity/updated-at": None,
        "entity/exists?": False,
    }


def relation_attrs(relation: Mapping[str, Any]) -> dict[str, Any]:
    """Return the ``:relation/*`` attributes of a store relation (endpoints as entity joins)."""
    return {
        "relation/type": relation["relationType"],
        "relation/from": {"entity/name": relation["from"]},
        "relation/to": {"entity/name": relation["to"]},
        "relation/created-at": relation.get("created_at"),
    }


def _usable_name(value: Any) -> str | None:
    """Return ``value`` if an entity could have it as a name, else None (then it is absent)."""
    if not isinstance(value, str):
        return None
    name = str.__str__(value)
    if not name.strip() or len(name) > _MAX_NAME_CHARS or any(ord(c) < 32 for c in name):
        return None
    return name


def _pick(item: Mapping[Any, Any], *names: str) -> Any:
    for name in names:
        if name in item:
            return item[name]
    return None


def _require_map(item: Any, where: str) -> Mapping[Any, Any]:
    if not isinstance(item, Mapping):
        raise InvalidInputError(f"{where} must be a map, got {type(item).__name__}")
    return item


def _require_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise InvalidInputError(f"{where} must be a list, got {type(value).__name__}")
    return list(value)


def entity_input(item: Any, where: str = "entity") -> dict[str, Any]:
    """Return a store entity (``{name, entityType, observations}``) from the official shape or
    the EQL one (``{:entity/name :entity/type :entity/observations}``)."""
    item = _require_map(item, where)
    observations = _pick(item, "observations", "entity/observations")
    return {
        "name": _pick(item, "name", "entity/name"),
        "entityType": _pick(item, "entityType", "entity/type", "type"),
        "observations": [] if observations is None else observations,
    }


def relation_input(item: Any, where: str = "relation") -> dict[str, Any]:
    """Return a store relation (``{from, to, relationType}``) from the official shape or the EQL
    one (``{:relation/from "A" :relation/to "B" :relation/type "knows"}``; endpoints may be
    ``{:entity/name "A"}`` maps)."""
    item = _require_map(item, where)

    def endpoint(value: Any) -> Any:
        if isinstance(value, Mapping):
            return _pick(value, "entity/name", "name")
        return value

    return {
        "from": endpoint(_pick(item, "from", "relation/from")),
        "to": endpoint(_pick(item, "to", "relation/to")),
        "relationType": _pick(item, "relationType", "relation/type", "type"),
    }


def _direction(value: Any) -> str:
    direction = "both" if value is None else value
    if direction not in DIRECTIONS:
        raise InvalidInputError(f"direction must be one of {', '.join(DIRECTIONS)}, got {value!r}")
    return str(direction)


def _names_param(value: Any, what: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    names = _require_list(value, what)
    if not all(isinstance(n, str) for n in names):
        raise InvalidInputError(f"{what} must be a list of strings")
    return [str.__str__(n) for n in names]


TIME_PARAMS = ["as-of", "known-at"]


def time_params(params: Mapping[str, Any]) -> tuple[str | None, str | None] | None:
    """Return ``(as_of, known_at)`` as ISO 8601 UTC text when either param is given, else None
    (a read of what is valid and known now).

    Raises InvalidInputError for an unreadable or ambiguous time (``03/04/2023``).
    """
    from ouroboros.store.clock import iso
    from ouroboros.store.timeparse import time_arg

    as_of = param(params, "as-of", "asOf")
    known_at = param(params, "known-at", "knownAt")
    if as_of is None and known_at is None:
        return None
    return iso(time_arg(as_of, "asOf")), iso(time_arg(known_at, "knownAt"))


def _timed(params_block: Any) -> Any:
    """A ``blocking=`` predicate: a read with asOf / knownAt runs SQL, so always a thread."""

    def blocking(env: Any) -> bool:
        params = params_of(env)
        if param(params, "as-of", "asOf") is not None:
            return True
        if param(params, "known-at", "knownAt") is not None:
            return True
        return bool(params_block(env))

    return blocking


ATTRIBUTE_DOCS: dict[str, str] = {
    "entity/name": "A knowledge-graph entity's unique name.",
    "entity/type": "The entity's type (e.g. person).",
    "entity/observations": "The entity's observations, as text.",
    "entity/created-at": "When the entity was created (ISO 8601, UTC).",
    "entity/updated-at": "When the entity last changed (ISO 8601, UTC).",
    "entity/exists?": "Whether an entity with this name exists.",
    "entity/relations-out": "The relations from this entity to others.",
    "entity/relations-in": "The relations from others to this entity.",
    "entity/neighbours": "The entities within depth hops (params depth, direction, relation-type, limit).",
    "neighbour/depth": "How many hops away the neighbour is.",
    "relation/type": "The relation's type, in active voice (e.g. works_at).",
    "relation/from": "The entity the relation starts at.",
    "relation/to": "The entity the relation points to.",
    "relation/created-at": "When the relation was created (ISO 8601, UTC).",
    "graph/search": "The entities matching a search (params query, limit, mode), best first.",
    "search/score": "How well the entity matches the search (higher is better).",
    "graph/search-meta": "How the search ran: its mode, total and any note.",
    "graph/nodes": "The named entities that exist, in the order asked (param names).",
    "graph/path": "A shortest relation chain between two entities (params from, to, max-depth).",
    "path/found?": "Whether a path was found within the depth limit.",
    "path/length": "How many relations the path has.",
    "path/entities": "The entities along the path, in order.",
    "path/relations": "The relations along the path, in order.",
    "graph/neighbours": "An entity's neighbourhood within depth hops (params name, depth, ...).",
    "neighbours/root": "The entity the neighbourhood is around.",
    "neighbours/entities": "The entities in the neighbourhood.",
    "neighbours/relations": "The relations among the neighbourhood's entities.",
    "neighbours/truncated?": "Whether the neighbourhood was cut at the limit.",
    "graph/stats": "How many entities, relations and observations the graph holds.",
    "graph/entities": "A page of entities by name (params offset, limit).",
    "graph/page": "A page of the graph: entities, their outgoing relations and counts.",
    "graph/relations": "The relations on this page (each with its source entity's page).",
    "page/offset": "Where the page starts.",
    "page/total": "How many entities there are in all.",
    "page/total-relations": "How many relations there are in all.",
    "page/next-offset": "The offset of the next page (nil on the last).",
    "graph/created-entities": "The entities created (names that existed are skipped).",
    "graph/created-relations": "The relations created (duplicates are skipped).",
    "graph/created-count": "How many were created.",
    "graph/added-observations": "The observations added, per entity.",
    "observation/added": "The observations added to that entity (ones it had are skipped).",
    "graph/deleted-count": "How many were deleted.",
    "graph/renamed-from": "The entity's name before the rename.",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the knowledge-graph resolvers and mutations over ``runtime.store``.

    Per entity (ident ``[:entity/name "A"]``, batch): ``:entity/type :entity/observations
    :entity/created-at :entity/updated-at :entity/exists?`` (an unknown name gives exists?
    false and nil attributes), ``{:entity/relations-out [...]}`` / ``{:entity/relations-in
    [...]}`` (relation maps ``{:relation/type :relation/created-at :relation/from {entity}
    :relation/to {entity}}``), ``(:entity/neighbours {:depth 2 :direction "both"
    :relation-type "knows" :limit 100})`` (entities with ``:neighbour/depth``).

    Global, with params: ``(:graph/search {:query "q" :limit 10 :mode "auto"})`` (entities with
    ``:search/score``, best first) and ``:graph/search-meta`` (``{search/mode, search/total,
    search/note}``) from the same call; ``(:graph/nodes {:names [...]})`` (the entities that
    exist, in the order asked); ``(:graph/path {:from "A" :to "B" :max-depth 6})``
    (``{path/found?, path/length, path/entities, path/relations}``); ``(:graph/neighbours
    {:name "A" :depth 1})`` (``{neighbours/root, neighbours/entities, neighbours/relations,
    neighbours/truncated?}``); ``:graph/stats`` (``{graph/entity-count, graph/relation-count,
    graph/observation-count}``); ``(:graph/entities {:offset 0 :limit 100})`` and
    ``(:graph/page {:offset 0 :limit 100})`` (``{graph/entities, graph/relations, page/offset,
    page/total, page/total-relations, page/next-offset}``; each relation is on the page of its
    source entity; no limit = everything).

    Mutations (official camelCase items and ``:entity/*`` / ``:relation/*`` items both accepted):
    ``graph/create-entities!`` ``{:entities [...]}`` → ``graph/created-entities
    graph/created-count`` (existing names skipped); ``graph/create-relations!`` ``{:relations
    [...]}`` → ``graph/created-relations graph/created-count`` (duplicates skipped; a missing
    endpoint is a NotFoundError and nothing is written); ``graph/add-observations!``
    ``{:observations [{entityName contents validFrom? validTo?}]}`` → ``graph/added-observations`` (``[{entity/name,
    observation/added}]``; a missing entity is a NotFoundError); ``graph/delete-entities!``
    ``{:names [...]}`` (cascades), ``graph/delete-observations!`` ``{:deletions [...]}``,
    ``graph/delete-relations!`` ``{:relations [...]}`` → ``graph/deleted-count``;
    ``graph/rename-entity!`` ``{:from "A" :to "B"}`` → the entity's attributes and
    ``graph/renamed-from``.
    """
    from ouroboros import document, mutation, resolver

    def store(env: Any) -> Any:
        return store_of(runtime, env)

    # In-memory reads of the owner run inline on the event loop; otherwise in a worker thread.
    entities_block = _timed(blocks_unless_in_memory(runtime, "get_entities"))
    relations_block = _timed(blocks_unless_in_memory(runtime, "relations_of"))
    search_block = _timed(
        blocks_unless_in_memory(
            runtime, "search", lambda env: (param(params_of(env), "mode", default="auto"),)
        )
    )

    # --- per entity --------------------------------------------------------------------

    @resolver(
        name="entity/core",
        doc="A knowledge-graph entity's type, observations and times (batched).",
        input=["entity/name"],
        output=ENTITY_ATTRS,
        params=TIME_PARAMS,
        types=ENTITY_TYPES,
        batch=True,
        blocking=entities_block,
    )
    def entity_resolver(env: Any, inputs: list[Any]) -> list[dict[str, Any]]:
        names = [_usable_name(i.get("entity/name")) for i in inputs]
        wanted = list(dict.fromkeys(n for n in names if n is not None))
        times = time_params(params_of(env))
        if times is not None:
            at = store(env).open_nodes_at(wanted, *times) if wanted else {"entities": []}
            found = {e["name"]: e for e in at["entities"]}
        else:
            found = store(env).get_entities(wanted) if wanted else {}
        out = []
        for name in names:
            entity = found.get(name) if name is not None else None
            if entity is None:
                out.append(_absent_entity())
            else:
                attrs = entity_attrs(entity)
                attrs.pop("entity/name")
                out.append(attrs)
        return out

    def relations_by(env: Any, inputs: list[Any], direction: str) -> list[list[dict[str, Any]]]:
        names = [_usable_name(i.get("entity/name")) for i in inputs]
        wanted = list(dict.fromkeys(n for n in names if n is not None))
        times = time_params(params_of(env))
        if times is not None:
            at = store(env).open_nodes_at(wanted, *times) if wanted else {"relations": []}
            key = "from" if direction == "out" else "to"
            asked = set(wanted)
            rels = [r for r in at["relations"] if r[key] in asked]
        else:
            rels = store(env).relations_of(wanted, direction) if wanted else []
        side = "from" if direction == "out" else "to"
        grouped: dict[str, list[dict[str, Any]]] = {}
        for rel in rels:
            grouped.setdefault(rel[side], []).append(relation_attrs(rel))
        return [grouped.get(n, []) if n is not None else [] for n in names]

    @resolver(
        name="entity/relations-out",
        doc="The relations from an entity to others.",
        input=["entity/name"],
        output=[{"entity/relations-out": RELATION_QUERY}],
        params=TIME_PARAMS,
        types={"entity/relations-out": list},
        batch=True,
        blocking=relations_block,
    )
    def relations_out_resolver(env: Any, inputs: list[Any]) -> list[dict[str, Any]]:
        return [{"entity/relations-out": rs} for rs in relations_by(env, inputs, "out")]

    @resolver(
        name="entity/relations-in",
        doc="The relations from others to an entity.",
        input=["entity/name"],
        output=[{"entity/relations-in": RELATION_QUERY}],
        params=TIME_PARAMS,
        types={"entity/relations-in": list},
        batch=True,
        blocking=relations_block,
    )
    def relations_in_resolver(env: Any, inputs: list[Any]) -> list[dict[str, Any]]:
        return [{"entity/relations-in": rs} for rs in relations_by(env, inputs, "in")]

    def walk_params(params: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "depth": count_param(
                param(params, "depth"), name="depth", default=1, low=1, high=MAX_DEPTH
            ),
            "direction": _direction(param(params, "direction")),
            "relation_type": param(params, "relation-type", "relationType"),
            "limit": count_param(
                param(params, "limit"), name="limit", default=1000, low=1, high=MAX_NODES
            ),
        }

    @resolver(
        name="entity/neighbours",
        doc="The entities within some hops of an entity.",
        input=["entity/name"],
        output=[{"entity/neighbours": ["entity/name", "entity/type", "neighbour/depth"]}],
        params=WALK_PARAMS,
        types={"entity/neighbours": list},
        blocking=True,
    )
    def entity_neighbours_resolver(env: Any, data: Any) -> dict[str, Any]:
        name = _usable_name(data.get("entity/name"))
        options = walk_params(params_of(env))
        st = store(env)
        if name is None or st.get_entity(name) is None:
            return {"entity/neighbours": []}
        found = st.neighbours(name, **options)
        return {
            "entity/neighbours": [
                {
                    "entity/name": n["name"],
                    "entity/type": n["entityType"],
                    "neighbour/depth": n["depth"],
                }
                for n in found["nodes"]
            ]
        }

    # --- global, with params -------------------------------------------------------------

    @resolver(
        name="graph/search",
        doc="The entities matching a search text, best first, and how the search ran.",
        output=[
            {"graph/search": [*ENTITY_SUMMARY, "search/score"]},
            "graph/search-meta",
        ],
        params=["query", "limit", "mode", *TIME_PARAMS],
        types={"graph/search": list, "graph/search-meta": dict},
        blocking=search_block,
    )
    def search_resolver(env: Any, _data: Any) -> dict[str, Any]:
        params = params_of(env)
        query = param(params, "query", "q")
        if not isinstance(query, str) or not query.strip():
            raise InvalidInputError(
                'graph/search needs a non-empty query param: (:graph/search {:query "..."})'
            )
        limit = count_param(
            param(params, "limit"),
            name="limit",
            default=DEFAULT_SEARCH_LIMIT,
            low=1,
            high=MAX_SEARCH_LIMIT,
        )
        mode = param(params, "mode", default="auto")
        times = time_params(params)
        if times is None:
            found = store(env).search(query, limit, mode)
        elif mode in ("auto", "keyword"):
            found = store(env).search_at(query, limit, *times)
        else:
            raise InvalidInputError(
                f"a search with asOf / knownAt is keyword only; mode {mode!r} is not available "
                "for the past (leave mode out or give keyword)",
                details={"mode": mode},
            )
        hits = []
        for r in found["results"]:
            attrs = entity_attrs(r)
            attrs["search/score"] = r.get("score")
            hits.append(attrs)
        meta = {
            "search/query": query,
            "search/mode": found.get("mode"),
            "search/total": found.get("total"),
            "search/note": found.get("note"),
        }
        return {"graph/search": hits, "graph/search-meta": meta}

    @resolver(
        name="graph/nodes",
        doc="The named entities that exist, in the order asked.",
        output=[{"graph/nodes": ENTITY_SUMMARY}],
        params=["names", *TIME_PARAMS],
        types={"graph/nodes": list},
        blocking=entities_block,
    )
    def nodes_resolver(env: Any, _data: Any) -> dict[str, Any]:
        params = params_of(env)
        names = _names_param(param(params, "names", "name", default=[]), "names")
        usable = list(dict.fromkeys(n for n in names if _usable_name(n) is not None))
        times = time_params(params)
        if times is not None:
            at = store(env).open_nodes_at(usable, *times) if usable else {"entities": []}
            found = {e["name"]: e for e in at["entities"]}
        else:
            found = store(env).get_entities(usable) if usable else {}
        return {"graph/nodes": [entity_attrs(found[n]) for n in usable if n in found]}

    @resolver(
        name="graph/path",
        doc="A shortest chain of relations between two entities.",
        output=[
            {
                "graph/path": [
                    "path/found?",
                    "path/length",
                    {"path/entities": ["entity/name"]},
                    {"path/relations": RELATION_QUERY},
                ]
            }
        ],
        params=["from", "to", "max-depth", "direction", "relation-type"],
        types={"graph/path": dict},
        blocking=True,
    )
    def path_resolver(env: Any, _data: Any) -> dict[str, Any]:
        params = params_of(env)
        src, dst = param(params, "from", "source"), param(params, "to", "target")
        if not isinstance(src, str) or not isinstance(dst, str):
            raise InvalidInputError(
                'graph/path needs from and to params: (:graph/path {:from "A" :to "B"})'
            )
        max_depth = count_param(
            param(params, "max-depth", "maxDepth"),
            name="max-depth",
            default=MAX_DEPTH,
            low=1,
            high=MAX_DEPTH,
        )
        found = store(env).shortest_path(
            src,
            dst,
            max_depth,
            direction=_direction(param(params, "direction")),
            relation_type=param(params, "relation-type", "relationType"),
        )
        if found is None:
            return {
                "graph/path": {
                    "path/found?": False,
                    "path/length": None,
                    "path/entities": [],
                    "path/relations": [],
                }
            }
        return {
            "graph/path": {
                "path/found?": True,
                "path/length": found["length"],
                "path/entities": [{"entity/name": n} for n in found["path"]],
                "path/relations": [relation_attrs(r) for r in found["relations"]],
            }
        }

    @resolver(
        name="graph/neighbours",
        doc="An entity's neighbourhood: entities within some hops and their relations.",
        output=[
            {
                "graph/neighbours": [
                    {"neighbours/root": ["entity/name"]},
                    {"neighbours/entities": ["entity/name", "entity/type", "neighbour/depth"]},
                    {"neighbours/relations": RELATION_QUERY},
                    "neighbours/truncated?",
                ]
            }
        ],
        params=["name", *WALK_PARAMS],
        types={"graph/neighbours": dict},
        blocking=True,
    )
    def neighbours_resolver(env: Any, _data: Any) -> dict[str, Any]:
        params = params_of(env)
        name = param(params, "name", "entity/name")
        if not isinstance(name, str):
            raise InvalidInputError(
                'graph/neighbours needs a name param: (:graph/neighbours {:name "A"})'
            )
        found = store(env).neighbours(name, **walk_params(params))
        return {
            "graph/neighbours": {
                "neighbours/root": {"entity/name": found["root"]},
                "neighbours/entities": [
                    {
                        "entity/name": n["name"],
                        "entity/type": n["entityType"],
                        "neighbour/depth": n["depth"],
                    }
                    for n in found["nodes"]
                ],
                "neighbours/relations": [relation_attrs(r) for r in found["relations"]],
                "neighbours/truncated?": bool(found.get("truncated")),
            }
        }

    @resolver(
        name="graph/stats",
        doc="How many entities, relations and observations the graph holds.",
        output=["graph/stats"],
        types={"graph/stats": dict},
        blocking=True,
    )
    def stats_resolver(env: Any, _data: Any) -> dict[str, Any]:
        counts = store(env).counts()
        return {
            "graph/stats": {
                "graph/entity-count": counts.get("entities", 0),
                "graph/relation-count": counts.get("relations", 0),
                "graph/observation-count": counts.get("observations", 0),
            }
        }

    def page_params(params: Mapping[str, Any]) -> tuple[int, int | None]:
        offset = count_param(param(params, "offset"), name="offset", default=0, low=0, high=2**62)
        raw_limit = param(params, "limit")
        limit = (
            None
            if raw_limit is None
            else count_param(raw_limit, name="limit", default=100, low=1, high=2**62)
        )
        return offset, limit

    def read_page(env: Any, offset: int, limit: int | None) -> dict[str, Any]:
        times = time_params(params_of(env))
        if times is None:
            return dict(store(env).read_graph(offset, limit))
        return dict(store(env).read_graph_at(offset, limit, *times))

    @resolver(
        name="graph/entities",
        doc="A page of the graph's entities, by name.",
        output=[{"graph/entities": ENTITY_SUMMARY}],
        params=["offset", "limit", *TIME_PARAMS],
        types={"graph/entities": list},
        blocking=True,
    )
    def entities_resolver(env: Any, _data: Any) -> dict[str, Any]:
        offset, limit = page_params(params_of(env))
        page = read_page(env, offset, limit)
        return {"graph/entities": [entity_attrs(e) for e in page["entities"]]}

    @resolver(
        name="graph/page",
        doc="A page of the graph: entities, their outgoing relations and page counts.",
        output=[
            {
                "graph/page": [
                    {"graph/entities": ENTITY_SUMMARY},
                    {"graph/relations": RELATION_QUERY},
                    "page/offset",
                    "page/total",
                    "page/total-relations",
                    "page/next-offset",
                ]
            }
        ],
        params=["offset", "limit", *TIME_PARAMS],
        types={"graph/page": dict},
        blocking=True,
    )
    def page_resolver(env: Any, _data: Any) -> dict[str, Any]:
        offset, limit = page_params(params_of(env))
        page = read_page(env, offset, limit)
        return {
            "graph/page": {
                "graph/entities": [entity_attrs(e) for e in page["entities"]],
                "graph/relations": [relation_attrs(r) for r in page["relations"]],
                "page/offset": offset,
                "page/total": page.get("total"),
                "page/total-relations": page.get("total_relations"),
                "page/next-offset": page.get("next_offset"),
            }
        }

    # --- mutations ---------------------------------------------------------------------

    def items(params: Mapping[str, Any], *names: str) -> list[Any]:
        value = param(params, *names)
        if value is None:
            raise InvalidInputError(f"missing param {names[0]}")
        return _require_list(value, names[0])

    @mutation(
        name="graph/create-entities!",
        doc="Create entities (names that exist are skipped).",
        output=[{"graph/created-entities": ENTITY_SUMMARY}, "graph/created-count"],
        params=["entities"],
        blocking=True,
    )
    def create_entities_mutation(env: Any, params: Any) -> dict[str, Any]:
        wanted = [
            entity_input(e, f"entities[{i}]")
            for i, e in enumerate(items(dict(params or {}), "entities", "graph/entities"))
        ]
        created = store_write(env, store(env), "create_entities", wanted)
        if created:
            audit_write(
                runtime, env, "graph/create-entities!", ", ".join(e["name"] for e in created)
            )
        return {
            "graph/created-entities": [entity_attrs(e) for e in created],
            "graph/created-count": len(created),
        }

    @mutation(
        name="graph/create-relations!",
        doc="Create relations between existing entities (duplicates skipped).",
        output=[{"graph/created-relations": RELATION_QUERY}, "graph/created-count"],
        params=["relations"],
        blocking=True,
    )
    def create_relations_mutation(env: Any, params: Any) -> dict[str, Any]:
        wanted = [
            relation_input(r, f"relations[{i}]")
            for i, r in enumerate(items(dict(params or {}), "relations", "graph/relations"))
        ]
        created = store_write(env, store(env), "create_relations", wanted)
        if created:
            audit_write(runtime, env, "graph/create-relations!", f"{len(created)} relations")
        return {
            "graph/created-relations": [relation_attrs(r) for r in created],
            "graph/created-count": len(created),
        }

    @mutation(
        name="graph/add-observations!",
        doc="Add observations to existing entities.",
        output=[{"graph/added-observations": ["entity/name", "observation/added"]}],
        params=["observations"],
        blocking=True,
    )
    def add_observations_mutation(env: Any, params: Any) -> dict[str, Any]:
        wanted = []
        for i, item in enumerate(items(dict(params or {}), "observations")):
            item = _require_map(item, f"observations[{i}]")
            entry = {
                "entityName": _pick(item, "entityName", "entity/name", "name"),
                "contents": _pick(item, "contents", "entity/observations", "observations"),
            }
            for key, names in (
                ("validFrom", ("validFrom", "valid-from", "observation/valid-from")),
                ("validTo", ("validTo", "valid-to", "observation/valid-to")),
            ):
                value = _pick(item, *names)
                if value is not None:
                    entry[key] = value
            wanted.append(entry)
        results = store_write(env, store(env), "add_observations", wanted)
        if any(r["addedObservations"] for r in results):
            audit_write(
                runtime,
                env,
                "graph/add-observations!",
                ", ".join(dict.fromkeys(r["entityName"] for r in results)),
            )
        return {
            "graph/added-observations": [
                {"entity/name": r["entityName"], "observation/added": list(r["addedObservations"])}
                for r in results
            ]
        }

    @mutation(
        name="graph/delete-entities!",
        doc="Delete entities and their relations.",
        output=["graph/deleted-count"],
        params=["names"],
        blocking=True,
    )
    def delete_entities_mutation(env: Any, params: Any) -> dict[str, Any]:
        names = _names_param(items(dict(params or {}), "names", "entityNames"), "names")
        count = store_write(env, store(env), "delete_entities", names)
        if count:
            audit_write(runtime, env, "graph/delete-entities!", ", ".join(names))
        return {"graph/deleted-count": count}

    @mutation(
        name="graph/delete-observations!",
        doc="Delete observations from entities.",
        output=["graph/deleted-count"],
        params=["deletions"],
        blocking=True,
    )
    def delete_observations_mutation(env: Any, params: Any) -> dict[str, Any]:
        wanted = []
        for i, item in enumerate(items(dict(params or {}), "deletions")):
            item = _require_map(item, f"deletions[{i}]")
            wanted.append(
                {
                    "entityName": _pick(item, "entityName", "entity/name", "name"),
                    "observations": _pick(item, "observations", "entity/observations"),
                }
            )
        count = store_write(env, store(env), "delete_observations", wanted)
        if count:
            audit_write(
                runtime,
                env,
                "graph/delete-observations!",
                ", ".join(dict.fromkeys(str(w["entityName"]) for w in wanted)),
            )
        return {"graph/deleted-count": count}

    @mutation(
        name="graph/delete-relations!",
        doc="Delete relations.",
        output=["graph/deleted-count"],
        params=["relations"],
        blocking=True,
    )
    def delete_relations_mutation(env: Any, params: Any) -> dict[str, Any]:
        wanted = [
            relation_input(r, f"relations[{i}]")
            for i, r in enumerate(items(dict(params or {}), "relations", "graph/relations"))
        ]
        count = store_write(env, store(env), "delete_relations", wanted)
        if count:
            audit_write(runtime, env, "graph/delete-relations!", f"{count} relations")
        return {"graph/deleted-count": count}

    @mutation(
        name="graph/rename-entity!",
        doc="Rename an entity, keeping its observations and relations.",
        output=[*ENTITY_SUMMARY, "graph/renamed-from"],
        params=["from", "to"],
        blocking=True,
    )
    def rename_entity_mutation(env: Any, params: Any) -> dict[str, Any]:
        params = dict(params or {})
        old = param(params, "from", "old-name", "oldName", "name")
        new = param(params, "to", "new-name", "newName")
        if old is None or new is None:
            raise InvalidInputError('graph/rename-entity! needs from and to: {:from "A" :to "B"}')
        entity = store_write(env, store(env), "rename_entity", old, new)
        if old != new:
            audit_write(runtime, env, "graph/rename-entity!", f"{old} -> {new}")
        return {**entity_attrs(entity), "graph/renamed-from": old}

    return document(
        [
            entity_resolver,
            relations_out_resolver,
            relations_in_resolver,
            entity_neighbours_resolver,
            search_resolver,
            nodes_resolver,
            path_resolver,
            neighbours_resolver,
            stats_resolver,
            entities_resolver,
            page_resolver,
            create_entities_mutation,
            create_relations_mutation,
            add_observations_mutation,
            delete_entities_mutation,
            delete_observations_mutation,
            delete_relations_mutation,
            rename_entity_mutation,
        ],
        ATTRIBUTE_DOCS,
    )
