"""Join values: child maps copied out of parents' join values, and results put back in them.

A join value that is a map is one entity; a list / tuple / set is many (non-map items are kept
as they are); the container kind is kept, except that a set of maps comes back as a list. Under
``...`` recursion each child carries its ancestors, and a child repeating one is cut (a cycle).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ouroboros.connect.sentinels import CUT, DROP, MISSING

__all__ = ["gather_children", "reassemble"]


def _gather_items(items: Any, children: list[dict[Any, Any]]) -> int:
    n = 0
    for x in items:
        if isinstance(x, Mapping):
            children.append(dict(x))
            n += 1
    return n


def gather_children(
    vals: list[Any],
    entities: list[Any],
    seen: list[Any] | None,
    track: bool,
    map_container: bool,
) -> tuple[list[dict[Any, Any]], list[int], list[Any] | None]:
    """Copy the child maps out of mixed join values; track ancestry under ``...`` recursion."""
    children: list[dict[Any, Any]] = []
    counts: list[int] = []
    child_seen: list[Any] | None = [] if track else None
    for i, v in enumerate(vals):
        if v is MISSING or v is None:
            counts.append(0)
            continue
        if track and seen is not None and seen[i] is CUT:
            vals[i] = CUT
            counts.append(0)
            continue
        if isinstance(v, Mapping):
            if map_container:
                n = _gather_items(v.values(), children)
            else:
                children.append(dict(v))
                n = 1
        elif isinstance(v, (list, tuple, set, frozenset)):
            n = _gather_items(v, children)
        else:
            n = 0
        counts.append(n)
        if child_seen is not None:
            ancestors = seen[i] if seen is not None else (entities[i],)
            for c in children[len(children) - n :]:
                cycle = any(_contains(anc, c) for anc in ancestors)
                child_seen.append(CUT if cycle else (*ancestors, c))
    return children, counts, child_seen


def reassemble(
    vals: list[Any], counts: list[int], outs: list[Any], map_container: bool
) -> tuple[list[Any], bool]:
    """Put child results back in their parents' containers, keeping the container kinds."""
    joined: list[Any] = []
    clean = True
    j = 0
    for v in vals:
        if v is MISSING or v is CUT:
            joined.append(v)
            clean = False
            continue
        if v is None:
            joined.append(None)
            continue
        if isinstance(v, Mapping):
            if map_container:
                value: Any = {}
                for k2, x in v.items():
                    if isinstance(x, Mapping):
                        if outs[j] is not DROP:
                            value[k2] = outs[j]
                        j += 1
                    else:
                        value[k2] = x
                joined.append(value)
            else:
                out = outs[j]
                j += 1
                joined.append(None if out is DROP else out)
            continue
        if not isinstance(v, (list, tuple, set, frozenset)):
            joined.append(v)
            continue
        items = []
        for x in v:
            if isinstance(x, Mapping):
                if outs[j] is not DROP:
                    items.append(outs[j])
                j += 1
            else:
                items.append(x)
        if isinstance(v, list):
            joined.append(items)
        elif isinstance(v, tuple):
            joined.append(tuple(items))
        else:
            try:
                joined.append(type(v)(items) if type(v) in (set, frozenset) else set(items))
            except TypeError:  # maps are not hashable: a set of entities comes back as a list
                joined.append(items)
    return joined, clean


def _contains(entity: dict[Any, Any], seed: dict[Any, Any]) -> bool:
    """Return whether ``entity`` already holds all of ``seed`` (the data repeats an ancestor)."""
    if not seed:
        return False
    for k, v in seed.items():
        if k not in entity:
            return False
        try:
            if entity[k] != v:
                return False
        except Exception:
            return False
    return True
