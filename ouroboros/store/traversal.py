"""Graph traversal in SQL: neighbours to depth k, shortest paths, subgraphs around entities.

Breadth-first search is a recursive CTE with DuckDB's ``USING KEY``: the working table is keyed
by entity id and a node already in ``recurring.walk`` is never expanded again, so every node is
visited once and the work per level is bounded by the number of relations (no path explosion).
Depth is always bounded (``MAX_DEPTH``) and so is the number of nodes returned.

The same walk also runs over the owner's in-memory adjacency (``engine="memory"``, the default):
it visits only the nodes it returns, so its cost does not grow with the graph, while the SQL
walk scans the relations table once per level (measured 3 ms at 1k entities, 27 ms at 100k;
bench/RESULTS.md). Both give the same nodes and depths; tests hold them to that.

``shortest_path`` is a two-way breadth-first search over that adjacency (from both ends at
once, always growing the smaller frontier), no longer a recursive CTE: at 100k entities the CTE
took 86 ms median, the two-way search well under a millisecond (bench/store_scale.py).
"""

from __future__ import annotations

import itertools
from typing import Any

from ouroboros.errors import InvalidInputError, NotFoundError
from ouroboros.store.database import Database
from ouroboros.store.graphstate import GraphState, RelKey
from ouroboros.store.validate import check_identifier, check_names

__all__ = ["MAX_DEPTH", "MAX_NODES", "Traversal"]

MAX_DEPTH = 6
MAX_NODES = 10_000

_DIRECTIONS = {
    "out": "SELECT src AS a, dst AS nb FROM relations WHERE {f}",
    "in": "SELECT dst AS a, src AS nb FROM relations WHERE {f}",
    "both": (
        "SELECT src AS a, dst AS nb FROM relations WHERE {f} "
        "UNION ALL SELECT dst AS a, src AS nb FROM relations WHERE {f}"
    ),
}


def _edges_sql(direction: str, relation_type: str | None) -> str:
    if direction not in _DIRECTIONS:
        raise InvalidInputError("direction must be 'out', 'in' or 'both'")
    # The filter is a fixed placeholder expression; the relation type travels as parameter $3.
    # Current relations only: not expired, validity not ended (an invalidation sets valid_to
    # to a time not after the moment it ran, so a set valid_to is always in the past).
    f = (
        "expired_at IS NULL AND valid_to IS NULL "
        "AND ($3::VARCHAR IS NULL OR relation_type = $3::VARCHAR)"
    )
    return _DIRECTIONS[direction].format(f=f)


def _bound(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(f"{what} must be an integer from {low} to {high}")
    return value


class Traversal:
    """Breadth-first walks over the relations table."""

    def __init__(self, db: Database, state: GraphState) -> None:
        self.db = db
        self.state = state

    def _ids(self, names: list[str]) -> list[int]:
        with self.state.lock:
            missing = [n for n in names if n not in self.state.by_name]
            if missing:
                raise NotFoundError(
                    f"entity does not exist: {', '.join(repr(m) for m in missing[:10])}",
                    details={"missing": missing},
                )
            return self.state.ids_of(names)

    def _walk(
        self,
        seeds: list[int],
        depth: int,
        direction: str,
        relation_type: str | None,
        engine: str = "memory",
    ) -> list[tuple[int, int]]:
        if engine == "memory":
            return self._walk_memory(seeds, depth, direction, relation_type)
        if engine != "sql":
            raise InvalidInputError("engine must be 'memory' or 'sql'")
        sql = (
            f"WITH RECURSIVE edges AS ({_edges_sql(direction, relation_type)}), "
            "walk(id, depth) USING KEY (id) AS ("
            "  SELECT unnest($1::BIGINT[]), 0"
            "  UNION"
            "  SELECT e.nb, w.depth + 1 FROM walk w JOIN edges e ON e.a = w.id"
            "  WHERE w.depth < $2 AND NOT EXISTS "
            "    (SELECT 1 FROM recurring.walk r WHERE r.id = e.nb)"
            ") SELECT id, depth FROM walk ORDER BY depth, id"
        )
        return [(int(i), int(d)) for i, d in self.db.fetchall(sql, [seeds, depth, relation_type])]

    def _walk_memory(
        self, seeds: list[int], depth: int, direction: str, relation_type: str | None
    ) -> list[tuple[int, int]]:
        if direction not in _DIRECTIONS:
            raise InvalidInputError("direction must be 'out', 'in' or 'both'")
        st = self.state
        maps = ([st.out] if direction in ("out", "both") else []) + (
            [st.inc] if direction in ("in", "both") else []
        )
        with st.lock:
            seen = dict.fromkeys(seeds, 0)
            frontier = list(seen)
            for level in range(1, depth + 1):
                nxt: list[int] = []
                for eid in frontier:
                    for adjacency in maps:
                        for rtype, other in adjacency.get(eid, ()):
                            if other not in seen and (
                                relation_type is None or rtype == relation_type
                            ):
                                seen[other] = level
                                nxt.append(other)
                if not nxt:
                    break
                frontier = nxt
        return sorted(seen.items(), key=lambda kv: (kv[1], kv[0]))

    def _relations_among(self, ids: set[int], relation_type: str | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        st = self.state
        for src in ids:
            for (rtype, dst), created in st.out.get(src, {}).items():
                if dst in ids and (relation_type is None or rtype == relation_type):
                    out.append(st.relation_dict((src, rtype, dst), created))
        return out

    def neighbours(
        self,
        name: Any,
        depth: int = 1,
        direction: str = "both",
        relation_type: str | None = None,
        limit: int = 1000,
        engine: str = "memory",
    ) -> dict[str, Any]:
        """Return entities within ``depth`` hops: ``{"root", "nodes": [{name, entityType, depth}],
        "relations", "truncated"}`` (nodes by depth, then creation order; root excluded).

        Raises NotFoundError if ``name`` does not exist.
        """
        name = check_identifier(name, "entity name")
        depth = _bound(depth, "depth", 1, MAX_DEPTH)
        limit = _bound(limit, "limit", 1, MAX_NODES)
        if relation_type is not None:
            relation_type = check_identifier(relation_type, "relation_type")
        [root] = self._ids([name])
        rows = [
            r for r in self._walk([root], depth, direction, relation_type, engine) if r[0] != root
        ]
        truncated = len(rows) > limit
        rows = rows[:limit]
        st = self.state
        with st.lock:
            nodes = [
                {"name": st.entities[i].name, "entityType": st.entities[i].entity_type, "depth": d}
                for i, d in rows
                if i in st.entities
            ]
            ids = {root} | {i for i, _ in rows}
            relations = self._relations_among(ids, relation_type)
        return {"root": name, "nodes": nodes, "relations": relations, "truncated": truncated}

    def shortest_path(
        self,
        src: Any,
        dst: Any,
        max_depth: int = MAX_DEPTH,
        direction: str = "both",
        relation_type: str | None = None,
    ) -> dict[str, Any] | None:
        """Return ``{"path": [names], "relations": [...], "length"}`` or None if none within
        ``max_depth`` hops. Raises NotFoundError if an endpoint does not exist.
        """
        src = check_identifier(src, "entity name")
        dst = check_identifier(dst, "entity name")
        max_depth = _bound(max_depth, "max_depth", 1, MAX_DEPTH)
        if relation_type is not None:
            relation_type = check_identifier(relation_type, "relation_type")
        a, b = self._ids([src, dst]) if src != dst else self._ids([src]) * 2
        if a == b:
            return {"path": [src], "relations": [], "length": 0}
        if direction not in _DIRECTIONS:
            raise InvalidInputError("direction must be 'out', 'in' or 'both'")
        found = self._two_way_bfs(a, b, max_depth, direction, relation_type)
        if found is None:
            return None
        path = found
        st = self.state
        with st.lock:
            relations = []
            for x, y in itertools.pairwise(path):
                relations.append(self._hop(x, y, direction, relation_type))
            names = [st.entities[i].name for i in path]
        return {"path": names, "relations": relations, "length": len(path) - 1}

    def _two_way_bfs(
        self, a: int, b: int, max_depth: int, direction: str, relation_type: str | None
    ) -> list[int] | None:
        """A shortest path from ``a`` to ``b`` of at most ``max_depth`` hops, or None.

        Two breadth-first searches, one from each end (the one from ``b`` walks the relations
        backwards), each step expanding whole level of the smaller frontier: the work is about
        the square root of a one-way search's. Among equally short paths the choice is
        deterministic (adjacency in creation order, the meeting node of smallest id).
        """
        st = self.state
        fwd = ([st.out] if direction in ("out", "both") else []) + (
            [st.inc] if direction in ("in", "both") else []
        )
        bwd = ([st.inc] if direction in ("out", "both") else []) + (
            [st.out] if direction in ("in", "both") else []
        )
        with st.lock:
            # parent maps: node -> the node it was reached from (None for the roots)
            seen_a: dict[int, int | None] = {a: None}
            seen_b: dict[int, int | None] = {b: None}
            front_a, front_b = [a], [b]
            hops = 0
            while front_a and front_b and hops < max_depth:
                grow_a = len(front_a) <= len(front_b)
                front, seen, other = (
                    (front_a, seen_a, seen_b) if grow_a else (front_b, seen_b, seen_a)
                )
                maps = fwd if grow_a else bwd
                nxt: list[int] = []
                meet: int | None = None
                for x in front:
                    for adjacency in maps:
                        for rtype, y in adjacency.get(x, ()):
                            if y in seen or (relation_type is not None and rtype != relation_type):
                                continue
                            seen[y] = x
                            nxt.append(y)
                            if y in other and (meet is None or y < meet):
                                meet = y
                hops += 1
                if meet is not None:
                    left: list[int] = []
                    node: int | None = meet
                    while node is not None:
                        left.append(node)
                        node = seen_a[node]
                    left.reverse()
                    node = seen_b[meet]
                    while node is not None:
                        left.append(node)
                        node = seen_b[node]
                    return left
                if grow_a:
                    front_a = nxt
                else:
                    front_b = nxt
        return None

    def _hop(self, x: int, y: int, direction: str, relation_type: str | None) -> dict[str, Any]:
        st = self.state
        candidates: list[tuple[RelKey, str]] = []
        if direction in ("out", "both"):
            candidates += [((x, t, y), c) for (t, d), c in st.out.get(x, {}).items() if d == y]
        if direction in ("in", "both"):
            candidates += [((y, t, x), c) for (t, d), c in st.out.get(y, {}).items() if d == x]
        candidates = [k for k in candidates if relation_type is None or k[0][1] == relation_type]
        key, created = min(candidates)
        return st.relation_dict(key, created)

    def subgraph(
        self,
        names: Any,
        depth: int = 1,
        direction: str = "both",
        relation_type: str | None = None,
        limit: int = 1000,
        engine: str = "memory",
    ) -> dict[str, Any]:
        """Return ``{"entities", "relations", "truncated"}``: everything within ``depth`` hops of
        any of ``names`` (depth 0: just them) and the relations among it.
        """
        wanted = check_names(names, "entity name")
        depth = _bound(depth, "depth", 0, MAX_DEPTH)
        limit = _bound(limit, "limit", 1, MAX_NODES)
        if relation_type is not None:
            relation_type = check_identifier(relation_type, "relation_type")
        seeds = self._ids(wanted)
        rows = (
            self._walk(seeds, depth, direction, relation_type, engine)
            if depth
            else [(s, 0) for s in seeds]
        )
        truncated = len(rows) > limit
        ids = [i for i, _ in rows[:limit]]
        st = self.state
        with st.lock:
            live = [i for i in ids if i in st.entities]
            return {
                "entities": [st.entities[i].to_dict() for i in live],
                "relations": self._relations_among(set(live), relation_type),
                "truncated": truncated,
            }
