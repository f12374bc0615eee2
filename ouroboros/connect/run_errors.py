"""Run errors: error records with a closed set of causes, result paths, and strict-mode raising.

Errors in a run are data: an ``ErrorRecord`` per entity and attribute says why the attribute is
missing. Lenient mode puts them on the entity under ``ouroboros/errors``; strict mode turns the
first one into an exception that names the path where it happened.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from itertools import accumulate
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
    "entity_text",
    "note_missing_inputs",
    "path_text",
    "to_exception",
    "to_exception_all",
]

ERRORS_KEY = Keyword("ouroboros/errors")
MUTATION_ERROR_KEY = Keyword("ouroboros/mutation-error")


class ErrorRecord:
    """Why an attribute is missing on one entity: a cause from the closed set, and a message."""

    __slots__ = ("cause", "exc", "message", "origin", "resolver")

    def __init__(
        self,
        cause: str,
        message: str,
        exc: BaseException | None = None,
        resolver: str | None = None,
        origin: str | None = None,
    ) -> None:
        self.cause = cause
        self.message = message
        self.exc = exc
        self.resolver = resolver
        # Where a chain of missing inputs began (the first failure's message): a record made
        # from this one quotes it instead of this message, so messages along a chain of 10,000
        # resolvers stay short instead of repeating every link.
        self.origin = origin

    def to_data(self) -> dict[str, str]:
        return {"cause": self.cause, "message": self.message}


class Where:
    """Where a level's entities sit in the result, to name paths in errors (computed lazily).

    A join level keeps its parents' join values (``vals``) and child counts (``counts``); the
    path of child ``i`` is found from them only when an error or a resolver asks for it
    (``env.path``), by bisecting the running totals of the counts.
    """

    __slots__ = ("_ends", "counts", "depth", "key", "lpath", "map_container", "parent", "vals")

    def __init__(
        self,
        parent: Where | None,
        key: Any,
        vals: list[Any] | None = None,
        counts: list[int] | None = None,
        *,
        same: bool = False,
        map_container: bool = False,
    ) -> None:
        self.parent = parent
        self.key = key
        self.vals = vals
        self.counts = counts
        self.map_container = map_container
        self._ends: list[int] | None = None
        if parent is None:
            self.lpath: tuple[Any, ...] = () if key is None else (key,)
            self.depth = 0
        else:
            self.lpath = (*parent.lpath, key)
            self.depth = parent.depth + (0 if same else 1)

    def path(self, i: int) -> list[Any]:
        """Return the path of entity ``i`` of this level, e.g. ``["users", 0, "user/name"]``.

        A position inside a list is its index, inside a map container its key (Pathom's path).
        """
        if self.parent is None:
            return [] if self.key is None else [self.key]
        vals, counts = self.vals, self.counts
        if vals is None or counts is None:  # same entities as the parent, or one each
            return [*self.parent.path(i), self.key]
        ends = self._ends
        if ends is None:
            ends = self._ends = list(accumulate(counts))
        p = bisect_right(ends, i)
        if p >= len(vals):
            return [*self.parent.path(0), self.key]
        offset = i - (ends[p - 1] if p else 0)
        base = [*self.parent.path(p), self.key]
        v = vals[p]
        if isinstance(v, Mapping):
            if self.map_container:
                keys = [k for k, x in v.items() if isinstance(x, Mapping)]
                base.append(keys[offset] if offset < len(keys) else offset)
        else:
            base.append(offset)
        return base


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


def entity_text(entity: Mapping[Any, Any] | None, limit: int = 120) -> str:
    """Return an entity as short EDN-like text for messages: ``{:user/id 1 ...}``."""
    if entity is None:
        return "{}"
    parts = []
    for k, v in entity.items():
        key = f"[{attr_text(k[0])} {k[1]!r}]" if isinstance(k, tuple) else attr_text(k)
        parts.append(f"{key} {v!r:.40}")
    text = "{" + ", ".join(parts) + "}"
    return text if len(text) <= limit else text[: limit - 4] + " ...}"


def to_exception(
    attr: Keyword, rec: ErrorRecord, path: list[Any], entity: Mapping[Any, Any] | None = None
) -> OuroborosError:
    """Return the exception strict mode raises for ``rec`` on ``attr`` at ``path``."""
    return to_exception_all({attr: rec}, path, entity)


def to_exception_all(
    problems: Mapping[Keyword, ErrorRecord],
    path: list[Any],
    entity: Mapping[Any, Any] | None = None,
) -> OuroborosError:
    """Return the one exception strict mode raises for every problem of one entity.

    The type follows the gravest cause (a resolver that raised, then an unreachable attribute,
    then a missing one); the message names every attribute, why each is missing, the path and
    the entity (Pathom's "Required attributes missing: [...] at path [...]").
    """
    at = f" at path {path_text(path)}" if path else ""
    on = f" on entity {entity_text(entity)}" if entity is not None else ""
    attrs = list(problems)
    names = " ".join(attr_text(a) for a in attrs)
    lines = "".join(f"\n  {attr_text(a)}: {r.message}" for a, r in problems.items())
    reasons = {str(a): r.message for a, r in problems.items()}
    failed = [
        (a, r)
        for a, r in problems.items()
        if r.cause in ("node-exception", "ancestor-error") and r.exc is not None
    ]
    if failed:
        attr, rec = failed[0]
        exc = rec.exc
        assert exc is not None
        message = f"{rec.message} (while resolving {attr_text(attr)}{at}{on})"
        if len(problems) > 1:
            message += f"; every attribute missing: [{names}]{lines}"
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
    if all(r.cause == "attribute-unreachable" for r in problems.values()):
        if len(problems) == 1:
            ((attr, rec),) = problems.items()
            message = f"Can't resolve {attr_text(attr)}{at}{on}: {rec.message}"
        else:
            message = f"Can't resolve [{names}]{at}{on}:{lines}"
        return UnreachableError(message, reasons=reasons, path=path)
    if len(problems) == 1:
        ((attr, rec),) = problems.items()
        message = f"Attribute {attr_text(attr)} is missing{at}{on}: {rec.message}"
    else:
        message = f"Required attributes missing: [{names}]{at}{on}:{lines}"
    return AttributeMissingError(
        message,
        path=path,
        details={
            "attribute": str(attrs[0]),
            "attributes": [str(a) for a in attrs],
            "reasons": reasons,
        },
    )


def note_missing_inputs(
    run: Run, r: Resolver, attr: Keyword, required: tuple[Keyword, ...], entities: list[Any]
) -> None:
    """Record on each entity every input of ``r`` it lacks, and why (an ancestor failed?)."""
    errors = run.errors
    for e in entities:
        lacking = [dep for dep in required if dep not in e]
        if not lacking:
            continue
        recs = errors.get(id(e), {})
        failed: ErrorRecord | None = None
        whys = []
        origins = []
        for dep in lacking:
            prior = recs.get(dep)
            first = None if prior is None else prior.origin or prior.message
            if first is not None:
                origins.append(first)
            if prior is not None and prior.cause in ("node-exception", "ancestor-error"):
                failed = failed or prior
                whys.append(f"input {attr_text(dep)} of resolver {r.name} failed: {first}")
            else:
                why = f": {first}" if first is not None else ""
                whys.append(f"input {attr_text(dep)} of resolver {r.name} is missing{why}")
        message = "; ".join(whys)
        origin = "; ".join(origins) if origins else None
        if failed is not None:
            rec = ErrorRecord("ancestor-error", message, failed.exc, failed.resolver, origin)
        else:
            rec = ErrorRecord("attribute-missing", message, origin=origin)
        run.record(e, attr, rec)
