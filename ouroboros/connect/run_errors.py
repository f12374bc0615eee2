"""Run errors: error records with a closed set of causes, result paths, and strict-mode raising.

Errors in a run are data: an ``ErrorRecord`` per entity and attribute says why the attribute is
missing. Lenient mode puts them on the entity under ``ouroboros/errors``; strict mode turns the
first one into an exception that names the path where it happened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ouroboros.connect.shapes import attr_text
from ouroboros.eql.ast import Keyword
from ouroboros.errors import (
    AttributeMissingError,
    OuroborosError,
    ResolverError,
    UnreachableError,
)

if TYPE_CHECKING:
    from ouroboros.connect.operations import Resolver
    from ouroboros.connect.run_state import Run

__all__ = [
    "ERRORS_KEY",
    "MUTATION_ERROR_KEY",
    "ErrorRecord",
    "Where",
    "note_missing_inputs",
    "path_text",
    "to_exception",
]

ERRORS_KEY = Keyword("ouroboros/errors")
MUTATION_ERROR_KEY = Keyword("ouroboros/mutation-error")


class ErrorRecord:
    """Why an attribute is missing on one entity: a cause from the closed set, and a message."""

    __slots__ = ("cause", "exc", "message", "resolver")

    def __init__(
        self,
        cause: str,
        message: str,
        exc: BaseException | None = None,
        resolver: str | None = None,
    ) -> None:
        self.cause = cause
        self.message = message
        self.exc = exc
        self.resolver = resolver

    def to_data(self) -> dict[str, str]:
        return {"cause": self.cause, "message": self.message}


class Where:
    """Where a level's entities sit in the result, to name paths in errors (computed lazily).

    A join level keeps its parents' join values (``vals``) and child counts (``counts``); the
    path of child ``i`` is found by walking them only when an error needs it.
    """

    __slots__ = ("counts", "depth", "key", "lpath", "parent", "vals")

    def __init__(
        self,
        parent: Where | None,
        key: Any,
        vals: list[Any] | None = None,
        counts: list[int] | None = None,
        *,
        same: bool = False,
    ) -> None:
        self.parent = parent
        self.key = key
        self.vals = vals
        self.counts = counts
        if parent is None:
            self.lpath: tuple[Any, ...] = () if key is None else (key,)
            self.depth = 0
        else:
            self.lpath = (*parent.lpath, key)
            self.depth = parent.depth + (0 if same else 1)

    def path(self, i: int) -> list[Any]:
        """Return the path of entity ``i`` of this level, e.g. ``["users", 0, "user/name"]``."""
        if self.parent is None:
            return [] if self.key is None else [self.key]
        if self.vals is None or self.counts is None:  # same entities as the parent, or one each
            return [*self.parent.path(i), self.key]
        seen = 0
        for p, (v, n) in enumerate(zip(self.vals, self.counts, strict=True)):
            if i < seen + n:
                base = [*self.parent.path(p), self.key]
                if not isinstance(v, dict) or n != 1:
                    base.append(i - seen)
                return base
            seen += n
        return [*self.parent.path(0), self.key]


def path_text(path: list[Any]) -> str:
    """Return a path as EDN-like text: ``[:users 0 :user/name]``."""
    parts = []
    for p in path:
        if isinstance(p, Keyword) or (isinstance(p, str) and not isinstance(p, tuple)):
            parts.append(attr_text(p))
        elif isinstance(p, tuple):
            parts.append(f"[{attr_text(p[0])} {p[1]!r}]")
        else:
            parts.append(repr(p))
    return "[" + " ".join(parts) + "]"


def to_exception(attr: Keyword, rec: ErrorRecord, path: list[Any]) -> OuroborosError:
    """Return the exception strict mode raises for ``rec`` on ``attr`` at ``path``."""
    at = f" at path {path_text(path)}" if path else ""
    exc = rec.exc
    if rec.cause == "attribute-unreachable":
        return UnreachableError(
            f"Can't resolve {attr_text(attr)}{at}: {rec.message}",
            reasons={str(attr): rec.message},
            path=path,
        )
    if rec.cause in ("node-exception", "ancestor-error") and exc is not None:
        message = f"{rec.message} (while resolving {attr_text(attr)}{at})"
        err: OuroborosError
        try:
            if isinstance(exc, ResolverError):
                err = type(exc)(message, resolver=exc.resolver, path=path)
            elif isinstance(exc, OuroborosError):
                err = type(exc)(message, path=path, details=exc.details)
            else:
                raise TypeError
        except TypeError:
            err = ResolverError(message, resolver=rec.resolver or "?", path=path)
        err.__cause__ = exc
        return err
    return AttributeMissingError(
        f"Attribute {attr_text(attr)} is missing{at}: {rec.message}",
        path=path,
        details={"attribute": str(attr)},
    )


def note_missing_inputs(
    run: Run, r: Resolver, attr: Keyword, required: tuple[Keyword, ...], entities: list[Any]
) -> None:
    """Record on each entity which input of ``r`` it lacks, and why (an ancestor failed?)."""
    errors = run.errors
    for e in entities:
        for dep in required:
            if dep in e:
                continue
            prior = errors.get(id(e), {}).get(dep)
            if prior is not None and prior.cause in ("node-exception", "ancestor-error"):
                rec = ErrorRecord(
                    "ancestor-error",
                    f"input {attr_text(dep)} of resolver {r.name} failed: {prior.message}",
                    prior.exc,
                    prior.resolver,
                )
            else:
                why = f": {prior.message}" if prior is not None else ""
                rec = ErrorRecord(
                    "attribute-missing",
                    f"input {attr_text(dep)} of resolver {r.name} is missing{why}",
                )
            run.record(e, attr, rec)
            break
