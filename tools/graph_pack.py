"""The knowledge-graph tool pack: the official MCP memory server's 9 tools, and what it lacks.

Drop-in compatibility: the 9 tools keep the official names, camelCase argument names, input
schemas and result shapes — entities are exactly ``{name, entityType, observations}``,
relations exactly ``{from, to, relationType}``, deletes answer ``{success, message}`` — and its
semantics: existing entities and duplicate observations / relations are skipped, deleting an
entity removes its relations, deleting what is absent is a no-op, ``add_observations`` on a
missing entity is an error. Stricter than the released server: a relation to a missing entity
is refused (nothing of the batch is written). As there, unknown extra arguments are ignored.

Additions (optional arguments, so old calls behave as before): ``search_nodes`` is ranked
keyword search (BM25, prefix matching; hybrid with an embedding model) with ``limit`` (default
20) and ``mode``, reporting ``search: {mode, total, scores}`` beside the graph;
``read_graph`` pages with ``offset`` / ``limit`` (no limit = the whole graph, as before; with a
limit the answer adds ``next_offset`` and ``total``); ``open_nodes``, ``search_nodes`` and
``read_graph`` take ``asOf`` (the facts valid then) and ``knownAt`` (what the store knew then),
observations still plain strings; new tools ``rename_entity``,
``graph_neighbours`` and ``graph_path``. Every tool is an EQL query or mutation over the graph
resolvers; none touches the database directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ouroboros.tools.registry import Tool, ToolContext
from ouroboros.tools.shapes import (
    ENTITY_QUERY,
    RELATION_QUERY,
    join,
    mutation_call,
    official_entity,
    official_relation,
)

__all__ = ["DEFAULT_SEARCH_LIMIT", "graph_tools"]

DEFAULT_SEARCH_LIMIT = 20

# --- the official schemas ------------------------------------------------------------------

ENTITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "The name of the entity"},
        "entityType": {"type": "string", "description": "The type of the entity"},
        "observations": {
            "type": "array",
            "items": {"type": "string"},
            "description": "An array of observation contents associated with the entity",
        },
    },
    "required": ["name", "entityType", "observations"],
}
RELATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "from": {
            "type": "string",
            "description": "The name of the entity where the relation starts",
        },
        "to": {"type": "string", "description": "The name of the entity where the relation ends"},
        "relationType": {"type": "string", "description": "The type of the relation"},
    },
    "required": ["from", "to", "relationType"],
}
GRAPH_OUTPUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "entities": {"type": "array", "items": ENTITY_SCHEMA},
        "relations": {"type": "array", "items": RELATION_SCHEMA},
    },
    "required": ["entities", "relations"],
}
SUCCESS_OUTPUT: dict[str, Any] = {
    "type": "object",
    "properties": {"success": {"type": "boolean"}, "message": {"type": "string"}},
    "required": ["success", "message"],
}


def _obj(properties: Mapping[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = required
    return schema


def _graph_output(**extra: Any) -> dict[str, Any]:
    schema = {**GRAPH_OUTPUT, "properties": {**GRAPH_OUTPUT["properties"], **extra}}
    return schema


def _relations_touching(entities: list[Mapping[Any, Any]]) -> list[dict[str, Any]]:
    """Return the relations of ``entities`` (out and in joins), each once, in first-seen order."""
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for entity in entities:
        for key in ("entity/relations-out", "entity/relations-in"):
            for rel in entity.get(key) or []:
                official = official_relation(rel)
                seen.setdefault(
                    (official["from"], official["to"], official["relationType"]), official
                )
    return list(seen.values())


TOUCHING_QUERY: list[Any] = [
    *ENTITY_QUERY,
    {"entity/relations-out": RELATION_QUERY},
    {"entity/relations-in": RELATION_QUERY},
]
TIME_ARGS: dict[str, Any] = {
    "asOf": {
        "type": "string",
        "description": (
            "Read the facts valid at this time (ISO 8601, e.g. 2024-01-31 or "
            "2024-01-31T12:00:00Z; no zone = UTC; '8 May 2023' also works). Default: now."
        ),
    },
    "knownAt": {
        "type": "string",
        "description": (
            "Read what the store knew at this time (before later invalidations and "
            "additions). Default: now."
        ),
    },
}


def _time_params(args: Mapping[str, Any]) -> dict[str, Any]:
    """Return the EQL time params ``{as-of, known-at}`` of a read tool's ``asOf`` / ``knownAt``."""
    out: dict[str, Any] = {}
    if args.get("asOf") is not None:
        out["as-of"] = args["asOf"]
    if args.get("knownAt") is not None:
        out["known-at"] = args["knownAt"]
    return out


def _touching_query(times: Mapping[str, Any]) -> list[Any]:
    """Return the entity-with-relations query, the relation joins read at ``times``."""
    if not times:
        return list(TOUCHING_QUERY)
    return [
        *ENTITY_QUERY,
        join("entity/relations-out", RELATION_QUERY, times),
        join("entity/relations-in", RELATION_QUERY, times),
    ]


# --- writes --------------------------------------------------------------------------------


def _create_entities() -> Tool:
    return Tool(
        name="create_entities",
        title="Create Entities",
        description="Create multiple new entities in the knowledge graph",
        input_schema=_obj({"entities": {"type": "array", "items": ENTITY_SCHEMA}}, ["entities"]),
        output_schema=_obj({"entities": {"type": "array", "items": ENTITY_SCHEMA}}, ["entities"]),
        query=lambda args, ctx: [
            mutation_call(
                "graph/create-entities!",
                {"entities": args["entities"]},
                [{"graph/created-entities": list(ENTITY_QUERY)}],
            )
        ],
        shape=lambda result, args, ctx: {
            "entities": [
                official_entity(e)
                for e in (result.get("graph/create-entities!") or {}).get(
                    "graph/created-entities", []
                )
            ]
        },
        writes=True,
        idempotent=True,
    )


def _create_relations() -> Tool:
    return Tool(
        name="create_relations",
        title="Create Relations",
        description=(
            "Create multiple new relations between entities in the knowledge graph. "
            "Relations should be in active voice"
        ),
        input_schema=_obj(
            {"relations": {"type": "array", "items": RELATION_SCHEMA}}, ["relations"]
        ),
        output_schema=_obj(
            {"relations": {"type": "array", "items": RELATION_SCHEMA}}, ["relations"]
        ),
        query=lambda args, ctx: [
            mutation_call(
                "graph/create-relations!",
                {"relations": args["relations"]},
                [{"graph/created-relations": list(RELATION_QUERY)}],
            )
        ],
        shape=lambda result, args, ctx: {
            "relations": [
                official_relation(r)
                for r in (result.get("graph/create-relations!") or {}).get(
                    "graph/created-relations", []
                )
            ]
        },
        writes=True,
        idempotent=True,
    )


def _add_observations() -> Tool:
    item = _obj(
        {
            "entityName": {
                "type": "string",
                "description": "The name of the entity to add the observations to",
            },
            "contents": {
                "type": "array",
                "items": {"type": "string"},
                "description": "An array of observation contents to add",
            },
            "validFrom": {
                "type": "string",
                "description": (
                    "Optional: when these facts became true in the world (ISO 8601 or "
                    "'8 May 2023'; no zone = UTC). Default: unknown."
                ),
            },
            "validTo": {
                "type": "string",
                "description": "Optional: when they stopped being true (exclusive).",
            },
        },
        ["entityName", "contents"],
    )
    result_item = _obj(
        {
            "entityName": {"type": "string"},
            "addedObservations": {"type": "array", "items": {"type": "string"}},
        },
        ["entityName", "addedObservations"],
    )
    return Tool(
        name="add_observations",
        title="Add Observations",
        description="Add new observations to existing entities in the knowledge graph",
        input_schema=_obj({"observations": {"type": "array", "items": item}}, ["observations"]),
        output_schema=_obj({"results": {"type": "array", "items": result_item}}, ["results"]),
        query=lambda args, ctx: [
            mutation_call(
                "graph/add-observations!",
                {"observations": args["observations"]},
                [{"graph/added-observations": ["entity/name", "observation/added"]}],
            )
        ],
        shape=lambda result, args, ctx: {
            "results": [
                {"entityName": r["entity/name"], "addedObservations": list(r["observation/added"])}
                for r in (result.get("graph/add-observations!") or {}).get(
                    "graph/added-observations", []
                )
            ]
        },
        writes=True,
        idempotent=True,
    )


def _delete_tool(
    name: str, title: str, description: str, argument: str, schema: Mapping[str, Any], op: str
) -> Tool:
    message = {
        "delete_entities": "Entities deleted successfully",
        "delete_observations": "Observations deleted successfully",
        "delete_relations": "Relations deleted successfully",
    }[name]
    param = "names" if argument == "entityNames" else argument
    return Tool(
        name=name,
        title=title,
        description=description,
        input_schema=_obj({argument: dict(schema)}, [argument]),
        output_schema=SUCCESS_OUTPUT,
        query=lambda args, ctx: [mutation_call(op, {param: args[argument]})],
        shape=lambda result, args, ctx: {"success": True, "message": message},
        writes=True,
        destructive=True,
        idempotent=True,
    )


def _deletes() -> list[Tool]:
    deletion = _obj(
        {
            "entityName": {
                "type": "string",
                "description": "The name of the entity containing the observations",
            },
            "observations": {
                "type": "array",
                "items": {"type": "string"},
                "description": "An array of observations to delete",
            },
        },
        ["entityName", "observations"],
    )
    return [
        _delete_tool(
            "delete_entities",
            "Delete Entities",
            "Delete multiple entities and their associated relations from the knowledge graph",
            "entityNames",
            {
                "type": "array",
                "items": {"type": "string"},
                "description": "An array of entity names to delete",
            },
            "graph/delete-entities!",
        ),
        _delete_tool(
            "delete_observations",
            "Delete Observations",
            "Delete specific observations from entities in the knowledge graph",
            "deletions",
            {"type": "array", "items": deletion},
            "graph/delete-observations!",
        ),
        _delete_tool(
            "delete_relations",
            "Delete Relations",
            "Delete multiple relations from the knowledge graph",
            "relations",
            {
                "type": "array",
                "items": RELATION_SCHEMA,
                "description": "An array of relations to delete",
            },
            "graph/delete-relations!",
        ),
    ]


# --- reads ---------------------------------------------------------------------------------


def _read_graph() -> Tool:
    def query(args: dict[str, Any], ctx: ToolContext) -> Any:
        params: dict[str, Any] = {"offset": args.get("offset", 0), **_time_params(args)}
        if args.get("limit") is not None:
            params["limit"] = args["limit"]
        return [
            join(
                "graph/page",
                [
                    {"graph/entities": list(ENTITY_QUERY)},
                    {"graph/relations": list(RELATION_QUERY)},
                    "page/total",
                    "page/next-offset",
                ],
                params,
            )
        ]

    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        page = result.get("graph/page") or {}
        out: dict[str, Any] = {
            "entities": [official_entity(e) for e in page.get("graph/entities") or []],
            "relations": [official_relation(r) for r in page.get("graph/relations") or []],
        }
        if args.get("limit") is not None or args.get("offset"):
            out["next_offset"] = page.get("page/next-offset")
            out["total"] = page.get("page/total")
        return out

    return Tool(
        name="read_graph",
        title="Read Graph",
        description=(
            "Read the entire knowledge graph. For large graphs pass limit (and then offset = "
            "the next_offset of the previous page) to read it in pages; each relation comes "
            "with the page of its 'from' entity."
        ),
        input_schema=_obj(
            {
                "offset": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Skip this many entities (in creation order); default 0.",
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "At most this many entities (default: all).",
                },
                **TIME_ARGS,
            }
        ),
        output_schema=_graph_output(
            next_offset={"type": ["integer", "null"]}, total={"type": "integer"}
        ),
        query=query,
        shape=shape,
    )


def _search_nodes() -> Tool:
    def query(args: dict[str, Any], ctx: ToolContext) -> Any:
        params = {
            "query": args["query"],
            "limit": args.get("limit", DEFAULT_SEARCH_LIMIT),
            "mode": args.get("mode", "auto"),
        }
        times = _time_params(args)
        params.update(times)
        return [
            join("graph/search", [*_touching_query(times), "search/score"], params),
            "graph/search-meta",
        ]

    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        hits = list(result.get("graph/search") or [])
        meta = result.get("graph/search-meta") or {}
        search: dict[str, Any] = {
            "mode": meta.get("search/mode"),
            "total": meta.get("search/total"),
            "scores": [h.get("search/score") for h in hits],
        }
        if meta.get("search/note"):
            search["note"] = meta["search/note"]
        return {
            "entities": [official_entity(h) for h in hits],
            "relations": _relations_touching(hits),
            "search": search,
        }

    return Tool(
        name="search_nodes",
        title="Search Nodes",
        description=(
            "Search for nodes in the knowledge graph based on a query. Ranked best first "
            "(every word is matched case-insensitively, also as a prefix); returns the "
            "matching entities and the relations that touch them. Semantic and hybrid modes "
            "need an embedding model; the server instructions say when there is none."
        ),
        input_schema=_obj(
            {
                "query": {
                    "type": "string",
                    "description": (
                        "The search query to match against entity names, types, and "
                        "observation content"
                    ),
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 1000,
                    "description": f"At most this many entities (default {DEFAULT_SEARCH_LIMIT}).",
                },
                "mode": {
                    "type": "string",
                    "enum": ["auto", "keyword", "semantic", "hybrid"],
                    "description": "auto (hybrid when an embedding model is installed), keyword, "
                    "semantic or hybrid. With asOf / knownAt: keyword only.",
                },
                **TIME_ARGS,
            },
            ["query"],
        ),
        output_schema=_graph_output(
            search=_obj(
                {
                    "mode": {"type": "string"},
                    "total": {"type": "integer"},
                    "scores": {"type": "array", "items": {"type": "number"}},
                    "note": {"type": "string"},
                }
            )
        ),
        query=query,
        shape=shape,
    )


def _open_nodes() -> Tool:
    return Tool(
        name="open_nodes",
        title="Open Nodes",
        description="Open specific nodes in the knowledge graph by their names",
        input_schema=_obj(
            {
                "names": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "An array of entity names to retrieve",
                },
                **TIME_ARGS,
            },
            ["names"],
        ),
        output_schema=GRAPH_OUTPUT,
        query=lambda args, ctx: [
            join(
                "graph/nodes",
                _touching_query(_time_params(args)),
                {"names": args["names"], **_time_params(args)},
            )
        ],
        shape=lambda result, args, ctx: {
            "entities": [official_entity(e) for e in result.get("graph/nodes") or []],
            "relations": _relations_touching(list(result.get("graph/nodes") or [])),
        },
    )


# --- what the official server lacks ----------------------------------------------------------


def _rename_entity() -> Tool:
    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        data = result.get("graph/rename-entity!") or {}
        return {"entity": official_entity(data), "oldName": args["oldName"]}

    return Tool(
        name="rename_entity",
        title="Rename Entity",
        description=(
            "Rename an entity, keeping its observations and relations. Fails if the entity "
            "does not exist or the new name is taken."
        ),
        input_schema={
            **_obj(
                {
                    "oldName": {"type": "string", "description": "The entity's current name"},
                    "newName": {"type": "string", "description": "The new name"},
                },
                ["oldName", "newName"],
            ),
            "additionalProperties": False,
        },
        output_schema=_obj({"entity": ENTITY_SCHEMA, "oldName": {"type": "string"}}, ["entity"]),
        query=lambda args, ctx: [
            mutation_call(
                "graph/rename-entity!",
                {"from": args["oldName"], "to": args["newName"]},
                list(ENTITY_QUERY),
            )
        ],
        shape=shape,
        writes=True,
        idempotent=False,
    )


_DIRECTION = {
    "type": "string",
    "enum": ["out", "in", "both"],
    "default": "both",
    "description": "Follow relations leaving (out), entering (in) or both ways (default).",
}
_RELATION_TYPE = {"type": "string", "description": "Follow only relations of this type."}


def _graph_neighbours() -> Tool:
    def query(args: dict[str, Any], ctx: ToolContext) -> Any:
        params = {
            "name": args["name"],
            "depth": args["depth"],
            "direction": args["direction"],
            "limit": args["limit"],
        }
        if args.get("relationType"):
            params["relation-type"] = args["relationType"]
        return [
            join(
                "graph/neighbours",
                [
                    {"neighbours/entities": [*ENTITY_QUERY, "neighbour/depth"]},
                    {"neighbours/relations": list(RELATION_QUERY)},
                    "neighbours/truncated?",
                ],
                params,
            )
        ]

    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        found = result.get("graph/neighbours") or {}
        nodes = list(found.get("neighbours/entities") or [])
        return {
            "name": args["name"],
            "entities": [official_entity(n) for n in nodes],
            "relations": [official_relation(r) for r in found.get("neighbours/relations") or []],
            "depths": {n["entity/name"]: n.get("neighbour/depth") for n in nodes},
            "truncated": bool(found.get("neighbours/truncated?")),
        }

    return Tool(
        name="graph_neighbours",
        title="Graph Neighbours",
        description=(
            "Find the entities within a number of hops of an entity, with the relations among "
            "them (the entity itself is not listed)."
        ),
        input_schema={
            **_obj(
                {
                    "name": {"type": "string", "description": "The entity to start from"},
                    "depth": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 6,
                        "default": 1,
                        "description": "How many hops (1-6, default 1).",
                    },
                    "direction": _DIRECTION,
                    "relationType": _RELATION_TYPE,
                    "limit": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 10_000,
                        "default": 100,
                        "description": "At most this many entities (default 100).",
                    },
                },
                ["name"],
            ),
            "additionalProperties": False,
        },
        output_schema=_graph_output(
            name={"type": "string"},
            depths={"type": "object", "additionalProperties": {"type": "integer"}},
            truncated={"type": "boolean"},
        ),
        query=query,
        shape=shape,
    )


def _graph_path() -> Tool:
    def query(args: dict[str, Any], ctx: ToolContext) -> Any:
        params = {
            "from": args["from"],
            "to": args["to"],
            "max-depth": args["maxDepth"],
            "direction": args["direction"],
        }
        if args.get("relationType"):
            params["relation-type"] = args["relationType"]
        return [
            join(
                "graph/path",
                [
                    "path/found?",
                    "path/length",
                    {"path/entities": list(ENTITY_QUERY)},
                    {"path/relations": list(RELATION_QUERY)},
                ],
                params,
            )
        ]

    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        found = result.get("graph/path") or {}
        entities = list(found.get("path/entities") or [])
        return {
            "found": bool(found.get("path/found?")),
            "length": found.get("path/length"),
            "path": [e["entity/name"] for e in entities],
            "entities": [official_entity(e) for e in entities],
            "relations": [official_relation(r) for r in found.get("path/relations") or []],
        }

    return Tool(
        name="graph_path",
        title="Graph Path",
        description=(
            "Find a shortest chain of relations between two entities (found false when none "
            "is within maxDepth hops)."
        ),
        input_schema={
            **_obj(
                {
                    "from": {"type": "string", "description": "The entity to start from"},
                    "to": {"type": "string", "description": "The entity to reach"},
                    "maxDepth": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 6,
                        "default": 6,
                        "description": "Give up beyond this many hops (1-6, default 6).",
                    },
                    "direction": _DIRECTION,
                    "relationType": _RELATION_TYPE,
                },
                ["from", "to"],
            ),
            "additionalProperties": False,
        },
        output_schema=_graph_output(
            found={"type": "boolean"},
            length={"type": ["integer", "null"]},
            path={"type": "array", "items": {"type": "string"}},
        ),
        query=query,
        shape=shape,
    )


def graph_tools() -> list[Tool]:
    """Return the pack: the official 9 tools in the official order, then the additions."""
    return [
        _create_entities(),
        _create_relations(),
        _add_observations(),
        *_deletes(),
        _read_graph(),
        _search_nodes(),
        _open_nodes(),
        _rename_entity(),
        _graph_neighbours(),
        _graph_path(),
    ]
