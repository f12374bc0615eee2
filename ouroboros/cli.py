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
