"""Built-in resolver factories: constant, alias, equivalence, static table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ouroboros.connect.operations import Resolver, make_resolver
from ouroboros.connect.shapes import EMPTY, Shape, keyword

__all__ = ["alias", "constant", "equivalence", "static_table"]


def constant(attr: str, value: Any, *, name: str | None = None) -> Resolver:
    """Return a resolver that always answers ``attr`` with ``value`` (needs no input)."""
    key = keyword(attr)

    def resolve(_input: Any) -> dict[Any, Any]:
        return {key: value}

    return make_resolver(
        resolve, output=[key], name=name or f"constant/{key}", doc=f"{key} = {value!r:.40}"
    )


def alias(source: str, target: str, *, name: str | None = None) -> Resolver:
    """Return a resolver that copies ``source`` into ``target`` (one way)."""
    src, dst = keyword(source), keyword(target)

    def resolve(inp: Mapping[Any, Any]) -> dict[Any, Any]:
        return {dst: inp[src]}

    return make_resolver(resolve, input=[src], output=[dst], name=name or f"alias/{src}->{dst}")


def equivalence(a: str, b: str) -> list[Resolver]:
    """Return two aliases so ``a`` and ``b`` each resolve from the other."""
    return [alias(a, b), alias(b, a)]


def _infer(rows: Any) -> Shape:
    fields: dict[Any, Shape] = {}
    for row in rows:
        for k, v in row.items():
            sub = EMPTY
            items = [v] if isinstance(v, Mapping) else v if isinstance(v, (list, tuple)) else []
            maps = [x for x in items if isinstance(x, Mapping)]
            if maps:
                sub = _infer(maps)
            key = keyword(k)
            fields[key] = fields[key].merge(sub) if key in fields else sub
    return Shape(fields)


def static_table(
    key_attr: str, table: Mapping[Any, Mapping[str, Any]], *, name: str | None = None
) -> Resolver:
    """Return a resolver that looks rows up by ``key_attr`` in ``table`` (output inferred).

    ``static_table("user/id", {1: {"user/name": "Ann"}})`` answers ``:user/name`` for user 1;
    an unknown key answers nothing.
    """
    key = keyword(key_attr)
    rows = {k: dict(v) for k, v in table.items()}
    output = _infer(rows.values())
    if not output:
        output = Shape({key: EMPTY})

    def resolve(inp: Mapping[Any, Any]) -> dict[Any, Any]:
        return rows.get(inp[key], {})

    return make_resolver(resolve, input=[key], output=output, name=name or f"static-table/{key}")
