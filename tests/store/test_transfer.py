"""Import/export: the official memory.jsonl both ways, JSON dump/restore, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ouroboros.cli import main
from ouroboros.errors import InvalidInputError
from ouroboros.store import Store, official_graph, open_store

FIXTURE = Path(__file__).parent.parent / "fixtures" / "memory-official.jsonl"


def official_load(text: str) -> dict:
    """Port of the official server's loadGraph: split lines, JSON.parse, sort by type."""
    graph: dict = {"entities": [], "relations": []}
    for line in text.split("\n"):
        if not line.strip():
            continue
        item = json.loads(line)
        kind = item.pop("type")
        if kind == "entity":
            graph["entities"].append(item)
        elif kind == "relation":
            graph["relations"].append(item)
    return graph


def test_imports_a_file_the_official_server_wrote(store: Store) -> None:
    counts = store.import_jsonl(FIXTURE)
    assert counts == {"entities": 5, "observations": 9, "relations": 4, "skipped_relations": 1}
    expected = official_load(FIXTURE.read_text(encoding="utf-8"))
    got = official_graph(store.read_graph())
    assert got["entities"] == expected["entities"]
    assert sorted(map(json.dumps, got["relations"])) == sorted(
        json.dumps(r) for r in expected["relations"] if r["to"] != "Deleted_Person"
    )
    assert store.search("zürich")["results"][0]["name"] == "Zoë Müller"


def test_import_twice_is_idempotent_and_merges(store: Store, tmp_path: Path) -> None:
    store.import_jsonl(FIXTURE)
    before = official_graph(store.read_graph())
    again = store.import_jsonl(FIXTURE)
    assert again["entities"] == again["observations"] == again["relations"] == 0
    assert official_graph(store.read_graph()) == before
    extra = tmp_path / "more.jsonl"
    extra.write_text(
        '{"type":"entity","name":"Anthropic","entityType":"organization","observations":["Makes Claude"]}\n'
    )
    assert store.import_jsonl(extra)["observations"] == 1
    assert "Makes Claude" in store.get_entity("Anthropic")["observations"]  # type: ignore[index]


def test_export_is_readable_by_the_official_loader(store: Store, tmp_path: Path) -> None:
    store.import_jsonl(FIXTURE)
    out = tmp_path / "out" / "memory.jsonl"
    counts = store.export_jsonl(out)
    assert counts == {"entities": 5, "relations": 4}
    text = out.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    kinds = [json.loads(line)["type"] for line in text.splitlines()]
    assert kinds == ["entity"] * 5 + ["relation"] * 4  # entities first
    assert official_load(text) == official_graph(store.read_graph())
    with open_store(tmp_path / "copy.duckdb", embedder=None) as copy:
        copy.import_jsonl(out)
        assert official_graph(copy.read_graph()) == official_graph(store.read_graph())


def test_import_reads_what_the_official_bugs_leave(store: Store, tmp_path: Path) -> None:
    glued = tmp_path / "glued.jsonl"
    glued.write_text(
        '{"type":"entity","name":"A","entityType":"t","observations":["x"]}'
        '{"type":"entity","name":"B","entityType":"t","observations":[]}\n\n'
        '{"type":"relation","from":"A","to":"B","relationType":"r"}'
    )
    assert store.import_jsonl(glued)["relations"] == 1
    legacy = tmp_path / "memory.json"
    legacy.write_text(
        json.dumps([{"type": "entity", "name": "C", "entityType": "t", "observations": []}])
    )
    assert store.import_jsonl(legacy)["entities"] == 1


def test_import_refuses_garbage_with_the_line(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type":"entity","name":"A","entityType":"t","observations":[]}\n{oops\n')
    with pytest.raises(InvalidInputError, match="line 2"):
        store.import_jsonl(bad)
    bad.write_text('{"type":"thing"}\n')
    with pytest.raises(InvalidInputError, match="unknown type"):
        store.import_jsonl(bad)


def test_progress_is_reported(store: Store) -> None:
    seen: list[tuple[int, int, int]] = []
    store.import_jsonl(FIXTURE, progress=lambda done, total, n: seen.append((done, total, n)))
    size = FIXTURE.stat().st_size
    assert seen[-1] == (size, size, 10)  # bytes read of the file, items read


def test_dump_and_restore_everything(people: Store, tmp_path: Path) -> None:
    people.memory_set("k", {"v": [1, "ü"]})
    people.record_event("tool", "search_nodes", True, 2.5, {"q": "x"})
    people.audit("alice", "create_entities", "Alice", "ok")
    secret, _ = people.token_create("ci", ["read"])
    dump = tmp_path / "dump.json"
    counts = people.dump_json(dump)
    assert counts["entities"] == 4 and counts["memory"] == 1 and counts["tokens"] == 1
    graph = people.read_graph()
    with open_store(tmp_path / "other.duckdb", embedder=None) as other:
        other.create_entities([{"name": "to be replaced", "entityType": "t"}])
        restored = other.restore_json(dump)
        assert restored["entities"] == 4
        assert other.read_graph() == graph  # times included
        assert other.memory_get("k")["value"] == {"v": [1, "ü"]}  # type: ignore[index]
        assert other.events()[0]["details"] == {"q": "x"}
        assert other.audit_log()[0]["actor"] == "alice"
        assert other.token_verify(secret)["name"] == "ci"  # type: ignore[index]
        assert other.search("coffee")["results"][0]["name"] == "Bob"


def test_restore_refuses_a_non_dump(store: Store, tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text('{"format": "something-else", "entities": [], "relations": []}')
    with pytest.raises(InvalidInputError):
        store.restore_json(f)


# --- CLI ---------------------------------------------------------------------------------


def test_cli_import_and_export(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    runner = CliRunner()
    res = runner.invoke(main, ["import", str(FIXTURE), "--db", db])
    assert res.exit_code == 0, res.output
    assert "imported 5 new entities" in res.output
    assert "1 relations to missing entities skipped" in res.output
    out = tmp_path / "exported.jsonl"
    res = runner.invoke(main, ["export", str(out), "--db", db])
    assert res.exit_code == 0, res.output
    assert official_load(out.read_text(encoding="utf-8"))["entities"][0]["name"] == "John_Smith"
    dump = tmp_path / "all.json"
    res = runner.invoke(main, ["export", str(dump), "--db", db])
    assert res.exit_code == 0 and "wrote 5 entities" in res.output
    db2 = str(tmp_path / "cli2.duckdb")
    res = runner.invoke(main, ["import", str(dump), "--db", db2, "--format", "json"])
    assert res.exit_code == 0 and "restored 5 entities" in res.output, res.output


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    res = runner.invoke(main, ["import", str(bad), "--db", str(tmp_path / "d.duckdb")])
    assert res.exit_code == 1
    assert res.output.strip().count("\n") == 0
    assert res.output.startswith("error: InvalidInputError: line 1")
    res = runner.invoke(
        main, ["import", str(tmp_path / "missing.jsonl"), "--db", str(tmp_path / "d.duckdb")]
    )
    assert res.exit_code == 1 and "no such file" in res.output


def test_cli_large_import_with_progress(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    lines = [
        json.dumps(
            {"type": "entity", "name": f"e{i}", "entityType": "t", "observations": [f"o{i}"]}
        )
        for i in range(3000)
    ]
    lines += [
        json.dumps({"type": "relation", "from": f"e{i}", "to": f"e{i + 1}", "relationType": "next"})
        for i in range(2999)
    ]
    big.write_text("\n".join(lines) + "\n")
    db = str(tmp_path / "big.duckdb")
    res = CliRunner().invoke(main, ["import", str(big), "--db", db])
    assert res.exit_code == 0, res.output
    assert "imported 3000 new entities, 3000 observations, 2999 relations" in res.output
    with open_store(db, embedder=None) as s:
        assert s.counts() == {"entities": 3000, "relations": 2999, "observations": 3000}


# --- streaming import ----------------------------------------------------------------------


def _jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


def test_import_streams_in_batches(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small batches: a relation before its entity waits for it, an entity met again in a later
    batch merges, relations with unusable endpoints are skipped, progress only grows."""
    import ouroboros.store.transfer as transfer

    monkeypatch.setattr(transfer, "BATCH", 3)
    items: list[dict] = [{"type": "relation", "from": "e9", "to": "e0", "relationType": "early"}]
    items += [
        {"type": "entity", "name": f"e{i}", "entityType": "t", "observations": [f"o{i}"]}
        for i in range(10)
    ]
    items += [{"type": "entity", "name": "e1", "entityType": "t", "observations": ["again"]}]
    items += [
        {"type": "relation", "from": f"e{i}", "to": f"e{i + 1}", "relationType": "next"}
        for i in range(9)
    ]
    items += [
        {"type": "relation", "from": None, "to": "e1", "relationType": "bad"},
        {"type": "relation", "from": "e1", "to": "nobody", "relationType": "dangling"},
    ]
    seen: list[tuple[int, int, int]] = []
    path = _jsonl(tmp_path / "m.jsonl", items)
    counts = store.import_jsonl(path, lambda d, t, n: seen.append((d, t, n)))
    assert counts == {"entities": 10, "observations": 11, "relations": 10, "skipped_relations": 2}
    assert store.get_entity("e1")["observations"] == ["o1", "again"]  # type: ignore[index]
    assert store.relations_of(["e9"], "out")[0]["relationType"] == "early"
    assert [s[0] for s in seen] == sorted(s[0] for s in seen) and len(seen) > 3
    assert seen[-1][:2] == (path.stat().st_size,) * 2


def test_a_bad_line_late_in_a_file_says_what_was_imported(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ouroboros.store.transfer as transfer

    monkeypatch.setattr(transfer, "BATCH", 2)
    path = tmp_path / "late.jsonl"
    good = [{"type": "entity", "name": f"e{i}", "entityType": "t"} for i in range(5)]
    path.write_text("".join(json.dumps(i) + "\n" for i in good) + "{broken\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"line 6.*5 entities and 0 relations before it"):
        store.import_jsonl(path)
    path.write_text("".join(json.dumps(i) + "\n" for i in good), encoding="utf-8")
    assert store.import_jsonl(path)["entities"] == 0  # again after the fix: nothing doubled
    assert store.counts()["entities"] == 5


def test_iter_jsonl_reads_lazily(tmp_path: Path) -> None:
    from ouroboros.store.transfer import iter_jsonl

    path = _jsonl(
        tmp_path / "lazy.jsonl",
        [{"type": "entity", "name": f"e{i}", "entityType": "t"} for i in range(2000)],
    )
    position = [0]
    stream = iter_jsonl(path, position)
    assert next(stream)[1]["name"] == "e0"
    assert 0 < position[0] < path.stat().st_size  # a first line is yielded before the end
