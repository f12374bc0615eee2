"""Result shaping for tools: EQL results to JSON (the wire form), queries as data, official shapes."""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from importlib import import_module
from typing import Any

from ouroboros.eql.ast import EList, Ident, Keyword, Symbol

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
    """Return ``value`` as JSON data, the wire form of DESIGN §2.

    Keyword keys become ``"ns/name"``, an ident key its EDN text ``"[:user/id 1]"``, sets become
    arrays, times ISO strings. Uses ``ouroboros.eql.wire.result_to_json`` (the one wire form of
    HTTP and MCP) when it is there, else the same rules here.
    """
    to_json = _result_to_json()
    return to_json(value) if to_json is not None else _wire(value)


def _result_to_json() -> Any:
    try:
        module = import_module("ouroboros.eql.wire")
    except ImportError:
        return None
    return getattr(module, "result_to_json", None)


def _wire(value: Any) -> Any:
    if isinstance(value, str):
        return str.__str__(value)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Mapping):
        return {wire_key(k): _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [_wire(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def wire_key(key: Any) -> str:
    """Return a result-map key as a JSON object key (idents as their EDN text)."""
    if isinstance(key, str):
        return str.__str__(key)
    if isinstance(key, tuple):
        from ouroboros.eql import to_edn

        return str(to_edn(Ident(key[0], key[1]) if len(key) == 2 else key))
    return str(key)


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
