"""Import and export: the official MCP memory server's ``memory.jsonl`` both ways, and a JSON
dump / restore of everything.

``memory.jsonl`` is one JSON object per line, ``{"type": "entity", "name", "entityType",
"observations"}`` or ``{"type": "relation", "from", "to", "relationType"}``, entities first. The
importer also reads what that server's known bugs leave behind: objects run together on one line
(no newline between appends, its issue #3653), a legacy JSON array file, blank lines, and
relations to missing entities (its released build did not check endpoints) — those are skipped
and counted, not fatal. An entity met again merges its observations. Exports are written to a
temporary file and renamed, with a trailing newline.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ouroboros.errors import InvalidInputError, NotFoundError, StoreError

if TYPE_CHECKING:
    from ouroboros.store.store import Store

__all__ = ["dump_json", "export_jsonl", "import_jsonl", "read_jsonl", "restore_json"]

BATCH = 1000
Progress = Callable[[int, int], None]
"""Called with (items done, items total)."""


def _objects(text: str, lineno: int) -> Iterator[Any]:
    decoder = json.JSONDecoder()
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except ValueError as exc:
            raise InvalidInputError(f"line {lineno}: not JSON: {exc}") from None
        yield obj


def read_jsonl(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return ``(entities, relations)`` from a memory.jsonl (or legacy memory.json) file.

    Raises InvalidInputError naming the line of anything malformed.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path} is not UTF-8 text: {exc}") from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None
    items: list[tuple[int, Any]] = []
    if text.lstrip().startswith("["):
        try:
            items = [(i + 1, o) for i, o in enumerate(json.loads(text))]
        except ValueError as exc:
            raise InvalidInputError(f"{path}: not a JSON array: {exc}") from None
    else:
        for lineno, line in enumerate(text.splitlines(), 1):
            items.extend((lineno, o) for o in _objects(line, lineno))
    entities: dict[str, dict[str, Any]] = {}
    relations: list[dict[str, Any]] = []
    for lineno, obj in items:
        if not isinstance(obj, dict):
            raise InvalidInputError(f"line {lineno}: expected an object, got {type(obj).__name__}")
        kind = obj.get("type")
        if kind == "entity" or (kind is None and "entityType" in obj):
            name = obj.get("name")
            if not isinstance(name, str):
                raise InvalidInputError(f"line {lineno}: entity without a string name")
            obs = obj.get("observations") or []
            if not isinstance(obs, list):
                raise InvalidInputError(f"line {lineno}: observations must be a list")
            if name in entities:
                entities[name]["observations"].extend(obs)
            else:
                entities[name] = {
                    "name": name,
                    "entityType": obj.get("entityType"),
                    "observations": list(obs),
                }
        elif kind == "relation" or (kind is None and "relationType" in obj):
            relations.append(
                {
                    "from": obj.get("from"),
                    "to": obj.get("to"),
                    "relationType": obj.get("relationType"),
                }
            )
        else:
            raise InvalidInputError(f"line {lineno}: unknown type {kind!r}")
    return list(entities.values()), relations


def import_jsonl(
    store: Store, path: str | os.PathLike[str], progress: Progress | None = None
) -> dict[str, int]:
    """Import a memory.jsonl into ``store``; return created / merged / skipped counts."""
    entities, relations = read_jsonl(path)
    total = len(entities) + len(relations)
    done = 0
    counts = {"entities": 0, "observations": 0, "relations": 0, "skipped_relations": 0}
    for start in range(0, len(entities), BATCH):
        batch = entities[start : start + BATCH]
        created = store.create_entities(batch)
        counts["entities"] += len(created)
        counts["observations"] += sum(len(e["observations"]) for e in created)
        made = {e["name"] for e in created}
        merge = [
            {"entityName": e["name"], "contents": e["observations"]}
            for e in batch
            if e["name"] not in made and e["observations"]
        ]
        if merge:
            for res in store.add_observations(merge):
                counts["observations"] += len(res["addedObservations"])
        done += len(batch)
        if progress:
            progress(done, total)
    for start in range(0, len(relations), BATCH):
        batch = relations[start : start + BATCH]
        names = sorted(
            {n for r in batch for n in (r["from"], r["to"]) if isinstance(n, str) and n.strip()}
        )
        present = store.get_entities(names) if names else {}
        ok = [r for r in batch if r["from"] in present and r["to"] in present]
        counts["skipped_relations"] += len(batch) - len(ok)
        if ok:
            counts["relations"] += len(store.create_relations(ok))
        done += len(batch)
        if progress:
            progress(done, total)
    store.checkpoint()
    return counts


def _atomic_write(path: str | os.PathLike[str], write: Callable[[Any], None]) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def export_jsonl(
    store: Store, path: str | os.PathLike[str], progress: Progress | None = None
) -> dict[str, int]:
    """Write the graph as memory.jsonl (entities first, trailing newline); return counts."""
    counts = {"entities": 0, "relations": 0}

    def write(fh: Any) -> None:
        relations: list[str] = []
        offset: int | None = 0
        while offset is not None:
            page = store.read_graph(offset, BATCH)
            for e in page["entities"]:
                fh.write(
                    json.dumps(
                        {
                            "type": "entity",
                            "name": e["name"],
                            "entityType": e["entityType"],
                            "observations": e["observations"],
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
            for r in page["relations"]:
                relations.append(
                    json.dumps(
                        {
                            "type": "relation",
                            "from": r["from"],
                            "to": r["to"],
                            "relationType": r["relationType"],
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
            counts["entities"] += len(page["entities"])
            offset = page["next_offset"]
            if progress:
                progress(counts["entities"], page["total"])
        fh.writelines(relations)
        counts["relations"] = len(relations)

    _atomic_write(path, write)
    return counts


def dump_json(store: Store, path: str | os.PathLike[str]) -> dict[str, int]:
    """Write ``store.snapshot()`` as JSON; return the counts written."""
    data = store.snapshot()
    _atomic_write(path, lambda fh: json.dump(data, fh, ensure_ascii=False))
    return {k: len(v) for k, v in data.items() if isinstance(v, list)}


def restore_json(store: Store, path: str | os.PathLike[str]) -> dict[str, int]:
    """Replace everything in ``store`` with a ``dump_json`` file; return counts restored."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    except ValueError as exc:
        raise InvalidInputError(f"{path} is not a JSON dump: {exc}") from None
    return store.restore_snapshot(data)
