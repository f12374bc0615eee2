"""Graph algorithms with networkx (centrality, communities) on a bounded part of the graph.

The graph is built from the in-memory model: the whole graph when no names are given, else the
named entities and everything within ``depth`` hops. Beyond ``MAX_NODES`` nodes the call is
refused (PayloadTooLargeError) rather than left to run for minutes: betweenness is O(n·m).
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from ouroboros.errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from ouroboros.store.graphstate import GraphState
from ouroboros.store.validate import check_names

__all__ = ["MAX_NODES", "GraphAlgorithms"]

MAX_NODES = 20_000
MAX_NODES_BETWEENNESS = 5_000
KINDS = ("degree", "pagerank", "betweenness")


def pagerank(g: nx.DiGraph, alpha: float = 0.85, tol: float = 1e-9) -> dict[str, float]:
    """Return PageRank by power iteration (networkx's own needs numpy, which we do not ship)."""
    n = g.number_of_nodes()
    rank = dict.fromkeys(g, 1.0 / n)
    out_deg = dict(g.out_degree())
    for _ in range(100):
        dangling = alpha * sum(rank[v] for v in g if out_deg[v] == 0) / n
        nxt = dict.fromkeys(g, (1.0 - alpha) / n + dangling)
        for v in g:
            if out_deg[v]:
                share = alpha * rank[v] / out_deg[v]
                for w in g.successors(v):
                    nxt[w] += share
        delta = sum(abs(nxt[v] - rank[v]) for v in g)
        rank = nxt
        if delta < n * tol:
            break
    return rank


class GraphAlgorithms:
    """Centrality and community detection over the owner's in-memory graph."""

    def __init__(self, state: GraphState) -> None:
        self.state = state

    def _graph(self, names: Any, depth: int, max_nodes: int) -> nx.DiGraph:
        st = self.state
        with st.lock:
            if names is None:
                ids = set(st.entities)
            else:
                wanted = check_names(names, "entity name")
                missing = [n for n in wanted if n not in st.by_name]
                if missing:
                    raise NotFoundError(
                        f"entity does not exist: {', '.join(repr(m) for m in missing[:10])}",
                        details={"missing": missing},
                    )
                ids = set(st.ids_of(wanted))
                frontier = set(ids)
                for _ in range(depth):
                    nxt: set[int] = set()
                    for eid in frontier:
                        nxt.update(d for _, d in st.out.get(eid, {}))
                        nxt.update(s for _, s in st.inc.get(eid, {}))
                    frontier = nxt - ids
                    ids |= frontier
                    if len(ids) > max_nodes:
                        break
            if len(ids) > max_nodes:
                raise PayloadTooLargeError(
                    f"the graph to analyse has {len(ids):,} nodes; the limit is {max_nodes:,}: "
                    "pass names (and a depth) to analyse a part of it",
                    details={"nodes": len(ids), "limit": max_nodes},
                )
            g: nx.DiGraph = nx.DiGraph()
            for eid in ids:
                g.add_node(st.entities[eid].name, entityType=st.entities[eid].entity_type)
            for src in ids:
                for (rtype, dst), _ in st.out.get(src, {}).items():
                    if dst in ids:
                        g.add_edge(st.entities[src].name, st.entities[dst].name, relationType=rtype)
        return g

    def centrality(
        self, names: Any = None, kind: str = "degree", depth: int = 2, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Return ``[{"name", "entityType", "score"}]``, most central first (top ``limit``)."""
        if kind not in KINDS:
            raise InvalidInputError(f"kind must be one of {', '.join(KINDS)}")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInputError("limit must be a positive integer")
        cap = MAX_NODES_BETWEENNESS if kind == "betweenness" else MAX_NODES
        g = self._graph(names, depth, cap)
        if g.number_of_nodes() == 0:
            return []
        if kind == "degree":
            scores = nx.degree_centrality(g)
        elif kind == "pagerank":
            scores = pagerank(g)
        else:
            scores = nx.betweenness_centrality(g.to_undirected(as_view=True))
        top = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [
            {"name": n, "entityType": g.nodes[n]["entityType"], "score": round(s, 6)}
            for n, s in top
        ]

    def communities(
        self, names: Any = None, depth: int = 2, limit: int = 50, seed: int = 0
    ) -> list[dict[str, Any]]:
        """Return ``[{"id", "size", "members": [names]}]`` (Louvain, deterministic for ``seed``),
        largest first."""
        g = self._graph(names, depth, MAX_NODES)
        if g.number_of_nodes() == 0:
            return []
        found = nx.community.louvain_communities(g.to_undirected(), seed=seed)
        ordered = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
        return [
            {"id": i, "size": len(members), "members": members}
            for i, members in enumerate(ordered[:limit])
        ]
