"""``wrap_*`` hooks that instrument an engine: a span and metrics per plan, resolver and mutation.

Plain functions, so this leaf package needs nothing from ``connect``; the service makes them a
plugin: ``Plugin(id="ouroboros/observe", **engine_hooks())``. Each hook handles both chains (a
coroutine ``next`` gets a coroutine handler).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from ouroboros.observe import events, metrics, tracing

__all__ = ["engine_hooks"]

Handler = Callable[..., Any]


def _name(operation: Any) -> str:
    return str(getattr(operation, "name", None) or getattr(operation, "__name__", "resolver"))


def _surface(env: Any) -> str:
    context = getattr(env, "context", None) or {}
    caller = context.get("caller") if hasattr(context, "get") else None
    return str(getattr(caller, "transport", None) or "engine")


def _call_hook(kind: str) -> Callable[[Handler], Handler]:
    """Wrap resolve (``kind="resolver"``) or mutate (``"mutation"``): span + metrics."""

    def wrap(next_handler: Handler) -> Handler:
        if inspect.iscoroutinefunction(next_handler):

            async def handle_async(env: Any, operation: Any, payload: Any) -> Any:
                name = _name(operation)
                started = time.perf_counter()
                ok = False
                with tracing.span(f"{kind} {name}", _attrs(kind, name, payload)):
                    try:
                        result = await next_handler(env, operation, payload)
                        ok = True
                        return result
                    finally:
                        metrics.record_resolver(name, time.perf_counter() - started, ok)

            return handle_async

        def handle(env: Any, operation: Any, payload: Any) -> Any:
            name = _name(operation)
            started = time.perf_counter()
            ok = False
            with tracing.span(f"{kind} {name}", _attrs(kind, name, payload)):
                try:
                    result = next_handler(env, operation, payload)
                    ok = True
                    return result
                finally:
                    metrics.record_resolver(name, time.perf_counter() - started, ok)

        return handle

    return wrap


def _attrs(kind: str, name: str, payload: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {f"ouroboros.{kind}": name}
    if isinstance(payload, list):
        attrs["ouroboros.batch_size"] = len(payload)
    return attrs


def _wrap_plan(next_handler: Handler) -> Handler:
    def handle(index: Any, requests: Any, available: Any) -> Any:
        try:
            wanted = sorted(str(k) for k in requests)[:50]
        except TypeError:
            wanted = []
        with tracing.span("plan", {"ouroboros.attributes": wanted}):
            return next_handler(index, requests, available)

    return handle


def _wrap_run(next_handler: Handler) -> Handler:
    if inspect.iscoroutinefunction(next_handler):

        async def run_async(env: Any, level: Any, entity: Any) -> Any:
            surface = _surface(env)
            started = time.perf_counter()
            ok = False
            with tracing.span("eql", {"ouroboros.surface": surface}) as current:
                try:
                    result = await next_handler(env, level, entity)
                    ok = True
                    return result
                except Exception as exc:
                    tracing.set_error(current, exc)
                    raise
                finally:
                    _done(surface, ok, started)

        return run_async

    def run(env: Any, level: Any, entity: Any) -> Any:
        surface = _surface(env)
        started = time.perf_counter()
        ok = False
        with tracing.span("eql", {"ouroboros.surface": surface}) as current:
            try:
                result = next_handler(env, level, entity)
                ok = True
                return result
            except Exception as exc:
                tracing.set_error(current, exc)
                raise
            finally:
                _done(surface, ok, started)

    return run


def _done(surface: str, ok: bool, started: float) -> None:
    metrics.record_eql(surface, ok)
    events.publish(
        "query",
        "eql",
        ok=ok,
        duration_ms=(time.perf_counter() - started) * 1000.0,
        details={"surface": surface},
    )


def engine_hooks() -> dict[str, Callable[[Handler], Handler]]:
    """Return ``{wrap_resolve, wrap_mutate, wrap_plan, wrap_root_run}`` for an engine ``Plugin``
    (one span and one metric per request, not per nested level)."""
    return {
        "wrap_resolve": _call_hook("resolver"),
        "wrap_mutate": _call_hook("mutation"),
        "wrap_plan": _wrap_plan,
        "wrap_root_run": _wrap_run,
    }
