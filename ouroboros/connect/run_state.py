"""Run: the state of one request (options, the resolver cache, error records and the trace)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ouroboros.connect.env import Env
from ouroboros.connect.run_errors import ErrorRecord

if TYPE_CHECKING:
    from ouroboros.connect.interface import Engine
    from ouroboros.connect.trace import Trace

__all__ = ["Run"]


class Run:
    """The state of one request: options, the resolver cache, error records and the trace."""

    __slots__ = (
        "cache",
        "context",
        "engine",
        "errors",
        "index",
        "is_async",
        "lenient",
        "max_recursion",
        "plugins",
        "trace",
    )

    def __init__(
        self,
        engine: Engine,
        *,
        context: Mapping[str, Any] | None,
        lenient: bool,
        trace: Trace | None,
        is_async: bool,
    ) -> None:
        self.engine = engine
        self.index = engine.index
        self.context = context if context is not None else {}
        self.lenient = lenient
        self.trace = trace
        self.is_async = is_async
        self.cache: dict[Any, dict[Any, Any]] = {}
        self.errors: dict[int, dict[Any, ErrorRecord]] = {}
        self.max_recursion = engine.max_recursion
        self.plugins = bool(engine.plugins)

    def record(self, entity: dict[Any, Any], attr: Any, rec: ErrorRecord) -> None:
        """Note why ``attr`` failed on ``entity`` (an OR that fails twice keeps both messages)."""
        recs = self.errors.setdefault(id(entity), {})
        old = recs.get(attr)
        if old is not None and old.message != rec.message:
            # Keep every reason; the cause is the gravest (an exception over a missing value).
            grave = old if old.cause != "attribute-missing" or rec.cause == old.cause else rec
            rec = ErrorRecord(
                grave.cause,
                f"{old.message}; then {rec.message}",
                grave.exc or old.exc or rec.exc,
                grave.resolver or old.resolver or rec.resolver,
                None
                if old.origin is None and rec.origin is None
                else f"{old.origin or old.message}; then {rec.origin or rec.message}",
            )
        recs[attr] = rec

    def make_env(self, operation: Any, params: Mapping[Any, Any], path: tuple[Any, ...]) -> Env:
        return Env(
            engine=self.engine,
            context=self.context,
            params=params,
            path=path,
            operation=operation,
            is_async=self.is_async,
            request=self,
        )
