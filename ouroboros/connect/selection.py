"""Selection: each entity of a level reduced to the shape asked for, with what is missing noted.

The fast path is one generated dict display per entity (``Level.selector``); entities with
errors or missing data go through the slow path, which raises (strict), marks the entity
incomplete (soft, for nested inputs) or puts ``ouroboros/errors`` on it (lenient).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ouroboros.connect.run_errors import ERRORS_KEY, ErrorRecord, to_exception_all
from ouroboros.connect.sentinels import CUT, INCOMPLETE, MISSING
from ouroboros.connect.shapes import attr_text

if TYPE_CHECKING:
    from ouroboros.connect.levels import Level
    from ouroboros.connect.run_errors import Where
    from ouroboros.connect.run_state import Run
    from ouroboros.eql.ast import Keyword

__all__ = ["select_results"]


def select_results(
    run: Run,
    level: Level,
    entities: list[Any],
    where: Where,
    extras: list[tuple[list[Any], bool]],
    soft: bool,
) -> list[Any]:
    """Return each entity reduced to the shape asked for (raising or noting what is missing)."""
    values = [x[0] for x in extras]
    outs: list[Any] | None = None
    slow: list[int] = []
    if not level.wildcard and all(x[1] for x in extras):
        try:  # the fast path: one generated dict display per entity
            outs = level.selector()(entities, *values)
        except KeyError:
            outs = None
    if outs is None:
        outs, slow = _select_slowly(level, entities, values)
    if run.errors:
        errors = run.errors
        slow.extend(i for i, e in enumerate(entities) if id(e) in errors)
    if soft:  # an entity whose joins came back incomplete is incomplete too (all the way up)
        for column in values:
            for i, v in enumerate(column):
                if v is INCOMPLETE or (
                    type(v) in (list, tuple) and any(x is INCOMPLETE for x in v)
                ):
                    slow.append(i)
    if slow:
        for i in sorted(set(slow)):
            outs[i] = _check_entity(run, level, entities[i], outs[i], where, i, soft)
    return outs


def _select_slowly(
    level: Level, entities: list[Any], values: list[list[Any]]
) -> tuple[list[Any], list[int]]:
    props = level.props
    slow: list[int] = []
    if level.wildcard:
        outs = [dict(e) for e in entities]
        slow = [i for i, e in enumerate(entities) if any(a not in e for a in level.required)]
    else:
        outs = []
        for i, e in enumerate(entities):
            out = {k: e[k] for k in props if k in e}
            if len(out) != len(props):
                slow.append(i)
            outs.append(out)
    for key, column in zip(level.extra_keys, values, strict=True):
        for i, value in enumerate(column):
            if value is MISSING:
                slow.append(i)
            elif value is not CUT:
                outs[i][key] = value
    return outs, slow


def _check_entity(
    run: Run, level: Level, e: dict[Any, Any], out: dict[Any, Any], where: Where, i: int, soft: bool
) -> Any:
    if soft and any(
        v is INCOMPLETE or (type(v) in (list, tuple) and any(x is INCOMPLETE for x in v))
        for v in out.values()
    ):
        return INCOMPLETE
    recs = run.errors.get(id(e), {})
    problems: dict[Keyword, ErrorRecord] = {}
    for attr in level.requests:
        if attr in out:
            continue
        rec = recs.get(attr)
        if attr in level.optional:
            if rec is not None and rec.cause == "node-exception":
                problems[attr] = rec
            continue
        problems[attr] = rec or ErrorRecord(
            "attribute-missing", f"{attr_text(attr)} was not resolved"
        )
    if not problems:
        return out
    if soft:
        return INCOMPLETE
    if not run.lenient:
        raise to_exception_all(problems, where.path(i), e)
    errors = out.setdefault(ERRORS_KEY, {})
    for attr, rec in problems.items():
        errors[attr] = rec.to_data()
    return out
