"""The cost of a GraphQL document: depth, aliases, fields and repeats, counted once per fragment.

A fragment can spread another fragment twice, and that one the next twice: a 1 KB document
then stands for 2^30 fields. Walking each spread (as Strawberry's ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` do) doubles the work with every level. Here every fragment body is walked
once and its cost memoised, so the work is linear in the document's size whatever the spreads
say; the counts themselves (which can be huge) are saturated, never enumerated.

- ``depth``: the deepest chain of fields with selection sets (introspection fields excluded),
  the same count as Strawberry's depth limiter: ``{ a }`` is 0, ``{ a { b } }`` is 1;
- ``aliases``: aliased fields in the expanded operation;
- ``fields``: fields in the expanded operation (what execution would visit);
- ``repeats``: the most times one response name is selected in one selection set, fragments
  merged in (graphql-core's overlapping-fields check compares those pairwise, so it is
  quadratic in this number).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = ["CostLimits", "DocumentCost", "WalkStats", "cost_errors", "measure_document"]

SATURATED = 1 << 40
"""Counts stop growing here: enough to compare with any limit, small enough to stay cheap."""


def _add(a: int, b: int) -> int:
    return min(a + b, SATURATED)


@dataclass(frozen=True, kw_only=True)
class CostLimits:
    """The most a document may cost (per operation)."""

    max_depth: int = 16
    max_aliases: int = 64
    max_fields: int = 2000
    max_repeats: int = 32


@dataclass(kw_only=True)
class DocumentCost:
    """What one operation (or fragment) costs once its fragments are expanded."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0
    repeats: int = 0
    # response name -> times selected at this level (fragments merged in); levels below only
    # report their ``repeats``.
    names: dict[str, int] = field(default_factory=dict)

    def merge_level(self, other: DocumentCost) -> None:
        """Add ``other`` (a fragment or inline fragment at this level) to this level."""
        self.depth = max(self.depth, other.depth)
        self.aliases = _add(self.aliases, other.aliases)
        self.fields = _add(self.fields, other.fields)
        self.repeats = max(self.repeats, other.repeats)
        for name, count in other.names.items():
            self.names[name] = _add(self.names.get(name, 0), count)


@dataclass
class WalkStats:
    """How much work measuring took: the bound a test asserts (not a time)."""

    fragments_walked: int = 0
    selection_sets_walked: int = 0


def _spreads(selection_set: SelectionSetNode) -> Iterator[str]:
    """Yield the fragment names spread anywhere inside ``selection_set`` (iteratively)."""
    stack = [selection_set]
    while stack:
        current = stack.pop()
        for sel in current.selections:
            if isinstance(sel, FragmentSpreadNode):
                yield sel.name.value
            elif isinstance(sel, (FieldNode, InlineFragmentNode)) and sel.selection_set:
                stack.append(sel.selection_set)


class _Measure:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments: dict[str, FragmentDefinitionNode] = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[str, DocumentCost] = {}
        self.stats = WalkStats()
        self._order()

    def _order(self) -> None:
        """Measure every fragment, each after the fragments it spreads (an iterative DFS).

        A spread that closes a cycle counts as nothing here; graphql-core's
        ``NoFragmentCyclesRule`` reports the cycle itself.
        """
        state: dict[str, int] = {}  # 1: on the stack, 2: measured
        for start in self.fragments:
            if start in state:
                continue
            state[start] = 1
            stack: list[tuple[str, Iterator[str]]] = [
                (start, _spreads(self.fragments[start].selection_set))
            ]
            while stack:
                name, pending = stack[-1]
                child = next(pending, None)
                if child is None:
                    stack.pop()
                    self.memo[name] = self._fragment(self.fragments[name])
                    state[name] = 2
                elif child in self.fragments and child not in state:
                    state[child] = 1
                    stack.append((child, _spreads(self.fragments[child].selection_set)))

    def _fragment(self, fragment: FragmentDefinitionNode) -> DocumentCost:
        self.stats.fragments_walked += 1
        return self.level(fragment.selection_set)

    def level(self, selection_set: SelectionSetNode) -> DocumentCost:
        """Return the cost of one selection set, spread fragments read from the memo."""
        self.stats.selection_sets_walked += 1
        cost = DocumentCost()
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                cost.names[key] = _add(cost.names.get(key, 0), 1)
                cost.fields = _add(cost.fields, 1)
                if sel.alias:
                    cost.aliases = _add(cost.aliases, 1)
                if sel.selection_set is not None:
                    sub = self.level(sel.selection_set)
                    cost.fields = _add(cost.fields, sub.fields)
                    cost.aliases = _add(cost.aliases, sub.aliases)
                    cost.repeats = max(
                        cost.repeats, sub.repeats, max(sub.names.values(), default=0)
                    )
                    if not sel.name.value.startswith("__"):
                        cost.depth = max(cost.depth, sub.depth + 1)
            elif isinstance(sel, InlineFragmentNode):
                cost.merge_level(self.level(sel.selection_set))
            elif isinstance(sel, FragmentSpreadNode):
                known = self.memo.get(sel.name.value)
                if known is not None:
                    cost.merge_level(known)
        return cost


def measure_document(document: DocumentNode) -> tuple[dict[str, DocumentCost], WalkStats]:
    """Return each operation's cost (keyed by name, ``""`` for an anonymous one) and the work
    it took: every fragment body and every selection set is walked once."""
    measure = _Measure(document)
    costs: dict[str, DocumentCost] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            cost = measure.level(definition.selection_set)
            cost.repeats = max(cost.repeats, max(cost.names.values(), default=0))
            costs[definition.name.value if definition.name else ""] = cost
    return costs, measure.stats


def cost_errors(document: DocumentNode, limits: CostLimits) -> list[GraphQLError]:
    """Return one validation error per limit an operation of ``document`` goes past."""
    errors: list[GraphQLError] = []
    costs, _ = measure_document(document)
    for name, cost in costs.items():
        label = f"'{name or 'anonymous'}'"
        checks = (
            (
                "depth",
                cost.depth,
                limits.max_depth,
                f"{label} exceeds maximum operation depth of {limits.max_depth}",
            ),
            (
                "aliases",
                cost.aliases,
                limits.max_aliases,
                f"{_count(cost.aliases)} aliases found. Allowed: {limits.max_aliases}",
            ),
            (
                "fields",
                cost.fields,
                limits.max_fields,
                f"{label} selects {_count(cost.fields)} fields once its fragments are expanded. "
                f"Allowed: {limits.max_fields}",
            ),
            (
                "repeats",
                cost.repeats,
                limits.max_repeats,
                f"{label} selects one field {_count(cost.repeats)} times in one selection set. "
                f"Allowed: {limits.max_repeats}",
            ),
        )
        for limit, found, allowed, message in checks:
            if found > allowed:
                details = {"limit": limit, "max": allowed, "found": min(found, SATURATED - 1)}
                errors.append(
                    GraphQLError(
                        message, extensions={"type": "QueryLimitError", "details": details}
                    )
                )
    return errors


def _count(n: int) -> str:
    return f"more than {SATURATED - 1}" if n >= SATURATED else str(n)
