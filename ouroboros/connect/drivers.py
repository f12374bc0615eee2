"""Drivers: execute the runner's effects synchronously, or asynchronously with anyio.

The sync driver calls resolvers inline (an async resolver runs on a private event loop; the calls
of one step run concurrently there). The async driver runs ``Parallel`` branches and the calls of
one step concurrently in anyio task groups, sync ``blocking=True`` resolvers in worker threads,
and applies per-resolver timeouts with ``anyio.fail_after``.

Timeouts under the sync driver: a sync resolver with a ``timeout`` runs in a worker thread and
the request stops waiting when it expires (``ResolverTimeoutError``); the thread itself cannot be
interrupted and finishes in the background, its result discarded.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter
from types import GeneratorType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from ouroboros.connect.runner import Failure, Invoke, Mutate, Parallel, Run, RunLevel, level_body
from ouroboros.errors import ResolverTimeoutError

if TYPE_CHECKING:
    from ouroboros.connect.env import Env
    from ouroboros.connect.operations import Mutation, Resolver

__all__ = [
    "core_level_async",
    "core_level_sync",
    "core_mutate_async",
    "core_mutate_sync",
    "core_resolve_async",
    "core_resolve_sync",
    "drive_async",
    "drive_sync",
]

_pool: ThreadPoolExecutor | None = None


def _threads() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="ouroboros-resolver")
    return _pool


def _timeout_error(op: Resolver | Mutation) -> ResolverTimeoutError:
    kind = "Resolver" if op.kind == "resolver" else "Mutation"
    return ResolverTimeoutError(
        f"{kind} {op.name} timed out after {op.timeout:g} s",
        resolver=str(op.name),
        details={"timeout": op.timeout},
    )


def _run_coroutine(make: Callable[[], Any]) -> Any:
    """Run ``await make()`` to completion from sync code, on a private event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(make)
    # Called from inside an event loop (sync process() in async code): use another thread.
    context = contextvars.copy_context()  # the caller's trace span, request id and caller
    return _threads().submit(lambda: context.run(anyio.run, make)).result()


async def _await_op(op: Resolver | Mutation, args: tuple[Any, ...]) -> Any:
    if op.timeout is None:
        return await op.fn(*args)
    try:
        with anyio.fail_after(op.timeout):
            return await op.fn(*args)
    except TimeoutError:
        raise _timeout_error(op) from None


def _call_sync(op: Resolver | Mutation, args: tuple[Any, ...]) -> Any:
    if op.is_async:
        return _run_coroutine(lambda: _await_op(op, args))
    if op.timeout is not None:
        context = contextvars.copy_context()  # the caller's trace span, request id and caller
        future = _threads().submit(lambda: context.run(op.fn, *args))
        try:
            return future.result(timeout=op.timeout)
        except TimeoutError:
            raise _timeout_error(op) from None
    return op.fn(*args)


def _blocks(op: Resolver | Mutation, env: Env) -> bool:
    """Whether a sync ``op`` goes to a worker thread: ``blocking``, or its per-call predicate."""
    blocking = op.blocking
    if blocking is True or blocking is False:
        return blocking
    return bool(blocking(env))


async def _call_async(op: Resolver | Mutation, args: tuple[Any, ...], env: Env) -> Any:
    if op.is_async:
        return await _await_op(op, args)
    if op.timeout is not None or _blocks(op, env):
        call = functools.partial(op.fn, *args)
        if op.timeout is None:
            return await anyio.to_thread.run_sync(call)
        try:
            with anyio.fail_after(op.timeout):
                return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        except TimeoutError:
            raise _timeout_error(op) from None
    return op.fn(*args)


def core_resolve_sync(env: Env, resolver: Resolver, payload: Any) -> Any:
    """The core resolve function (sync chain): call the resolver with ``payload``."""
    return _call_sync(resolver, (env, payload) if resolver.wants_env else (payload,))


async def core_resolve_async(env: Env, resolver: Resolver, payload: Any) -> Any:
    """The core resolve function (async chain)."""
    return await _call_async(resolver, (env, payload) if resolver.wants_env else (payload,), env)


def core_mutate_sync(env: Env, mutation: Mutation, params: Any) -> Any:
    """The core mutate function (sync chain): call the mutation with its params."""
    return _call_sync(mutation, (env, params) if mutation.wants_env else (params,))


async def core_mutate_async(env: Env, mutation: Mutation, params: Any) -> Any:
    """The core mutate function (async chain)."""
    return await _call_async(mutation, (env, params) if mutation.wants_env else (params,), env)


def _inline(r: Resolver, env: Env, payloads: list[Any], envs: list[Env] | None) -> list[Any]:
    fn = r.fn
    out: list[Any] = []
    append = out.append
    if r.wants_env:
        for e, p in zip(envs or [env] * len(payloads), payloads, strict=True):
            try:
                append(fn(e, p))
            except Exception as exc:
                append(Failure(exc))
    else:
        for p in payloads:
            try:
                append(fn(p))
            except Exception as exc:
                append(Failure(exc))
    return out


def _finish(run: Run, r: Resolver, eff: Invoke, out: list[Any], duration: float) -> None:
    engine = run.engine
    if engine.or_resolvers:  # learned weights: a moving average of seconds per call
        weights = engine.weights
        per_call = duration / max(1, len(eff.payloads))
        old = weights.get(r.name)
        if any(type(o) is Failure for o in out):  # a failure makes the resolver heavier
            weights[r.name] = max(old or 0.0, per_call, 1e-6) * 2
        else:
            weights[r.name] = per_call if old is None else old * 0.8 + per_call * 0.2
    if run.trace is not None:
        run.trace.record("resolver", r.name, eff.path, eff.payloads, out, duration, batch=r.batch)


# --- sync ----------------------------------------------------------------------------------


def _invoke_sync(run: Run, eff: Invoke) -> list[Any]:
    r = eff.resolver
    env = eff.env
    env.request = run
    chain = run.engine.chains.resolve_sync
    t0 = perf_counter()
    if chain is None and not r.is_async and r.timeout is None:
        out = _inline(r, env, eff.payloads, eff.envs)
    elif chain is None and r.is_async and len(eff.payloads) > 1:
        out = _run_coroutine(lambda: _gather(r, env, eff.payloads, core_resolve_async, eff.envs))
    else:
        handler = chain or core_resolve_sync
        out = []
        for e, p in zip(eff.envs or [env] * len(eff.payloads), eff.payloads, strict=True):
            try:
                out.append(handler(e, r, p))
            except Exception as exc:
                out.append(Failure(exc))
    _finish(run, r, eff, out, perf_counter() - t0)
    return out


def _trace_mutation(run: Run, eff: Mutate, out: Any, t0: float) -> None:
    m = eff.mutation
    assert run.trace is not None
    run.trace.record(
        "mutation", str(m.name), (m.name,), [eff.params], [out], perf_counter() - t0, batch=False
    )


def _mutate_sync(run: Run, eff: Mutate) -> Any:
    eff.env.request = run
    handler = run.engine.chains.mutate_sync or core_mutate_sync
    t0 = perf_counter()
    try:
        out = handler(eff.env, eff.mutation, eff.params)
    except Exception as exc:
        out = Failure(exc)
    if run.trace is not None:
        _trace_mutation(run, eff, out, t0)
    return out


def _in_turn(gens: list[Generator[Any, Any, Any]]) -> Generator[Any, Any, list[Any]]:
    """Run ``Parallel`` branches one after another (the sync driver's ``Parallel``)."""
    out = []
    for g in gens:
        out.append((yield g))
    return out


def drive_sync(run: Run, gen: Generator[Any, Any, Any]) -> Any:
    """Run the runner generator ``gen`` to completion, executing its effects inline.

    A trampoline: a generator yielded as an effect is a call, pushed on an explicit stack and
    resumed with its return value in the caller, so no Python recursion grows with the depth of
    the runner's calls (resolver chains, nested inputs, joins).
    """
    stack = [gen]
    top = gen
    send: Any = None
    while True:
        try:
            eff = top.send(send)
        except StopIteration as stop:
            stack.pop()
            if not stack:
                return stop.value
            top = stack[-1]
            send = stop.value
            continue
        kind = type(eff)
        if kind is Invoke:
            send = _invoke_sync(run, eff)
        elif kind is GeneratorType:
            stack.append(eff)
            top = eff
            send = None
        elif kind is Parallel:
            top = _in_turn(eff.gens)
            stack.append(top)
            send = None
        elif kind is Mutate:
            send = _mutate_sync(run, eff)
        elif kind is RunLevel:
            send = run.engine.chains.level_sync(eff.env, eff.level, eff.entities)
        else:  # pragma: no cover - a bug in the runner
            raise TypeError(f"unknown effect {eff!r}")


def core_level_sync(env: Env, level: Any, entities: list[Any]) -> list[Any]:
    """The core nested run (sync chain): resolve ``level`` over ``entities``."""
    run: Run = env.request
    where, seen, soft = env._level_args
    return drive_sync(run, level_body(run, level, list(entities), where, seen, soft))


async def core_level_async(env: Env, level: Any, entities: list[Any]) -> list[Any]:
    """The core nested run (async chain)."""
    run: Run = env.request
    where, seen, soft = env._level_args
    gen = level_body(run, level, list(entities), where, seen, soft)
    return await _drive(run, [gen], _START)


# --- async ---------------------------------------------------------------------------------


async def _gather(
    r: Resolver,
    env: Env,
    payloads: list[Any],
    handler: Callable[..., Any],
    envs: list[Env] | None = None,
) -> list[Any]:
    out: list[Any] = [None] * len(payloads)

    async def one(i: int, payload: Any) -> None:
        try:
            out[i] = await handler(envs[i] if envs else env, r, payload)
        except Exception as exc:
            out[i] = Failure(exc)

    if len(payloads) == 1:
        await one(0, payloads[0])
        return out
    async with anyio.create_task_group() as tg:
        for i, payload in enumerate(payloads):
            tg.start_soon(one, i, payload)
    return out


def _invoke_inline(run: Run, eff: Invoke) -> list[Any] | None:
    """Run ``eff`` on the spot when nothing in it awaits (a plain sync resolver that does not
    block, no plugin chain, no timeout); return None when it needs the event loop."""
    r = eff.resolver
    env = eff.env
    if (
        run.engine.chains.resolve_async is not None
        or r.is_async
        or r.timeout is not None
        or _blocks(r, env)
    ):
        return None
    env.request = run
    t0 = perf_counter()
    out = _inline(r, env, eff.payloads, eff.envs)
    _finish(run, r, eff, out, perf_counter() - t0)
    return out


async def _invoke_async(run: Run, eff: Invoke) -> list[Any]:
    out = _invoke_inline(run, eff)
    if out is not None:
        return out
    r = eff.resolver
    env = eff.env
    env.request = run
    t0 = perf_counter()
    handler = run.engine.chains.resolve_async or core_resolve_async
    out = await _gather(r, env, eff.payloads, handler, eff.envs)
    _finish(run, r, eff, out, perf_counter() - t0)
    return out


async def _mutate_async(run: Run, eff: Mutate) -> Any:
    eff.env.request = run
    handler = run.engine.chains.mutate_async or core_mutate_async
    t0 = perf_counter()
    try:
        out = await handler(eff.env, eff.mutation, eff.params)
    except Exception as exc:
        out = Failure(exc)
    if run.trace is not None:
        _trace_mutation(run, eff, out, t0)
    return out


def _first_error(group: BaseExceptionGroup[Any]) -> BaseException:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_error(exc)
        if not isinstance(exc, anyio.get_cancelled_exc_class()):
            return exc
    return group


_START: Any = object()


def _advance(run: Run, stack: list[Generator[Any, Any, Any]], send: Any) -> tuple[bool, Any]:
    """Drive the generator ``stack`` (a strand: callers below, callees above) while its effects
    run on the spot; return ``(True, result)`` when its bottom generator finished, or
    ``(False, effect)`` with the first effect that needs the event loop (or is a ``Parallel``).
    """
    top = stack[-1]
    while True:
        try:
            eff = top.send(send)
        except StopIteration as stop:
            stack.pop()
            if not stack:
                return True, stop.value
            top = stack[-1]
            send = stop.value
            continue
        kind = type(eff)
        if kind is GeneratorType:
            stack.append(eff)
            top = eff
            send = None
            continue
        if kind is Invoke:
            out = _invoke_inline(run, eff)
            if out is not None:
                send = out
                continue
        return False, eff


def _collect(results: list[Any], i: int) -> Generator[Any, Any, list[Any]]:
    """Receive branch ``i``'s result into ``results`` and return them all (see ``_drive``)."""
    results[i] = yield _START
    return results


async def _branches(
    run: Run,
    results: list[Any],
    waiting: list[tuple[int, list[Generator[Any, Any, Any]], Any]],
) -> list[Any]:
    """Run the branches still waiting, one anyio task each (a task starts on a fresh stack)."""

    async def branch(i: int, stack: list[Generator[Any, Any, Any]], eff: Any) -> None:
        results[i] = await _drive(run, stack, eff)

    try:
        async with anyio.create_task_group() as tg:
            for i, stack, eff in waiting:
                tg.start_soon(branch, i, stack, eff)
    except BaseExceptionGroup as group:
        leaf = _first_error(group)
        raise leaf from leaf.__cause__
    return results


async def _drive(run: Run, stack: list[Generator[Any, Any, Any]], eff: Any) -> Any:
    """Run the strand ``stack`` to completion with anyio; ``eff``: the effect its top generator
    is waiting on, or ``_START`` to resume it with ``None``.

    ``Parallel`` branches are first driven on the spot as far as their effects allow (what a
    task would do before its first await, in the same order). Only branches left waiting get a
    task; when one is left it is spliced onto this strand (above a ``_collect`` that gathers
    the results), so nested ``Parallel`` effects never nest Python calls.
    """
    send: Any = None
    while True:
        if eff is _START:
            done, eff = _advance(run, stack, send)
            if done:
                return eff
        kind = type(eff)
        if kind is Invoke:
            send = await _invoke_async(run, eff)
        elif kind is Parallel:
            gens = eff.gens
            results: list[Any] = [None] * len(gens)
            waiting: list[tuple[int, list[Generator[Any, Any, Any]], Any]] = []
            for i, g in enumerate(gens):
                branch = [g]
                done, value = _advance(run, branch, None)
                if done:
                    results[i] = value
                else:
                    waiting.append((i, branch, value))
            if len(waiting) == 1:
                i, branch, eff = waiting[0]
                collect = _collect(results, i)
                next(collect)
                stack.append(collect)
                stack.extend(branch)
                continue  # handle the branch's pending effect on this strand
            send = await _branches(run, results, waiting) if waiting else results
        elif kind is Mutate:
            send = await _mutate_async(run, eff)
        elif kind is RunLevel:
            send = await run.engine.chains.level_async(eff.env, eff.level, eff.entities)
        else:  # pragma: no cover - a bug in the runner
            raise TypeError(f"unknown effect {eff!r}")
        eff = _START


async def drive_async(run: Run, gen: Generator[Any, Any, Any]) -> Any:
    """Run the runner generator ``gen`` to completion with anyio (concurrent where it may).

    A trampoline like ``drive_sync``: the generators of one strand of work sit on an explicit
    stack; concurrent ``Parallel`` branches that wait run as anyio tasks, each with its own.
    """
    return await _drive(run, [gen], _START)
