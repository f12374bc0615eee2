"""Bi-temporal facts: valid time on add, invalidation, purge, history, reads asOf / knownAt.

DuckDB only for now: the PostgreSQL backend (``pgstore``) does not implement the temporal
operations yet, so this module overrides the two-backend ``store`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ouroboros.errors import ConflictError, InvalidInputError
from ouroboros.store import Store, open_store
from ouroboros.store.clock import iso, utcnow


@pytest.fixture
def store(db_path: str) -> Iterator[Store]:
    with open_store(db_path, embedder=None) as s:
        yield s


def obs(store: Store, name: str) -> list[str]:
    return store.open_nodes([name])["entities"][0]["observations"]


@pytest.fixture
def ada(store: Store) -> Store:
    store.create_entities(
        [
            {"name": "Ada", "entityType": "person", "observations": ["likes tea"]},
            {"name": "Bob", "entityType": "person", "observations": []},
        ]
    )
    store.create_relations([{"from": "Ada", "to": "Bob", "relationType": "knows"}])
    return store


def test_valid_time_on_add_filters_current_reads(ada: Store) -> None:
    ada.add_observations(
        [
            {"entityName": "Ada", "contents": ["lived in Paris"], "validTo": "2021-01-01"},
            {"entityName": "Ada", "contents": ["lives in Rome"], "validFrom": "1 Jan 2021"},
            {"entityName": "Ada", "contents": ["will retire"], "validFrom": "2999-01-01"},
        ]
    )
    assert obs(ada, "Ada") == ["likes tea", "lives in Rome"]
    past = ada.open_nodes_at(["Ada"], as_of="2020-06-01")["entities"][0]["observations"]
    assert past == ["likes tea", "lived in Paris"]
    future = ada.open_nodes_at(["Ada"], as_of="3000-01-01")["entities"][0]["observations"]
    assert future == ["likes tea", "lives in Rome", "will retire"]


def test_half_open_intervals(ada: Store) -> None:
    ada.add_observations(
        [{"entityName": "Ada", "contents": ["x"], "validFrom": "2020-01-01", "validTo": "2021"}]
    )

    def at(t: str) -> list[str]:
        return ada.observations_at(["Ada"], as_of=t).get("Ada", [])  # type: ignore[return-value]

    assert [o["text"] for o in at("2020-01-01")] == ["likes tea", "x"]
    assert [o["text"] for o in at("2021-01-01")] == ["likes tea"]
    assert [o["text"] for o in at("2019-12-31T23:59:59")] == ["likes tea"]


@pytest.mark.parametrize(
    "bad",
    [
        {"validFrom": "03/04/2023"},
        {"validFrom": "yesterday"},
        {"validFrom": "2021-01-01", "validTo": "2020-01-01"},
        {"validTo": 5},
    ],
)
def test_bad_valid_times_are_refused(ada: Store, bad: dict) -> None:
    with pytest.raises(InvalidInputError):
        ada.add_observations([{"entityName": "Ada", "contents": ["y"], **bad}])
    assert obs(ada, "Ada") == ["likes tea"]


def test_invalidate_keeps_history_and_known_at_sees_before(ada: Store) -> None:
    before = iso(utcnow())
    assert ada.invalidate_observations([{"entityName": "Ada", "observations": ["likes tea"]}]) == 1
    assert ada.invalidate_relations([{"from": "Ada", "to": "Bob", "relationType": "knows"}]) == 1
    now = ada.open_nodes(["Ada"])
    assert now["entities"][0]["observations"] == [] and now["relations"] == []
    then = ada.open_nodes_at(["Ada"], known_at=before)
    assert then["entities"][0]["observations"] == ["likes tea"]
    assert then["relations"] == [{"from": "Ada", "to": "Bob", "relationType": "knows"}]
    # Valid at a past moment, as known now: the invalidation ended it only from now on.
    assert ada.open_nodes_at(["Ada"], as_of=before)["entities"][0]["observations"] == ["likes tea"]
    ops = [(e["op"], e["kind"]) for e in ada.entity_history("Ada")["events"]]
    assert ops == [
        ("create", "entity"),
        ("add", "observation"),
        ("add", "relation"),
        ("invalidate", "observation"),
        ("invalidate", "relation"),
    ]
    assert ada.search("tea")["results"] == []
    assert [r["name"] for r in ada.search_at("tea", known_at=before)["results"]] == ["Ada"]
    # Absent facts: a no-op, as delete is.
    assert ada.invalidate_observations([{"entityName": "Ada", "observations": ["nope"]}]) == 0


def test_invalidate_at_a_past_time_and_refusals(ada: Store) -> None:
    ada.add_observations(
        [{"entityName": "Ada", "contents": ["in Oslo"], "validFrom": "2020-01-01"}]
    )
    n = ada.invalidate_observations(
        [{"entityName": "Ada", "observations": ["in Oslo"], "at": "2022-01-01"}]
    )
    assert n == 1
    assert [o["text"] for o in ada.observations_at(["Ada"], as_of="2021-06-01")["Ada"]] == [
        "likes tea",
        "in Oslo",
    ]
    assert "in Oslo" not in [o["text"] for o in ada.observations_at(["Ada"], as_of="2023")["Ada"]]
    with pytest.raises(InvalidInputError, match="future"):
        ada.invalidate_observations(
            [{"entityName": "Ada", "observations": ["likes tea"], "at": "2999-01-01"}]
        )
    ada.add_observations([{"entityName": "Ada", "contents": ["z"], "validFrom": "2020-01-01"}])
    with pytest.raises(InvalidInputError, match="became valid"):
        ada.invalidate_observations(
            [{"entityName": "Ada", "observations": ["z"], "at": "2019-01-01"}]
        )


def test_delete_is_still_a_hard_delete(ada: Store) -> None:
    ada.delete_observations([{"entityName": "Ada", "observations": ["likes tea"]}])
    events = ada.entity_history("Ada")["events"]
    assert all(e.get("text") != "likes tea" for e in events)


def test_purge_forgets_every_version_and_is_audited(ada: Store) -> None:
    ada.add_observations([{"entityName": "Ada", "contents": ["secret"]}], idempotency_key="k")
    ada.invalidate_observations([{"entityName": "Ada", "observations": ["secret"]}])
    got = ada.purge(["Bob"], [{"entityName": "Ada", "observations": ["secret"]}])
    assert got == {"entities": 1, "observations": 2, "relations": 1}
    assert all("secret" not in str(e) for e in ada.entity_history("Ada")["events"])
    assert ada.get_entity("Bob") is None
    record = ada.audit_log(1)[0]
    assert record["action"] == "purge" and "secret" not in str(record)
    snap = str(ada.snapshot())
    assert "secret" not in snap
    with pytest.raises(InvalidInputError):
        ada.purge()


def test_idempotency_key(ada: Store) -> None:
    first = ada.add_observations([{"entityName": "Ada", "contents": ["a"]}], idempotency_key="r1")
    again = ada.add_observations([{"entityName": "Ada", "contents": ["a"]}], idempotency_key="r1")
    assert first == again == [{"entityName": "Ada", "addedObservations": ["a"]}]
    with pytest.raises(ConflictError):
        ada.add_observations([{"entityName": "Ada", "contents": ["b"]}], idempotency_key="r1")
    with pytest.raises(InvalidInputError):
        ada.add_observations([{"entityName": "Ada", "contents": ["b"]}], idempotency_key="")


def test_read_graph_at_and_bad_times(ada: Store) -> None:
    page = ada.read_graph_at(limit=1, as_of="2999-01-01")
    assert page["total"] == 2 and page["next_offset"] == 1
    with pytest.raises(InvalidInputError, match="asOf"):
        ada.open_nodes_at(["Ada"], as_of="03/04/2023")
    with pytest.raises(InvalidInputError, match="knownAt"):
        ada.read_graph_at(known_at="soon")


def test_temporal_state_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    with open_store(path, embedder=None) as s:
        s.create_entities([{"name": "A", "entityType": "t", "observations": ["old", "keep"]}])
        s.add_observations([{"entityName": "A", "contents": ["later"], "validFrom": "2999-01-01"}])
        s.invalidate_observations([{"entityName": "A", "observations": ["old"]}])
    with open_store(path, embedder=None) as s:
        assert obs(s, "A") == ["keep"]
        assert len(s.entity_history("A")["events"]) == 5
        assert "later" in s.open_nodes_at(["A"], as_of="3000-01-01")["entities"][0]["observations"]


@pytest.mark.postgres
def test_postgres_says_temporal_is_duckdb_only(pg_url: str) -> None:
    """The PostgreSQL backend refuses the #11 operations in the one error shape (no crash)."""
    from ouroboros.errors import StoreError

    with open_store(pg_url, embedder=None) as s:
        s.create_entities([{"name": "A", "entityType": "t", "observations": ["x"]}])
        with pytest.raises(StoreError, match="DuckDB only"):
            s.invalidate_observations([{"entityName": "A", "observations": ["x"]}])
        # Keyed writes work there (tests/store/test_idempotency.py).
        s.create_entities([{"name": "B", "entityType": "t"}], idempotency_key="k")
