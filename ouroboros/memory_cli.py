"""``ouroboros ingest`` and ``ouroboros recall``: documents and conversations in, context out."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ouroboros.errors import OuroborosError

__all__ = ["ingest_command", "recall_command"]


def _open(db_path: str | None) -> Any:
    from ouroboros.store import open_store

    return open_store(db_path, embedder="auto")


def _fail(exc: OuroborosError) -> None:
    click.echo(f"error: {type(exc).__name__}: {exc.message}", err=True)
    sys.exit(1)


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--db", "db_path", metavar="PATH", help="Database file (default: $OUROBOROS_DB).")
@click.option("--chunk-tokens", type=int, default=200, show_default=True, help="Chunk size.")
@click.option("--name", "stdin_name", default="stdin", help="Document name for '-' (stdin).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON result per document.")
def ingest_command(
    paths: tuple[str, ...], db_path: str | None, chunk_tokens: int, stdin_name: str, as_json: bool
) -> None:
    """Ingest Markdown/text files, directories, transcript JSON files, or - (stdin)."""
    from ouroboros.memory import ingest_paths

    def progress(done: int, total: int, what: str) -> None:
        if total > 1000 and not as_json:
            click.echo(f"  {what}: {done}/{total}", err=True)

    def on_file(result: dict[str, Any]) -> None:
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        elif result["unchanged"]:
            click.echo(f"{result['document']}: unchanged")
        else:
            click.echo(
                f"{result['document']}: {result['units']} {result['kind']} units, "
                f"{result['added']} added, {result['superseded']} superseded, "
                f"{result['mentions']} mention links"
            )

    try:
        with _open(db_path) as store:
            ingest_paths(
                store,
                list(paths),
                max_tokens=chunk_tokens,
                stdin_name=stdin_name,
                progress=progress,
                on_file=on_file,
            )
    except OuroborosError as exc:
        _fail(exc)


@click.command("recall")
@click.argument("query")
@click.option("--db", "db_path", metavar="PATH", help="Database file (default: $OUROBOROS_DB).")
@click.option("--budget", "budget_tokens", type=int, default=1000, show_default=True)
@click.option("--limit", type=int, default=None, help="At most this many items.")
@click.option("--as-of", "as_of", default=None, help="Facts valid at this time.")
@click.option("--kind", default=None, help="turn, chunk or observation.")
@click.option("--source", default=None, help="Only this document or conversation.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole answer as JSON.")
def recall_command(
    query: str,
    db_path: str | None,
    budget_tokens: int,
    limit: int | None,
    as_of: str | None,
    kind: str | None,
    source: str | None,
    as_json: bool,
) -> None:
    """Print the stored passages that answer QUERY, within a token budget."""
    from ouroboros.memory import recall

    filters = {k: v for k, v in (("kind", kind), ("source", source)) if v is not None}
    try:
        with _open(db_path) as store:
            got = recall(
                store,
                query,
                limit=limit,
                budget_tokens=budget_tokens,
                as_of=as_of,
                filters=filters or None,
            )
    except OuroborosError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(json.dumps(got, ensure_ascii=False, indent=1))
        return
    for item in got["items"]:
        src = item["source"]
        where = (
            src["id"] if src["id"].startswith(src["document"]) else f"{src['document']} {src['id']}"
        )
        click.echo(f"[{where}] {item['text']}")
    more = ", truncated" if got["truncated"] else ""
    click.echo(f"({len(got['items'])} items, {got['tokens']} tokens{more})", err=True)
