"""Taking in documents and conversations: chunks and turns become entities with their sources.

What goes into the graph (all through the ``Store`` interface, so every backend gets it):

- a **turn** of a conversation becomes an entity named ``<conversation>#<turn id>`` of type
  ``turn`` with one observation, ``[<session time>] <speaker>: <text>`` (plus
  ``[photo: <caption>]`` when the turn shared an image), whose valid time starts at the session
  time. So the speaker and the date are stored with the words and found by keyword search.
  Relations: ``part_of`` its ``conversation`` entity, ``spoken_by`` the speaker (a ``person``
  entity, created if absent).
- a **chunk** of a Markdown or text document becomes an entity ``<path>#L<a>-<b>`` of type
  ``chunk`` (``part_of`` its ``document`` entity), cut by ``chunking.chunk_text``.
- **mentions**: capitalised words and runs of them in a chunk or turn that name an existing
  entity (not a turn, chunk, conversation or document) link the chunk to it (``mentions``).
- the **source** record (``Store.source_put``) keeps each document's content digest and the
  entity names it produced, in order (recall uses the order for neighbouring turns/chunks).

Re-ingest: an unchanged document (same SHA-256) is a no-op. A changed one supersedes: chunks or
turns that are gone or whose text changed have their observation *invalidated* (valid time
ends now; history kept), and the new text is added. Entity names never merge here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ouroboros.errors import InvalidInputError
from ouroboros.memory.chunking import DEFAULT_CHUNK_TOKENS, chunk_text
from ouroboros.store import Store
from ouroboros.store.timeparse import parse_time

__all__ = [
    "CHUNK",
    "CONVERSATION",
    "DOCUMENT",
    "SOURCE_KINDS",
    "TURN",
    "ingest_document",
    "ingest_paths",
    "ingest_transcript",
    "ingest_turns",
    "turn_name",
]

TURN, CHUNK, CONVERSATION, DOCUMENT = "turn", "chunk", "conversation", "document"
SOURCE_KINDS = frozenset({TURN, CHUNK, CONVERSATION, DOCUMENT})
BATCH = 1000
MAX_TURN_CHARS = 60_000
TEXT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".text": "text"}
_CAPITALISED = re.compile(r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*){0,3}")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class Progress(Protocol):
    """Told how far a long ingest has come: ``(done, total, what)``."""

    def __call__(self, done: int, total: int, what: str) -> None: ...


def turn_name(conversation: str, turn_id: str) -> str:
    """Return the entity name of a turn: ``<conversation>#<turn id>``."""
    return f"{conversation}#{turn_id}"


def _when(at: datetime) -> str:
    hour = at.hour % 12 or 12
    clock = f"{hour}:{at.minute:02d} {'pm' if at.hour >= 12 else 'am'}"
    day = f"{at.day} {_MONTHS[at.month - 1]} {at.year}"
    return day if (at.hour, at.minute) == (0, 0) else f"{clock}, {day}"


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _batches(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _mention_candidates(text: str) -> set[str]:
    found: set[str] = set()
    for run in _CAPITALISED.findall(text):
        words = [re.sub(r"['’]s$", "", w) for w in run.split()]
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + 4) + 1):
                found.add(" ".join(words[i:j]))
    return found


def _link_mentions(store: Store, texts: dict[str, str]) -> int:
    """Create ``mentions`` relations from each named chunk/turn to the entities its text
    names; return how many were created."""
    wanted: dict[str, set[str]] = {name: _mention_candidates(t) for name, t in texts.items()}
    every = sorted(set().union(*wanted.values())) if wanted else []
    known: set[str] = set()
    for batch in _batches(every):
        for name, ent in store.get_entities(list(batch)).items():
            if ent["entityType"] not in SOURCE_KINDS:
                known.add(name)
    rels = [
        {"from": src, "to": dst, "relationType": "mentions"}
        for src, cands in wanted.items()
        for dst in sorted(cands & known)
    ]
    made = 0
    for batch in _batches(rels):
        made += len(store.create_relations(list(batch)))
    return made


def _supersede(store: Store, old: Sequence[str], new_texts: dict[str, str]) -> int:
    """Invalidate the current text of old chunks that are gone or changed; return how many."""
    deletions = []
    for batch in _batches(list(old)):
        for name, ent in store.get_entities(list(batch)).items():
            keep = new_texts.get(name)
            stale = [o for o in ent["observations"] if o != keep]
            if stale:
                deletions.append({"entityName": name, "observations": stale})
    n = 0
    for batch in _batches(deletions):
        n += store.invalidate_observations(list(batch))
    return n


def _write_units(
    store: Store,
    parent: tuple[str, str],
    units: list[dict[str, Any]],
    progress: Progress | None,
    link_speakers: bool = True,
) -> tuple[int, int]:
    """Create the parent and unit entities, their observations and relations; return
    ``(observations added, mentions linked)``."""
    store.create_entities([{"name": parent[0], "entityType": parent[1], "observations": []}])
    people = sorted({u["speaker"] for u in units if u.get("speaker") and link_speakers})
    if people:
        store.create_entities(
            [{"name": p, "entityType": "person", "observations": []} for p in people]
        )
    added = 0
    for done, batch in enumerate(_batches(units), 1):
        store.create_entities(
            [{"name": u["name"], "entityType": u["kind"], "observations": []} for u in batch]
        )
        obs = []
        for u in batch:
            item: dict[str, Any] = {"entityName": u["name"], "contents": [u["text"]]}
            if u.get("time") is not None:
                item["validFrom"] = u["time"].isoformat()
            obs.append(item)
        for res in store.add_observations(obs):
            added += len(res["addedObservations"])
        rels = [{"from": u["name"], "to": parent[0], "relationType": "part_of"} for u in batch]
        rels += [
            {"from": u["name"], "to": u["speaker"], "relationType": "spoken_by"}
            for u in batch
            if u.get("speaker") and link_speakers
        ]
        store.create_relations(rels)
        if progress is not None:
            progress(min(done * BATCH, len(units)), len(units), parent[0])
    linked = _link_mentions(store, {u["name"]: u.get("said", u["text"]) for u in units})
    return added, linked


# --- conversations ---------------------------------------------------------------------------


def _check_turn(turn: Any, where: str, ids_optional: bool = False) -> dict[str, Any]:
    if not isinstance(turn, dict):
        raise InvalidInputError(f"{where} must be an object {{id, speaker, text}}")
    if ids_optional and turn.get("id") is None and isinstance(turn.get("text"), str):
        # A turn without an id (an agent's log) gets one from its content, so a retry of the
        # same turn finds it again instead of storing it twice.
        key = f"{turn.get('speaker')}\x00{turn.get('time')}\x00{turn['text']}"
        turn = {**turn, "id": "t" + _digest(key)[:12]}
    for field in ("id", "speaker", "text"):
        if not isinstance(turn.get(field), str) or not turn[field].strip():
            raise InvalidInputError(f"{where}.{field} must be a non-empty string")
    if len(turn["text"]) > MAX_TURN_CHARS:
        raise InvalidInputError(f"{where}.text is longer than {MAX_TURN_CHARS} characters")
    caption = turn.get("image_caption")
    if caption is not None and not isinstance(caption, str):
        raise InvalidInputError(f"{where}.image_caption must be a string")
    return turn


def _turn_units(
    conversation: str, turns: Any, session_time: Any, where: str, ids_optional: bool = False
) -> list[dict[str, Any]]:
    if not isinstance(turns, list):
        raise InvalidInputError(f"{where} must be a list of turns")
    default = parse_time(session_time, f"{where} time") if session_time is not None else None
    units = []
    seen: set[str] = set()
    for i, raw in enumerate(turns):
        turn = _check_turn(raw, f"{where}[{i}]", ids_optional)
        at = parse_time(turn["time"], f"{where}[{i}].time") if turn.get("time") else default
        name = turn_name(conversation, turn["id"])
        if name in seen:
            raise InvalidInputError(f"{where}[{i}]: turn id {turn['id']!r} is repeated")
        seen.add(name)
        text = f"{turn['speaker']}: {turn['text']}"
        if turn.get("image_caption"):
            text += f" [photo: {turn['image_caption']}]"
        if at is not None:
            text = f"[{_when(at)}] {text}"
        units.append(
            {
                "name": name,
                "kind": TURN,
                "text": text,
                "time": at,
                "speaker": turn["speaker"],
                "said": turn["text"],  # mentions are looked for in what was said
            }
        )
    return units


def ingest_turns(
    store: Store,
    conversation_id: str,
    turns: list[dict[str, Any]],
    *,
    session_time: Any = None,
    link_speakers: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Append turns ``[{"id"?, "speaker", "text", "time"?, "image_caption"?}]`` to a
    conversation; return ``{"document", "turns", "added", "mentions"}``. A turn without an id
    gets ``t<12 hex digits>`` from a hash of its speaker, time and text. Speakers become
    ``person`` entities (with ``spoken_by`` relations) only with ``link_speakers``: an agent's
    ``user`` / ``assistant`` are no people of the graph.

    Turns already stored with the same text are left alone, so a retry adds nothing.
    ``session_time`` is the time of turns that give none. Raises InvalidInputError.
    """
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        raise InvalidInputError("conversation id must be a non-empty string")
    units = _turn_units(conversation_id, turns, session_time, "turns", ids_optional=True)
    added, linked = _write_units(
        store, (conversation_id, CONVERSATION), units, progress, link_speakers
    )
    source = store.source_get(conversation_id)
    names = list(source["chunks"]) if source else []
    have = set(names)
    names += [u["name"] for u in units if u["name"] not in have]
    digest = _digest(json.dumps(names))  # an appended conversation has no one content hash
    store.source_put(conversation_id, "transcript", digest, names)
    return {"document": conversation_id, "turns": len(units), "added": added, "mentions": linked}


def ingest_transcript(
    store: Store, data: Any, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Ingest a transcript ``{"conversation", "speakers"?, "sessions": [{"id", "time",
    "turns": [...]}]}``; return ``{"document", "kind", "unchanged", "turns", "added",
    "superseded", "mentions"}``. Raises InvalidInputError for another shape."""
    if not isinstance(data, dict) or not isinstance(data.get("sessions"), list):
        raise InvalidInputError(
            'a transcript is {"conversation", "sessions": [{"id", "time", "turns": [...]}]}'
        )
    conversation = data.get("conversation")
    if not isinstance(conversation, str) or not conversation.strip():
        raise InvalidInputError("transcript.conversation must be a non-empty string")
    units: list[dict[str, Any]] = []
    for i, session in enumerate(data["sessions"]):
        if not isinstance(session, dict):
            raise InvalidInputError(f"sessions[{i}] must be an object {{id, time, turns}}")
        units += _turn_units(
            conversation, session.get("turns"), session.get("time"), f"sessions[{i}].turns"
        )
    seen: set[str] = set()
    for u in units:
        if u["name"] in seen:
            raise InvalidInputError(f"turn {u['name']!r} appears in two sessions")
        seen.add(u["name"])
    return _ingest_units(store, conversation, "transcript", CONVERSATION, units, progress)


def _ingest_units(
    store: Store,
    document: str,
    kind: str,
    parent_type: str,
    units: list[dict[str, Any]],
    progress: Progress | None,
) -> dict[str, Any]:
    digest = _digest(json.dumps([[u["name"], u["text"]] for u in units], ensure_ascii=False))
    result: dict[str, Any] = {"document": document, "kind": kind, "unchanged": False}
    source = store.source_get(document)
    if source is not None and source["digest"] == digest:
        result.update(unchanged=True, units=len(units), added=0, superseded=0, mentions=0)
        return result
    superseded = 0
    if source is not None:
        superseded = _supersede(store, source["chunks"], {u["name"]: u["text"] for u in units})
    added, linked = _write_units(store, (document, parent_type), units, progress)
    store.source_put(document, kind, digest, [u["name"] for u in units])
    result.update(units=len(units), added=added, superseded=superseded, mentions=linked)
    return result


# --- documents -------------------------------------------------------------------------------


def ingest_document(
    store: Store,
    document: str,
    text: str,
    *,
    kind: str = "markdown",
    max_tokens: int = DEFAULT_CHUNK_TOKENS,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Chunk ``text`` (Markdown or plain) and store the chunks as ``<document>#L<a>-<b>``;
    return ``{"document", "kind", "unchanged", "units", "added", "superseded", "mentions"}``."""
    if kind not in ("markdown", "text"):
        raise InvalidInputError("document kind must be markdown or text")
    if not isinstance(document, str) or not document.strip():
        raise InvalidInputError("document name must be a non-empty string")
    if not isinstance(max_tokens, int) or not 16 <= max_tokens <= 8192:
        raise InvalidInputError("chunk size must be an integer from 16 to 8192 tokens")
    chunks = chunk_text(text, max_tokens=max_tokens, markdown=kind == "markdown")
    units = []
    used: dict[str, int] = {}
    for c in chunks:
        name = f"{document}#L{c.first_line}-{c.last_line}"
        n = used[name] = used.get(name, 0) + 1
        if n > 1:  # one long line split in several chunks
            name = f"{name}~{n}"
        units.append({"name": name, "kind": CHUNK, "text": c.text, "time": None})
    return _ingest_units(store, document, kind, DOCUMENT, units, progress)


def _is_transcript(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("sessions"), list)


def _files(paths: Sequence[str]) -> list[tuple[str, Path | None]]:
    out: list[tuple[str, Path | None]] = []
    for raw in paths:
        if raw == "-":
            out.append(("-", None))
            continue
        path = Path(raw)
        if path.is_dir():
            for sub in sorted(path.rglob("*")):
                if sub.is_file() and (sub.suffix.lower() in TEXT_SUFFIXES or sub.suffix == ".json"):
                    out.append((os.path.normpath(str(sub)), sub))
        elif path.is_file():
            out.append((os.path.normpath(raw), path))
        else:
            raise InvalidInputError(f"no such file or directory: {raw}")
    return out


def ingest_paths(
    store: Store,
    paths: Sequence[str],
    *,
    max_tokens: int = DEFAULT_CHUNK_TOKENS,
    stdin_name: str = "stdin",
    progress: Progress | None = None,
    on_file: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Ingest files, directories (``.md``, ``.markdown``, ``.txt``, transcript ``.json``,
    recursively) and ``-`` (stdin, read as a transcript if it is one, else Markdown, named
    ``stdin_name``); return one result per document. Raises InvalidInputError."""
    results = []
    for name, path in _files(paths):
        if path is None:
            text = sys.stdin.read()
            name = stdin_name
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise InvalidInputError(f"{name}: not UTF-8 text") from None
        suffix = path.suffix.lower() if path is not None else ""
        data: Any = None
        if suffix == ".json" or (path is None and text.lstrip().startswith("{")):
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                if suffix == ".json":
                    raise InvalidInputError(f"{name}: not valid JSON") from None
        if data is not None and _is_transcript(data):
            result = ingest_transcript(store, data, progress=progress)
            result["path"] = name
        elif suffix == ".json":
            if path is not None and len(paths) == 1 and Path(paths[0]).is_file():
                raise InvalidInputError(
                    f"{name}: JSON that is not a transcript "
                    '({"conversation", "sessions": [...]}); for a memory.jsonl use import'
                )
            continue  # other JSON inside a directory is not ours to read
        else:
            kind = TEXT_SUFFIXES.get(suffix, "markdown")
            result = ingest_document(
                store, name, text, kind=kind, max_tokens=max_tokens, progress=progress
            )
        results.append(result)
        if on_file is not None:
            on_file(result)
    return results
