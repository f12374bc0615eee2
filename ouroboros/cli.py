"""The `ouroboros` command line: parse, plan, query, serve, mcp, import, export, tools, token."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ouroboros import __version__
from ouroboros.errors import OuroborosError

F = TypeVar("F", bound=Callable[..., Any])


def clean_errors(fn: F) -> F:
    """Turn an OuroborosError into one clear line on stderr and exit status 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OuroborosError as exc:
            click.echo(f"error: {exc.type}: {exc.message}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def read_query_arg(query: str) -> str:
    """Return the query text: the argument itself, ``-`` for stdin, or ``@file`` for a file."""
    if query == "-":
        return sys.stdin.read()
    if query.startswith("@"):
        with open(query[1:], encoding="utf-8") as fh:
            return fh.read()
    return query


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="ouroboros")
def main() -> None:
    """Ouroboros: ask for data in EQL; a planner finds the resolvers that produce it."""


def _split_option(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(p for p in (s.strip() for s in value.split(",")) if p)


@main.command("mcp")
@click.option(
    "--db",
    "db_path",
    metavar="PATH",
    help="Database file (default: $OUROBOROS_DB, else the XDG data dir).",
)
@click.option(
    "--tools",
    "tools",
    metavar="SETS_OR_NAMES",
    help="Comma list of tool sets or names: all, core, chat-safe, agent, graph, memory, or tool names (default: $OUROBOROS_TOOLS, else all).",
)
@click.option(
    "--deny",
    "deny",
    metavar="SETS_OR_NAMES",
    help="Comma list of tool sets or names to disable (wins over --tools).",
)
@click.option(
    "--roots",
    "roots",
    metavar="DIRS",
    help="Comma list of directories the file tools may read (default: $OUROBOROS_ROOTS, else the current directory).",
)
@click.option("--allow-mutations", is_flag=True, default=None, help="Let query_eql run mutations.")
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Log level (logs go to stderr).",
)
@clean_errors
def mcp_command(
    db_path: str | None,
    tools: str | None,
    deny: str | None,
    roots: str | None,
    allow_mutations: bool | None,
    log_level: str,
) -> None:
    """Serve the tools over MCP on stdin/stdout (for MCP clients; stdout carries only the protocol)."""
    from ouroboros.config import Settings
    from ouroboros.mcp_server.stdio import serve_settings_stdio

    settings = Settings.from_env(
        db_path=db_path,
        tools=_split_option(tools),
        tools_deny=_split_option(deny),
        roots=_split_option(roots),
        allow_mutations=allow_mutations,
    )
    serve_settings_stdio(settings, log_level=log_level)


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--db",
    "db_path",
    metavar="PATH",
    help="Database file (default: $OUROBOROS_DB, else the XDG data dir).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "json"]),
    default=None,
    help="jsonl: the official MCP memory server's memory.jsonl (merged in); json: an Ouroboros dump (replaces everything). Default: by file name and content.",
)
@clean_errors
def import_command(file: str, db_path: str | None, fmt: str | None) -> None:
    """Import a memory.jsonl (official MCP memory server) or a JSON dump into the store."""
    from ouroboros.store.cli_io import run_import

    click.echo(run_import(file, db_path, fmt))


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--db",
    "db_path",
    metavar="PATH",
    help="Database file (default: $OUROBOROS_DB, else the XDG data dir).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "json"]),
    default=None,
    help="jsonl: memory.jsonl the official MCP memory server reads; json: a dump of everything. Default: json for *.json, else jsonl.",
)
@clean_errors
def export_command(file: str, db_path: str | None, fmt: str | None) -> None:
    """Export the knowledge graph as memory.jsonl, or everything as a JSON dump."""
    from ouroboros.store.cli_io import run_export

    click.echo(run_export(file, db_path, fmt))
