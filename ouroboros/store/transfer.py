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

__all__ = [
    "dump_json",
    "export_jsonl",
    "import_jsonl",
    "iter_jsonl",
    "read_jsonl",
    "restore_json",
]

BATCH = 5000
Progress = Callable[[int, int, int], None]
"""Called with (work done, work total, items): bytes of the file for import, entities for
export."""


def _objects(text: str, lineno: int) -> Iterator[Any]:
    try:
        yield json.loads(text)  # the common case: one object on the line
        return
    except ValueError:
        pass  # objects run together on one line, or garbage: decode one by one
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


def _open_text(path: str | os.PathLike[str]) -> Any:
    try:
        return open(path, encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from None


def iter_jsonl(
    path: str | os.PathLike[str], position: list[int] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, item)`` from a memory.jsonl, reading it line by line.

    An item is ``{"type": "entity", "name", "entityType", "observations"}`` or ``{"type":
    "relation", "from", "to", "relationType"}`` (a missing ``type`` is guessed from the keys).
    ``position[0]`` is kept at the number of bytes read so far (for a progress bar). A legacy
    ``memory.json`` (one JSON array, written by old releases of the official server: small files)
    is the one format read whole. Raises InvalidInputError naming the line of anything malformed.
    """
    with _open_text(path) as fh:
        try:
            head = fh.read(4096)
            rest_is_array = head.lstrip().startswith("[")
            fh.seek(0)
            if rest_is_array:
                try:
                    items = json.load(fh)
                except ValueError as exc:
                    raise InvalidInputError(f"{path}: not a JSON array: {exc}") from None
                if position is not None:
                    position[0] = fh.tell()
                for i, obj in enumerate(items if isinstance(items, list) else [items], 1):
                    yield i, _item(obj, i)
                return
            done = 0
            for lineno, line in enumerate(fh, 1):
                done += len(line.encode("utf-8")) if not line.isascii() else len(line)
                if position is not None:
                    position[0] = done
                if not line.strip():
                    continue
                for obj in _objects(line, lineno):
                    yield lineno, _item(obj, lineno)
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{path} is not UTF-8 text: {exc}") from None


def _item(obj: Any, lineno: int) -> dict[str, Any]:
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
        return {
            "type": "entity",
            "name": name,
            "entityType": obj.get("entityType"),
            "observations": obs,
        }
    if kind == "relation" or (kind is None and "relationType" in obj):
        return {
            "type": "relation",
            "from": obj.get("from"),
            "to": obj.get("to"),
            "relationType": obj.get("relationType"),
        }
    raise InvalidInputError(f"line {lineno}: unknown type {kind!r}")


def read_jsonl(path: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return ``(entities, relations)`` from a memory.jsonl (whole, in memory: for small files
    and tests; ``import_jsonl`` streams). An entity met again merges its observations."""
    entities: dict[str, dict[str, Any]] = {}
    relations: list[dict[str, Any]] = []
    for _lineno, item in iter_jsonl(path):
        if item.pop("type") == "entity":
            if item["name"] in entities:
                entities[item["name"]]["observations"].extend(item["observations"])
            else:
                entities[item["name"]] = {**item, "observations": list(item["observations"])}
        else:
            relations.append(item)
    return list(entities.values()), relations


class _Importer:
    """Streams items into the store in batches of ``BATCH`` (see ``import_jsonl``)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.entities: dict[str, dict[str, Any]] = {}
        self.relations: list[dict[str, Any]] = []
        self.deferred: list[dict[str, Any]] = []
        self.counts = {"entities": 0, "observations": 0, "relations": 0, "skipped_relations": 0}

    def add(self, item: dict[str, Any]) -> None:
        if item.pop("type") == "entity":
            have = self.entities.get(item["name"])
            if have is None:
                self.entities[item["name"]] = {**item, "observations": list(item["observations"])}
            else:
                have["observations"].extend(item["observations"])
            if len(self.entities) >= BATCH:
                self.flush_entities()
        else:
            ends = (item["from"], item["to"])
            if not all(isinstance(n, str) and n.strip() for n in ends):
                self.counts["skipped_relations"] += 1  # no such entity can exist
                return
            self.relations.append(item)
            if len(self.relations) >= BATCH:
                self.flush_relations()

    def flush_entities(self) -> None:
        batch = list(self.entities.values())
        self.entities = {}
        if not batch:
            return
        created = self.store.create_entities(batch)
        self.counts["entities"] += len(created)
        self.counts["observations"] += sum(len(e["observations"]) for e in created)
        made = {e["name"] for e in created}
        merge = [
            {"entityName": e["name"], "contents": e["observations"]}
            for e in batch
            if e["name"] not in made and e["observations"]
        ]
        if merge:
            for res in self.store.add_observations(merge):
                self.counts["observations"] += len(res["addedObservations"])

    def flush_relations(self, final: bool = False) -> None:
        """Write the buffered relations. Those with an endpoint not (yet) created wait for the
        end of the file (an entity may come after a relation to it), then are skipped."""
        self.flush_entities()  # relations may point at entities still in the buffer
        batch, self.relations = self.relations, []
        while batch:
            try:
                self.counts["relations"] += len(self.store.create_relations(batch))
                return
            except NotFoundError as exc:
                missing = set((exc.details or {}).get("missing") or ())
                if not missing:
                    raise
            keep = []
            for r in batch:
                if r["from"] in missing or r["to"] in missing:
                    if final:
                        self.counts["skipped_relations"] += 1
                    else:
                        self.deferred.append(r)
                else:
                    keep.append(r)
            batch = keep

    def finish(self) -> dict[str, int]:
        self.flush_relations()
        while self.deferred:
            self.relations, self.deferred = self.deferred[:BATCH], self.deferred[BATCH:]
            self.flush_relations(final=True)
        return self.counts


def import_jsonl(
    store: Store, path: str | os.PathLike[str], progress: Progress | None = None
) -> dict[str, int]:
    """Import a memory.jsonl into ``store``, streaming it in batches; return created / merged /
    skipped counts.

    The file is read line by line and written ``BATCH`` items per transaction, so memory stays
    flat whatever its size. A malformed line stops the import with an error naming it; the
    batches before it stay written (importing again after fixing the file merges, since every
    write skips what exists). ``progress(bytes read, file size, items read)`` follows along.
    """
    position = [0]
    try:
        size = os.path.getsize(path)
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {path}") from None
    importer = _Importer(store)
    items = 0
    try:
        for _lineno, item in iter_jsonl(path, position):
            importer.add(item)
            items += 1
            if progress and items % BATCH == 0:
                progress(position[0], size, items)
    except InvalidInputError as exc:
        importer.flush_relations()
        done = importer.counts
        if done["entities"] or done["relations"]:
            raise InvalidInputError(
                f"{exc.message}; stopped there: {done['entities']} entities and "
                f"{done['relations']} relations before it were imported (import again after "
                "fixing the file: what exists is skipped)",
                details=exc.details,
            ) from None
        raise
    counts = importer.finish()
    if progress:
        progress(size, size, items)
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
        # Two passes over the pages (entities, then the relations each page starts), so
        # nothing of the graph is held whole; the official format wants entities first.
        for kind in ("entity", "relation"):
            offset: int | None = 0
            while offset is not None:
                page = store.read_graph(offset, BATCH)
                if kind == "entity":
                    for e in page["entities"]:
                        line = {
                            "type": "entity",
                            "name": e["name"],
                            "entityType": e["entityType"],
                            "observations": e["observations"],
                        }
                        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                    counts["entities"] += len(page["entities"])
                    if progress:
                        progress(counts["entities"], page["total"], counts["entities"])
                else:
                    for r in page["relations"]:
                        line = {
                            "type": "relation",
                            "from": r["from"],
                            "to": r["to"],
                            "relationType": r["relationType"],
                        }
                        fh.write(json.dumps(line, ensure_ascii=False) + "\n")
                    counts["relations"] += len(page["relations"])
                offset = page["next_offset"]

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
