"""The async front, and the vector path (storage, SQL cosine, hybrid fusion) with the hashed
embedder; the real MiniLM model when the optional extra is installed."""

from __future__ import annotations

import threading

import anyio
import pytest

from ouroboros.store import HashedNgramEmbedder, Store, open_store
from ouroboros.store.embedding import minilm_available


def test_async_front_has_the_same_methods(store: Store) -> None:
    async def main() -> None:
        made = await store.aio.create_entities(
            [{"name": "A", "entityType": "t", "observations": ["tea"]}]
        )
        assert made[0]["name"] == "A"
        got = await store.aio.search("tea")
        assert got["results"][0]["name"] == "A"
        assert (await store.aio.memory_set("k", 1))["created"] is True

    anyio.run(main)
    with pytest.raises(AttributeError):
        _ = store.aio._call


def test_threads_share_one_store(store: Store) -> None:
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(25):
                store.create_entities(
                    [{"name": f"t{t}-{i}", "entityType": "x", "observations": [f"n{i}"]}]
                )
                store.search(f"n{i}")
                store.get_entity(f"t{t}-{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert store.counts()["entities"] == 150


def test_hashed_embedder_is_deterministic_and_unit_length() -> None:
    e = HashedNgramEmbedder()
    [a, b] = e.embed(["graph databases", "graph databases"])
    assert a == b and len(a) == 384
    assert sum(x * x for x in a) == pytest.approx(1.0)


@pytest.fixture
def vstore(db_path: str):
    with open_store(db_path, embedder=HashedNgramEmbedder()) as s:
        s.create_entities(
            [
                {"name": "Alice", "entityType": "person", "observations": ["enjoys databases"]},
                {"name": "Bob", "entityType": "person", "observations": ["plays the violin"]},
                {
                    "name": "Carol",
                    "entityType": "person",
                    "observations": ["database administration"],
                },
            ]
        )
        yield s


def test_semantic_search_uses_stored_vectors(vstore: Store) -> None:
    got = vstore.search("databased", mode="semantic")
    assert got["mode"] == "semantic"
    assert "note" not in got
    assert {r["name"] for r in got["results"][:2]} == {"Alice", "Carol"}  # shared trigrams
    assert got["results"][0]["score"] <= 1.0
    assert vstore.info()["pending_embeddings"] == 0


def test_hybrid_is_the_default_with_an_embedder(vstore: Store) -> None:
    got = vstore.search("violin")
    assert got["mode"] == "hybrid"
    assert got["results"][0]["name"] == "Bob"


def test_vectors_follow_writes_and_survive_reopen(vstore: Store, db_path: str) -> None:
    vstore.add_observations([{"entityName": "Bob", "contents": ["loves databases too"]}])
    sem = vstore.search("databases", mode="semantic", limit=3)
    assert "Bob" in [r["name"] for r in sem["results"]]
    vstore.delete_entities(["Carol"])
    assert "Carol" not in [r["name"] for r in vstore.search("database", mode="semantic")["results"]]
    vstore.close()
    with open_store(db_path, embedder=HashedNgramEmbedder()) as again:
        assert again.info()["pending_embeddings"] == 0  # nothing to recompute
        assert again.search("violin", mode="semantic")["results"][0]["name"] == "Bob"


@pytest.mark.embeddings
@pytest.mark.skipif(
    not minilm_available(), reason="optional extra ouroboros-engine[embeddings] not installed"
)
@pytest.mark.slow
def test_real_model_finds_meaning_not_words(db_path: str) -> None:
    with open_store(db_path, embedder="minilm") as s:
        s.create_entities(
            [
                {
                    "name": "Alice",
                    "entityType": "person",
                    "observations": ["works at Anthropic on AI safety"],
                },
                {
                    "name": "Bob",
                    "entityType": "person",
                    "observations": ["bakes sourdough bread every morning"],
                },
            ]
        )
        got = s.search("machine learning researcher", mode="semantic")
        assert got["results"][0]["name"] == "Alice"
        hybrid = s.search("baker", mode="hybrid")
        assert hybrid["results"][0]["name"] == "Bob"
