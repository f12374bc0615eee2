"""The work behind ``ouroboros import`` / ``ouroboros export``: format choice and progress bar."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from ouroboros.errors import InvalidInputError
from ouroboros.store.store import open_store
from ouroboros.store.transfer import Progress

__all__ = ["run_export", "run_import"]

SHOW_PROGRESS_FROM = 2000  # items; smaller files finish before a bar is worth drawing


def _format_for(path: str, fmt: str | None, *, reading: bool) -> str:
    if fmt is not None:
        if fmt not in ("jsonl", "json"):
            raise InvalidInputError(f"unknown format {fmt!r}: use jsonl or json")
        return fmt
    if not path.endswith(".json"):
        return "jsonl"
    if not reading:
        return "json"
    # A .json file is our dump (an object) or the official server's legacy array file.
    try:
        with open(path, encoding="utf-8") as fh:
            head = fh.read(64).lstrip()
    except OSError:
        return "json"
    return "json" if head.startswith("{") else "jsonl"


@contextlib.contextmanager
def _progress(label: str, unit: str) -> Iterator[Progress]:
    """A rich progress bar on stderr: percentage, items so far, items per second and an ETA."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[items]:,} " + unit),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = None
    started = time.monotonic()

    def update(done: int, total: int, items: int) -> None:
        nonlocal task
        if task is None:
            if items < SHOW_PROGRESS_FROM:
                return
            bar.start()
            task = bar.add_task(label, total=total, items=0, rate="")
        elapsed = max(time.monotonic() - started, 1e-6)
        rate = f"{items / elapsed:,.0f} {unit}/s"
        bar.update(task, completed=done, total=total, items=items, rate=rate)

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


def run_import(file: str, db: str | None, fmt: str | None) -> str:
    """Import ``file`` into the store at ``db``; return a one-line summary."""
    if not Path(file).is_file():
        raise InvalidInputError(f"no such file: {file}")
    kind = _format_for(file, fmt, reading=True)
    with open_store(db) as store:
        if kind == "json":
            counts = store.restore_json(file)
            return (
                f"restored {counts['entities']} entities, {counts['relations']} relations, "
                f"{counts['memory']} memory keys from {file}"
            )
        with _progress("importing", "items") as progress:
            counts = store.import_jsonl(file, progress)
    skipped = counts["skipped_relations"]
    note = f" ({skipped} relations to missing entities skipped)" if skipped else ""
    return (
        f"imported {counts['entities']} new entities, {counts['observations']} observations, "
        f"{counts['relations']} relations from {file}{note}"
    )


def run_export(file: str, db: str | None, fmt: str | None) -> str:
    """Export the store at ``db`` to ``file``; return a one-line summary."""
    kind = _format_for(file, fmt, reading=False)
    with open_store(db) as store:
        if kind == "json":
            counts = store.dump_json(file)
            return (
                f"wrote {counts['entities']} entities, {counts['relations']} relations, "
                f"{counts['memory']} memory keys to {file}"
            )
        with _progress("exporting", "entities") as progress:
            counts = store.export_jsonl(file, progress)
    return f"wrote {counts['entities']} entities and {counts['relations']} relations to {file}"
