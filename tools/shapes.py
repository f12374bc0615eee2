"""Result shaping for tools: EQL results to JSON (the wire form), queries as data, official shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ouroboros.eql.ast import EList, Ident, Keyword, Symbol
from ouroboros.eql.wire import key_to_json, result_to_json

__all__ = [
    "ENTITY_QUERY",
    "RELATION_QUERY",
    "ident_join",
    "join",
    "mutation_call",
    "official_entity",
    "official_relation",
    "wire",
    "wire_key",
    "with_params",
]

# What the pack asks of an entity and of a relation (the official server's fields).
ENTITY_QUERY: list[Any] = [
    Keyword("entity/name"),
    Keyword("entity/type"),
    Keyword("entity/observations"),
]
RELATION_QUERY: list[Any] = [
    Keyword("relation/type"),
    {Keyword("relation/from"): [Keyword("entity/name")]},
    {Keyword("relation/to"): [Keyword("entity/name")]},
]


def wire(value: Any) -> Any:
    """Return ``value`` as JSON data, the wire form of DESIGN §2 (``eql.wire.result_to_json``).

    Keyword keys become ``"ns/name"``, an ident key its EDN text ``"[:user/id 1]"``, sets become
    arrays, times ISO strings.
    """
    return result_to_json(value)


def wire_key(key: Any) -> str:
    """Return a result-map key as a JSON object key (idents as their EDN text)."""
    return key_to_json(key)


# --- queries as data (see ouroboros.eql.convert) -------------------------------------------


def with_params(expr: Any, params: Mapping[str, Any]) -> EList:
    """Return ``(expr {params})``: a property or a join with EQL params."""
    return EList((expr if not isinstance(expr, str) else Keyword(expr), dict(params)))


def join(attr: str, query: list[Any], params: Mapping[str, Any] | None = None) -> Any:
    """Return ``{:attr query}``, or ``({:attr query} {params})`` when params are given."""
    expr = {Keyword(attr): query}
    return with_params(expr, params) if params else expr


def ident_join(attr: str, value: Any, query: list[Any]) -> dict[Any, Any]:
    """Return ``{[:attr value] query}``."""
    return {Ident(attr, value): query}


def mutation_call(name: str, params: Mapping[str, Any], query: list[Any] | None = None) -> EList:
    """Return ``(name {params})``, or the mutation join ``{(name {params}) query}``."""
    symbol = Symbol(name)
    return EList(({symbol: query} if query is not None else symbol, dict(params)))


# --- the official memory server's shapes ---------------------------------------------------


def official_entity(entity: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``{name, entityType, observations}`` from an EQL entity result."""
    return {
        "name": entity["entity/name"],
        "entityType": entity.get("entity/type"),
        "observations": list(entity.get("entity/observations") or []),
    }


def official_relation(relation: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``{from, to, relationType}`` from an EQL relation result."""
    return {
        "from": relation["relation/from"]["entity/name"],
        "to": relation["relation/to"]["entity/name"],
        "relationType": relation["relation/type"],
    }
