"""Level plans: a level's entities grouped by available attributes, each group planned once.

Plans are memoised on the level per engine plan token and set of available attributes; what no
plan can reach raises (strict) or is recorded on the entities (lenient).
"""

from __future__ import annotations

from itertools import repeat
from operator import eq
from typing import TYPE_CHECKING, Any

from ouroboros.connect.run_errors import ErrorRecord, Where, entity_text, path_text
from ouroboros.connect.shapes import attr_text
from ouroboros.errors import UnreachableError

if TYPE_CHECKING:
    from ouroboros.connect.levels import Level
    from ouroboros.connect.planner import Plan
    from ouroboros.connect.run_state import Run

__all__ = ["group_by_keys", "note_unreachable", "plan_for", "raise_unreachable"]


def plan_for(run: Run, level: Level, keys: frozenset[Any]) -> Plan:
    """Return the plan of ``level`` for entities holding ``keys`` (memoised on the level)."""
    memo = (run.engine.plan_token, keys)  # levels of nested inputs are shared between engines
    plan = level.plans.get(memo)
    if plan is None:
        plan = run.engine.plan_level(level, keys)
        level.plans[memo] = plan
        if run.trace is not None:
            run.trace.plans_made += 1
    elif run.trace is not None:
        run.trace.plans_reused += 1
    return plan


def group_by_keys(
    run: Run, level: Level, entities: list[dict[Any, Any]]
) -> list[tuple[Plan, list[Any]]]:
    """Group entities by their available attributes (usually one group) and plan each group."""
    first = entities[0]
    keys0 = frozenset(first)
    if len(entities) == 1:
        return [(plan_for(run, level, keys0), entities)]
    if all(map(eq, map(dict.keys, entities), repeat(keys0))):
        return [(plan_for(run, level, keys0), entities)]
    same = [e for e in entities if e.keys() == keys0]
    others: dict[frozenset[Any], list[Any]] = {}
    for e in entities:
        if e.keys() != keys0:
            others.setdefault(frozenset(e), []).append(e)
    groups = [(plan_for(run, level, keys0), same)]
    groups.extend((plan_for(run, level, k), g) for k, g in others.items())
    return groups


def raise_unreachable(plan: Plan, where: Where, i: int, entity: Any = None) -> None:
    """Raise ``UnreachableError`` if ``plan`` has required attributes no resolver reaches."""
    reasons = plan.required_unreachable
    if not reasons:
        return
    path = where.path(i)
    at = f" at path {path_text(path)}" if path else ""
    on = f" on entity {entity_text(entity)}" if entity is not None else ""
    lines = [f"  {attr_text(a)}: {why}" for a, why in reasons.items()]
    names = ", ".join(attr_text(a) for a in reasons)
    raise UnreachableError(
        f"Can't resolve {names}{at}{on}:\n" + "\n".join(lines),
        reasons={str(a): why for a, why in reasons.items()},
        path=path,
    )


def note_unreachable(
    run: Run, plan: Plan, group: list[Any], entities: list[Any], where: Where, soft: bool
) -> None:
    """Raise (strict) or record on ``group`` the attributes ``plan`` cannot reach."""
    if not run.lenient and not soft:
        raise_unreachable(plan, where, _index_of(entities, group[0]), group[0])
    for attr, why in plan.unreachable.items():
        rec = ErrorRecord("attribute-unreachable", f"{attr_text(attr)} {why}")
        for e in group:
            run.record(e, attr, rec)


def _index_of(entities: list[Any], entity: Any) -> int:
    for i, e in enumerate(entities):
        if e is entity:
            return i
    return 0
