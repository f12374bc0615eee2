"""Ingestion (transcripts, documents, files, stdin) and recall within a token budget."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from ouroboros.errors import InvalidInputError
from ouroboros.memory import (
    count_tokens,
    ingest_document,
    ingest_paths,
    ingest_transcript,
    ingest_turns,
    recall,
)
from ouroboros.store import Store


def ids(result: dict[str, Any]) -> list[str]:
    return [i["source"]["id"] for i in result["items"]]


def test_transcript_turns_become_entities_with_sources(
    store: Store, transcript: dict[str, Any]
) -> None:
    got = ingest_transcript(store, transcript)
    assert got["units"] == 8 and got["added"] == 8 and not got["unchanged"]
    turn = store.get_entity("chat-1#D1:3")
    assert turn is not None and turn["entityType"] == "turn"
    assert turn["observations"] == [
        "[1:56 pm, 8 May 2023] Ann: I went to a pottery class yesterday and made a bowl."
    ]
    times = store.observations_at(["chat-1#D1:3"])["chat-1#D1:3"]
    assert times[0]["validFrom"] == "2023-05-08T13:56:00.000000Z"
    rels = {(r["relationType"], r["to"]) for r in store.relations_of(["chat-1#D1:3"], "out")}
    assert rels == {("part_of", "chat-1"), ("spoken_by", "Ann")}
    # Mentions of known entities: D1:1 names Ben, a person entity made from the speakers.
    assert ("mentions", "Ben") in {
        (r["relationType"], r["to"]) for r in store.relations_of(["chat-1#D1:1"], "out")
    }
    assert (
        "photo: a photo of a small brown puppy"
        in store.get_entity("chat-1#D2:1")["observations"][0]
    )


def test_reingest_unchanged_is_a_noop_and_changed_supersedes(
    store: Store, transcript: dict[str, Any]
) -> None:
    ingest_transcript(store, transcript)
    again = ingest_transcript(store, transcript)
    assert again["unchanged"] and again["added"] == 0
    changed = copy.deepcopy(transcript)
    changed["sessions"][1]["turns"][2]["text"] = "We call him Muffin."
    del changed["sessions"][0]["turns"][4]
    got = ingest_transcript(store, changed)
    assert got["superseded"] == 2 and got["added"] == 1
    assert store.get_entity("chat-1#D2:3")["observations"] == [
        "[10:00 am, 2 June 2023] Ben: We call him Muffin."
    ]
    assert store.get_entity("chat-1#D1:5")["observations"] == []
    history = store.entity_history("chat-1#D2:3")["events"]
    assert [e["op"] for e in history if e["kind"] == "observation"] == [
        "add",
        "invalidate",
        "add",
    ]
    assert "Biscuit" not in json.dumps(recall(store, "Biscuit"))


def test_recall_answers_with_sources_in_budget(store: Store, transcript: dict[str, Any]) -> None:
    ingest_transcript(store, transcript)
    got = recall(store, "Where did Ann go to the pottery class?")
    assert got["items"][0]["source"] == {
        "id": "D1:3",
        "document": "chat-1",
        "kind": "turn",
        "time": "2023-05-08T13:56:00.000000Z",
        "speaker": "Ann",
    }
    # The next turns (the studio's name is in D1:5, two turns on) come in as neighbours.
    assert "D1:4" in ids(got)
    assert got["tokens"] == sum(count_tokens(i["text"]) for i in got["items"])
    assert not got["truncated"]
    small = recall(store, "Where did Ann go to the pottery class?", budget_tokens=30)
    assert small["tokens"] <= 30 and small["truncated"]
    assert recall(store, "pottery", limit=1)["truncated"] in (True, False)
    assert len(recall(store, "pottery dog", limit=1)["items"]) == 1


def test_recall_filters_and_as_of(store: Store, transcript: dict[str, Any]) -> None:
    ingest_transcript(store, transcript)
    store.create_entities(
        [{"name": "Biscuit", "entityType": "dog", "observations": ["a brown puppy dog"]}]
    )
    everything = recall(store, "dog puppy")
    kinds = {i["source"]["kind"] for i in everything["items"]}
    assert kinds == {"turn", "observation"}
    only = recall(store, "dog puppy", filters={"kind": "observation"})
    assert ids(only) == ["Biscuit"]
    june = recall(store, "dog puppy", filters={"from": "2023-06-01", "to": "2023-07-01"})
    assert set(ids(june)) <= {"D2:1", "D2:2", "D2:3"} and "D2:1" in ids(june)
    none = recall(store, "dog", filters={"source": "other-chat"})
    assert none["items"] == []
    past = recall(store, "dog", as_of="2023-05-20")
    assert "D2:1" not in ids(past)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"query": ""}, "non-empty"),
        ({"query": "x" * 5000}, "longer"),
        ({"query": "a", "limit": 0}, "limit"),
        ({"query": "a", "budget_tokens": 0}, "budget"),
        ({"query": "a", "filters": {"colour": "red"}}, "unknown filter"),
        ({"query": "a", "filters": {"kind": "poem"}}, "filters.kind"),
        ({"query": "a", "filters": {"from": "03/04/2023"}}, "ambiguous"),
        ({"query": "a", "filters": []}, "filters must"),
    ],
)
def test_recall_refuses_bad_input(store: Store, kwargs: dict[str, Any], match: str) -> None:
    query = kwargs.pop("query")
    with pytest.raises(InvalidInputError, match=match):
        recall(store, query, **kwargs)


def test_ingest_turns_appends_and_retry_adds_nothing(store: Store) -> None:
    turns = [
        {"id": "t1", "speaker": "user", "text": "My sister is called Jo.", "time": "2024-01-02"},
        {"id": "t2", "speaker": "assistant", "text": "Noted."},
    ]
    first = ingest_turns(store, "agent-chat", turns)
    assert first["added"] == 2
    assert ingest_turns(store, "agent-chat", turns)["added"] == 0
    ingest_turns(store, "agent-chat", [{"id": "t3", "speaker": "user", "text": "Jo likes chess"}])
    assert store.source_get("agent-chat")["chunks"] == [
        "agent-chat#t1",
        "agent-chat#t2",
        "agent-chat#t3",
    ]
    assert ids(recall(store, "sister"))[0] == "t1"
    with pytest.raises(InvalidInputError, match="speaker"):
        ingest_turns(store, "agent-chat", [{"id": "x", "text": "no speaker"}])
    with pytest.raises(InvalidInputError, match="repeated"):
        ingest_turns(store, "c", [turns[0], turns[0]])


MARKDOWN = """# Handbook

Welcome to the team handbook.

## Holidays

Everyone gets 30 days of paid leave. Ask your manager two weeks ahead.

## Expenses

Keep every receipt. Travel is booked through Ada Lovelace in finance.
"""


def test_markdown_document_chunks_with_line_ranges(store: Store) -> None:
    store.create_entities([{"name": "Ada Lovelace", "entityType": "person", "observations": []}])
    got = ingest_document(store, "docs/handbook.md", MARKDOWN, max_tokens=30)
    assert got["units"] == 3 and got["mentions"] == 1
    hit = recall(store, "how many days of paid leave?")["items"][0]
    assert hit["source"]["id"] == "docs/handbook.md#L5-7"
    assert hit["source"]["kind"] == "chunk" and hit["source"]["document"] == "docs/handbook.md"
    assert hit["text"].startswith("## Holidays")
    assert ("mentions", "Ada Lovelace") in {
        (r["relationType"], r["to"]) for r in store.relations_of(["docs/handbook.md#L9-11"])
    }
    assert ingest_document(store, "docs/handbook.md", MARKDOWN, max_tokens=30)["unchanged"]
    edited = MARKDOWN.replace("30 days", "28 days")
    again = ingest_document(store, "docs/handbook.md", edited, max_tokens=30)
    assert again["superseded"] == 1 and again["added"] == 1
    assert "28 days" in recall(store, "paid leave")["items"][0]["text"]


def test_ingest_paths_files_directories_and_stdin(
    store: Store, tmp_path: Path, transcript: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text(MARKDOWN)
    (tmp_path / "notes" / "b.txt").write_text("Plain text about gardening.\n\nTomatoes need sun.")
    (tmp_path / "notes" / "chat.json").write_text(json.dumps(transcript))
    (tmp_path / "notes" / "other.json").write_text('{"not": "a transcript"}')
    seen: list[str] = []
    results = ingest_paths(
        store, [str(tmp_path / "notes")], on_file=lambda r: seen.append(r["kind"])
    )
    assert sorted(seen) == ["markdown", "text", "transcript"]
    assert recall(store, "tomatoes")["items"][0]["source"]["kind"] == "chunk"
    assert len(results) == 3
    monkeypatch.setattr("sys.stdin", io.StringIO("Standard input talks about violins."))
    got = ingest_paths(store, ["-"], stdin_name="piped")
    assert got[0]["document"] == "piped"
    assert recall(store, "violin")["items"][0]["source"]["document"] == "piped"
    with pytest.raises(InvalidInputError, match="no such file"):
        ingest_paths(store, [str(tmp_path / "missing.md")])
    with pytest.raises(InvalidInputError, match="not a transcript"):
        ingest_paths(store, [str(tmp_path / "notes" / "other.json")])
    (tmp_path / "bin.md").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InvalidInputError, match="UTF-8"):
        ingest_paths(store, [str(tmp_path / "bin.md")])


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"conversation": "c"},
        {"conversation": "", "sessions": []},
        {"conversation": "c", "sessions": [{"id": "s", "time": "03/04/2023", "turns": []}]},
        {"conversation": "c", "sessions": [{"id": "s", "turns": [{"id": "1", "speaker": "a"}]}]},
        {"conversation": "c", "sessions": ["x"]},
    ],
)
def test_bad_transcripts_are_refused(store: Store, bad: Any) -> None:
    with pytest.raises(InvalidInputError):
        ingest_transcript(store, bad)


def test_turns_without_ids_get_content_ids(store: Store) -> None:
    turn = {"speaker": "user", "text": "I moved to Lisbon", "time": "2024-03-01T10:00:00Z"}
    first = ingest_turns(store, "agent", [turn])
    assert first["added"] == 1
    assert ingest_turns(store, "agent", [turn])["added"] == 0  # a retry stores nothing
    [name] = store.source_get("agent")["chunks"]
    assert name.startswith("agent#t") and len(name) == len("agent#t") + 12
    assert recall(store, "Lisbon")["items"][0]["source"]["speaker"] == "user"
