"""Graph queries: neighbours, shortest paths, subgraphs, centrality, communities."""

from __future__ import annotations

import itertools

import pytest

from ouroboros.errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from ouroboros.store import Store, algorithms


@pytest.fixture
def chain(store: Store) -> Store:
    # a -> b -> c -> d -> e, plus a -likes-> x, and an island z
    names = ["a", "b", "c", "d", "e", "x", "z"]
    store.create_entities([{"name": n, "entityType": "node", "observations": []} for n in names])
    store.create_relations(
        [{"from": s, "to": t, "relationType": "next"} for s, t in zip("abcd", "bcde", strict=True)]
        + [{"from": "a", "to": "x", "relationType": "likes"}]
    )
    return store


def test_neighbours_by_depth(chain: Store) -> None:
    got = chain.neighbours("c", depth=2)
    assert got["root"] == "c"
    assert [(n["name"], n["depth"]) for n in got["nodes"]] == [
        ("b", 1),
        ("d", 1),
        ("a", 2),
        ("e", 2),
    ]
    assert {(r["from"], r["to"]) for r in got["relations"]} == {
        ("a", "b"),
        ("b", "c"),
        ("c", "d"),
        ("d", "e"),
    }
    assert got["truncated"] is False


def test_neighbours_direction_type_and_limit(chain: Store) -> None:
    assert [n["name"] for n in chain.neighbours("a", depth=6, direction="out")["nodes"]] == [
        "b",
        "x",
        "c",
        "d",
        "e",
    ]
    assert [n["name"] for n in chain.neighbours("c", depth=6, direction="in")["nodes"]] == [
        "b",
        "a",
    ]
    only = chain.neighbours("a", depth=3, relation_type="likes")
    assert [n["name"] for n in only["nodes"]] == ["x"]
    cut = chain.neighbours("a", depth=6, limit=2)
    assert len(cut["nodes"]) == 2 and cut["truncated"] is True
    assert chain.neighbours("z")["nodes"] == []


def test_neighbours_handles_cycles(chain: Store) -> None:
    chain.create_relations([{"from": "e", "to": "a", "relationType": "next"}])
    got = chain.neighbours("a", depth=6, direction="out")
    assert sorted(n["name"] for n in got["nodes"]) == ["b", "c", "d", "e", "x"]


def test_neighbours_bad_input(chain: Store) -> None:
    with pytest.raises(NotFoundError):
        chain.neighbours("nope")
    with pytest.raises(InvalidInputError):
        chain.neighbours("a", depth=0)
    with pytest.raises(InvalidInputError):
        chain.neighbours("a", depth=99)
    with pytest.raises(InvalidInputError):
        chain.neighbours("a", direction="up")


def test_shortest_path(chain: Store) -> None:
    got = chain.shortest_path("e", "x")
    assert got is not None
    assert got["path"] == ["e", "d", "c", "b", "a", "x"]
    assert got["length"] == 5
    assert [(r["from"], r["to"]) for r in got["relations"]][:1] == [("d", "e")]
    assert chain.shortest_path("e", "x", max_depth=3) is None
    assert chain.shortest_path("e", "a", direction="out") is None
    assert chain.shortest_path("a", "e", direction="out")["length"] == 4  # type: ignore[index]
    assert chain.shortest_path("a", "z") is None
    assert chain.shortest_path("a", "a") == {"path": ["a"], "relations": [], "length": 0}
    with pytest.raises(NotFoundError):
        chain.shortest_path("a", "nope")


def test_shortest_path_prefers_the_short_way(chain: Store) -> None:
    chain.create_relations([{"from": "a", "to": "e", "relationType": "shortcut"}])
    got = chain.shortest_path("b", "e")
    assert got is not None and got["length"] == 2
    assert got["path"] in (["b", "a", "e"], ["b", "c", "d", "e"][:0] or ["b", "a", "e"])


def test_subgraph(chain: Store) -> None:
    got = chain.subgraph(["a", "e"], depth=1)
    assert sorted(e["name"] for e in got["entities"]) == ["a", "b", "d", "e", "x"]
    assert {(r["from"], r["to"]) for r in got["relations"]} == {("a", "b"), ("a", "x"), ("d", "e")}
    just = chain.subgraph(["a", "b"], depth=0)
    assert [e["name"] for e in just["entities"]] == ["a", "b"]
    assert [(r["from"], r["to"]) for r in just["relations"]] == [("a", "b")]


def test_centrality(chain: Store) -> None:
    deg = chain.centrality(kind="degree")
    assert deg[0]["name"] in {"a", "b", "c", "d"}
    assert {r["name"] for r in deg} == {"a", "b", "c", "d", "e", "x", "z"}
    pr = chain.centrality(kind="pagerank", limit=1)
    assert pr[0]["name"] == "e"  # everything flows down the chain
    bt = chain.centrality(["c"], kind="betweenness", depth=1)
    assert bt[0]["name"] == "c"
    with pytest.raises(InvalidInputError):
        chain.centrality(kind="closeness")


def test_communities(store: Store) -> None:
    names = [f"{g}{i}" for g in "pq" for i in range(4)]
    store.create_entities([{"name": n, "entityType": "n"} for n in names])
    rels = [
        {"from": f"{g}{i}", "to": f"{g}{j}", "relationType": "r"}
        for g in "pq"
        for i in range(4)
        for j in range(i + 1, 4)
    ]
    rels.append({"from": "p0", "to": "q0", "relationType": "bridge"})
    store.create_relations(rels)
    got = store.communities()
    assert [c["size"] for c in got] == [4, 4]
    assert {tuple(c["members"]) for c in got} == {
        ("p0", "p1", "p2", "p3"),
        ("q0", "q1", "q2", "q3"),
    }


def test_algorithms_refuse_graphs_beyond_the_limit(
    chain: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(algorithms, "MAX_NODES", 3)
    with pytest.raises(PayloadTooLargeError, match="limit is 3"):
        chain.centrality()
    assert chain.centrality(["z"], depth=1)[0]["name"] == "z"


def test_memory_and_sql_walks_agree(store: Store) -> None:
    import random

    rng = random.Random(3)
    n = 60
    store.create_entities([{"name": f"n{i}", "entityType": "t"} for i in range(n)])
    store.create_relations(
        [
            {
                "from": f"n{rng.randrange(n)}",
                "to": f"n{rng.randrange(n)}",
                "relationType": rng.choice("rs"),
            }
            for _ in range(90)
        ]
    )
    for i in range(0, n, 7):
        for direction in ("out", "in", "both"):
            for rtype in (None, "r"):
                for depth in (1, 2, 4):
                    args = {"depth": depth, "direction": direction, "relation_type": rtype}
                    mem = store.neighbours(f"n{i}", **args)
                    sql = store.neighbours(f"n{i}", engine="sql", **args)
                    assert mem == sql, (i, args)
        assert store.subgraph([f"n{i}", "n1"], depth=2) == store.subgraph(
            [f"n{i}", "n1"], depth=2, engine="sql"
        )
    with pytest.raises(InvalidInputError):
        store.neighbours("n1", engine="gremlin")


@pytest.mark.parametrize("direction", ["both", "out", "in"])
def test_shortest_path_matches_a_reference_bfs(store: Store, direction: str) -> None:
    """On a random sparse graph, the two-way search finds paths as short as networkx does,
    made of real relations, and none where networkx finds none within max_depth."""
    import random

    import networkx as nx

    rng = random.Random(3)
    n = 120
    store.create_entities([{"name": f"n{i}", "entityType": "t"} for i in range(n)])
    edges = {(rng.randrange(n), rng.randrange(n), rng.choice("ab")) for _ in range(150)}
    edges = {e for e in edges if e[0] != e[1]}
    store.create_relations(
        [{"from": f"n{a}", "to": f"n{b}", "relationType": t} for a, b, t in edges]
    )
    g = nx.DiGraph() if direction != "both" else nx.Graph()
    g.add_nodes_from(range(n))
    for a, b, _t in edges:
        g.add_edge(*((b, a) if direction == "in" else (a, b)))
    for _ in range(150):
        a, b = rng.randrange(n), rng.randrange(n)
        got = store.shortest_path(f"n{a}", f"n{b}", max_depth=4, direction=direction)
        try:
            want = nx.shortest_path_length(g, a, b)
        except nx.NetworkXNoPath:
            want = None
        if want is None or want > 4:
            assert got is None
            continue
        assert got is not None and got["length"] == want
        assert got["path"][0] == f"n{a}" and got["path"][-1] == f"n{b}"
        for (x, y), rel in zip(itertools.pairwise(got["path"]), got["relations"], strict=True):
            pair = (rel["from"], rel["to"])
            ok = {"out": [(x, y)], "in": [(y, x)], "both": [(x, y), (y, x)]}[direction]
            assert pair in ok
