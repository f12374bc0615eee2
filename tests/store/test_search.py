"""Keyword search: BM25 ranking, multi-word, prefixes, every write seen at once."""

from __future__ import annotations

import pytest

from ouroboros.errors import InvalidInputError
from ouroboros.store import Store
from ouroboros.store.textindex import tokenize


def names(result: dict) -> list[str]:
    return [r["name"] for r in result["results"]]


def test_multi_word_query_ranks_entities_with_all_words_first(people: Store) -> None:
    got = people.search("likes Alice")
    assert got["mode"] == "keyword"
    # Alice has the name word and "likes"; Bob mentions Alice and likes coffee: both have both
    # words; Carol has neither.
    assert set(names(got)[:2]) == {"Alice", "Bob"}
    assert "Carol" not in names(got)
    assert got["results"][0]["score"] >= got["results"][1]["score"]


def test_all_words_beat_one_word(people: Store) -> None:
    got = people.search("graph tea")
    assert set(names(got)) == {"Carol", "Alice"}
    people.add_observations([{"entityName": "Bob", "contents": ["graph of tea prices"]}])
    assert names(people.search("graph tea"))[0] == "Bob"


def test_case_and_unicode_insensitive(store: Store) -> None:
    store.create_entities(
        [{"name": "Zoë Ünal", "entityType": "PERSON", "observations": ["Straße in Köln, 東京"]}]
    )
    for q in ("zoë", "ÜNAL", "person", "strasse", "köln", "東京"):
        assert names(store.search(q)) == ["Zoë Ünal"], q


def test_prefix_matches(people: Store) -> None:
    assert names(people.search("anthro"))[:2] == ["Anthropic", "Alice"]
    assert names(people.search("caro")) == ["Carol"]


def test_name_hits_rank_above_mentions(people: Store) -> None:
    assert names(people.search("alice"))[0] == "Alice"


def test_search_sees_every_write_at_once(store: Store) -> None:
    assert store.search("zebra")["results"] == []
    store.create_entities([{"name": "Z", "entityType": "animal", "observations": ["a zebra"]}])
    assert names(store.search("zebra")) == ["Z"]
    store.add_observations([{"entityName": "Z", "contents": ["stripes"]}])
    assert names(store.search("stripes")) == ["Z"]
    store.delete_observations([{"entityName": "Z", "observations": ["a zebra"]}])
    assert store.search("zebra")["results"] == []
    store.delete_entities(["Z"])
    assert store.search("stripes")["results"] == []


def test_results_carry_entity_fields_and_limit(people: Store) -> None:
    got = people.search("person", limit=2)
    assert len(got["results"]) == 2
    assert got["total"] == 3
    r = got["results"][0]
    assert set(r) == {"name", "entityType", "observations", "score"}


def test_semantic_without_embedder_falls_back_and_says_so(people: Store) -> None:
    for mode in ("auto", "semantic", "hybrid"):
        got = people.search("tea", mode=mode)
        assert got["mode"] == "keyword"
        assert "not available" in got["note"]
    assert "note" not in people.search("tea", mode="keyword")


@pytest.mark.parametrize("query", ["", "   ", None])
def test_empty_query_is_refused(people: Store, query: object) -> None:
    with pytest.raises(InvalidInputError):
        people.search(query)  # type: ignore[arg-type]


def test_bad_mode_and_limit(people: Store) -> None:
    with pytest.raises(InvalidInputError):
        people.search("tea", mode="fuzzy")
    with pytest.raises(InvalidInputError):
        people.search("tea", limit=0)


def test_punctuation_only_query_finds_nothing(people: Store) -> None:
    assert people.search("!!! ???")["results"] == []


def test_tokenize() -> None:
    assert tokenize("Hello, World! it's ÉTÉ_2") == ["hello", "world", "it", "s", "été_2"]
