"""Indexes: which resolvers provide each attribute, and what each input set can reach.

``oir`` is Pathom's index-oir (attribute → input shape → resolver names), ``io`` its index-io
(required input set → output shape reachable in one hop). ``graph`` is a networkx ``DiGraph``
(attribute → resolver → attribute) for reachability and "how could I get X from Y" questions.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ouroboros.connect.operations import Mutation, Operation, Resolver, flatten_operations
from ouroboros.connect.shapes import Shape, keyword
from ouroboros.eql.ast import Keyword, Symbol
from ouroboros.errors import RegistrationError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Indexes"]

_tokens = itertools.count(1)


class Indexes:
    """The attribute indexes of a set of operations; immutable once built.

    Raises ``RegistrationError`` for duplicate operation names.
    """

    def __init__(self, operations: Iterable[Operation] | Any = ()) -> None:
        self.token = next(_tokens)
        self.resolvers: dict[str, Resolver] = {}
        self.mutations: dict[Symbol, Mutation] = {}
        self.oir: dict[Keyword, dict[Shape, tuple[str, ...]]] = {}
        self.io: dict[frozenset[Keyword], Shape] = {}
        self.input_of: dict[Keyword, list[str]] = {}
        providers: dict[Keyword, list[Resolver]] = {}
        for op in flatten_operations(operations):
            if isinstance(op, Resolver):
                if op.name in self.resolvers:
                    raise RegistrationError(f"duplicate resolver name {op.name!r}")
                self.resolvers[op.name] = op
                for attr in op.output:
                    providers.setdefault(attr, []).append(op)
                    by_input = self.oir.setdefault(attr, {})
                    by_input[op.input] = (*by_input.get(op.input, ()), op.name)
                key = frozenset(op.input.required)
                self.io[key] = self.io[key].merge(op.output) if key in self.io else op.output
                for attr in op.input:
                    self.input_of.setdefault(attr, []).append(op.name)
            else:
                if op.name in self.mutations:
                    raise RegistrationError(f"duplicate mutation name {str(op.name)!r}")
                self.mutations[op.name] = op
        # Highest priority first; registration order breaks ties (sorted is stable).
        self.providers: dict[Keyword, tuple[Resolver, ...]] = {
            attr: tuple(sorted(rs, key=lambda r: -r.priority)) for attr, rs in providers.items()
        }
        self._graph: nx.DiGraph | None = None

    @property
    def attributes(self) -> frozenset[Keyword]:
        """Every attribute some resolver takes as input or provides."""
        return frozenset(self.providers) | frozenset(self.input_of)

    @property
    def operations(self) -> tuple[Operation, ...]:
        """All registered resolvers and mutations, in registration order."""
        return (*self.resolvers.values(), *self.mutations.values())

    @property
    def graph(self) -> nx.DiGraph:
        """A DiGraph with attribute nodes (``kind="attribute"``) and resolver nodes.

        Edges run input attribute → resolver (``optional`` flag) → output attribute.
        Resolver nodes are named ``"resolver:<name>"`` so they never clash with attributes.
        """
        if self._graph is None:
            import networkx as nx

            g = nx.DiGraph()
            for attr in self.attributes:
                g.add_node(attr, kind="attribute")
            for r in self.resolvers.values():
                node = f"resolver:{r.name}"
                g.add_node(node, kind="resolver", resolver=r.name, requires=len(r.input.required))
                for attr in r.input:
                    g.add_edge(attr, node, optional=attr in r.input.optional)
                for attr in r.output:
                    g.add_edge(node, attr)
            self._graph = g
        return self._graph

    def reachable(self, available: Iterable[str] = ()) -> frozenset[Keyword]:
        """Return every attribute reachable from ``available`` (a fixed point over resolvers)."""
        have = {keyword(a) for a in available}
        pending = list(self.resolvers.values())
        changed = True
        while changed:
            changed = False
            rest = []
            for r in pending:
                if all(a in have for a in r.input.required):
                    before = len(have)
                    have.update(r.output)
                    changed = changed or len(have) != before
                else:
                    rest.append(r)
            pending = rest
        return frozenset(have)

    def is_reachable(self, attr: str, available: Iterable[str] = ()) -> bool:
        """Return whether ``attr`` can be resolved from ``available``."""
        return keyword(attr) in self.reachable(available)

    def paths(self, attr: str, available: Iterable[str] = ()) -> list[list[str]]:
        """Return the ways to get ``attr`` from ``available``: resolver names in run order.

        Each path lists the resolvers to run, dependencies first; ``[]`` means unreachable and
        ``[[]]`` means ``attr`` is already available.
        """
        from ouroboros.connect.planner import AttrNode, plan_attrs

        target = keyword(attr)
        plan = plan_attrs(self, {target: {}}, frozenset(keyword(a) for a in available))
        if target in plan.available:
            return [[]]
        node = plan.nodes.get(target)
        if node is None:
            return []

        def expand(n: AttrNode) -> list[list[str]]:
            out: list[list[str]] = []
            for step in n.options:
                prefixes: list[list[str]] = [[]]
                for dep in step.requires:
                    prefixes = [p + d for p in prefixes for d in expand(dep)]
                out.extend([*p, step.resolver.name] for p in prefixes)
            return out

        return expand(node)

    def describe_resolver(self, name: str) -> Mapping[str, Any]:
        """Return a resolver's declaration as plain data."""
        r = self.resolvers[name]
        return {
            "name": r.name,
            "input": r.input.to_edn(),
            "output": r.output.to_edn(),
            "batch": r.batch,
            "priority": r.priority,
            "doc": r.doc,
        }

    def __repr__(self) -> str:
        return (
            f"Indexes({len(self.resolvers)} resolvers, {len(self.mutations)} mutations, "
            f"{len(self.providers)} attributes)"
        )
