"""Resolver calls: one resolver over a level's ready entities, through the request cache.

Inputs are deduplicated and looked up in the request cache; the misses go out as one ``Invoke``
(a batch resolver's in chunks), results are checked (and validated against attribute specs) and
merged into the entities without overwriting data already present.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ouroboros.connect.effects import Effects, Failure, Invoke
from ouroboros.connect.keys import freeze
from ouroboros.connect.run_errors import ErrorRecord
from ouroboros.errors import OuroborosError, ResolverError

if TYPE_CHECKING:
    from ouroboros.connect.operations import Resolver
    from ouroboros.connect.planner import Plan
    from ouroboros.connect.run_errors import Where
    from ouroboros.connect.run_state import Run
    from ouroboros.eql.ast import Keyword

__all__ = ["call_resolver"]


def call_resolver(
    run: Run,
    plan: Plan,
    r: Resolver,
    attr: Keyword,
    ready: list[Any],
    where: Where,
    nested_values: list[dict[Any, Any]] | None,
) -> Effects:
    """Call ``r`` for ``ready`` entities through the cache and merge what it returns."""
    params = plan.params.get(r.name) or {}
    required = r.input.required
    optionals = r.input.optionals
    inputs: list[Any] | None = None
    if r.cache and nested_values is None and not optionals and len(required) == 1:
        k = required[0]
        keys = [e[k] for e in ready]
    elif r.cache and nested_values is None and not optionals and not required:
        keys = [() for _ in ready]
    else:
        inputs = []
        for i, e in enumerate(ready):
            inp = {a: e[a] for a in required}
            for a in optionals:
                if a in e:
                    inp[a] = e[a]
            if nested_values is not None:
                inp.update(nested_values[i])
            inputs.append(inp)
        # cache=False: no cache and no deduplication, one call per entity (Pathom's cache? false)
        keys = [freeze(inp) for inp in inputs] if r.cache else list(range(len(inputs)))
    if r.cache:
        cache_key = (r.name, freeze(params)) if params else r.name
        store = run.cache.get(cache_key)
        if store is None:
            store = run.cache[cache_key] = {}
    else:
        store = {}
    try:
        missing = [key for key in keys if key not in store]
    except TypeError:  # an unhashable input value: fall back to frozen keys
        keys = [freeze(key) for key in keys]
        missing = [key for key in keys if key not in store]
    if missing:
        miss_keys = list(dict.fromkeys(missing))  # deduplicated, first-seen order
        if inputs is not None:
            first = {key: i for i, key in reversed(list(enumerate(keys)))}
            miss_inputs = [inputs[first[key]] for key in miss_keys]
        elif required:
            k = required[0]
            miss_inputs = [{k: key} for key in miss_keys]
        else:
            miss_inputs = [{} for _ in miss_keys]
        env = run.make_env(r, params, where.lpath)
        validate = run.engine.validate
        if r.batch:
            size = r.batch_chunk_size or len(miss_inputs)
            chunks = [miss_inputs[i : i + size] for i in range(0, len(miss_inputs), size)]
            outcomes = yield Invoke(r, env, chunks, where.lpath)
            pos = 0
            for chunk, outcome in zip(chunks, outcomes, strict=True):
                results = _check_batch(r, chunk, outcome)
                if validate:
                    results = [o if type(o) is Failure else _validate(run, r, o) for o in results]
                store.update(zip(miss_keys[pos : pos + len(chunk)], results, strict=True))
                pos += len(chunk)
        else:
            envs = None
            chains = run.engine.chains
            if r.wants_env or chains.resolve_sync is not None or chains.resolve_async is not None:
                firsts: dict[Any, int] = {}
                for i, key in enumerate(keys):
                    firsts.setdefault(key, i)
                envs = [env.at(where, firsts[key]) for key in miss_keys]
            outcomes = yield Invoke(r, env, miss_inputs, where.lpath, envs)
            for key, outcome in zip(miss_keys, outcomes, strict=True):
                result = _check_one(r, outcome)
                if validate and type(result) is not Failure:
                    result = _validate(run, r, result)
                store[key] = result
    outs = list(map(store.__getitem__, keys))
    if set(map(type, outs)) == {dict} and all(map(_disjoint, map(dict.keys, ready), outs)):
        deque(map(dict.update, ready, outs), maxlen=0)  # merge every entity in one C loop
        return
    for e, out in zip(ready, outs, strict=True):
        if type(out) is dict:
            if e.keys().isdisjoint(out):
                e.update(out)
            else:  # never overwrite data already present
                for k2, v in out.items():
                    if k2 not in e:
                        e[k2] = v
        elif type(out) is Failure:
            _note_failure(run, e, attr, r, out.exc)


_disjoint: Any = type({}.keys()).isdisjoint


def _check_one(r: Resolver, outcome: Any) -> Any:
    if type(outcome) is dict or type(outcome) is Failure:
        return outcome
    if outcome is None:
        return {}
    if isinstance(outcome, Mapping):
        return dict(outcome)
    return Failure(
        ResolverError(
            f"Resolver {r.name} returned {type(outcome).__name__} {outcome!r:.80}; "
            "a resolver must return a map (dict) of attributes",
            resolver=r.name,
        )
    )


def _check_batch(r: Resolver, chunk: list[Any], outcome: Any) -> list[Any]:
    if type(outcome) is Failure:
        return [outcome] * len(chunk)
    if not isinstance(outcome, (list, tuple)):
        fail = Failure(
            ResolverError(
                f"Batch resolver {r.name} returned {type(outcome).__name__}; "
                "a batch resolver must return a list of maps, one per input, in order",
                resolver=r.name,
            )
        )
        return [fail] * len(chunk)
    if len(outcome) != len(chunk):
        fail = Failure(
            ResolverError(
                f"Batch resolver {r.name} returned {len(outcome)} results for {len(chunk)} "
                "inputs; it must return one map per input, in order",
                resolver=r.name,
            )
        )
        return [fail] * len(chunk)
    if set(map(type, outcome)) == {dict}:
        return outcome  # type: ignore[return-value]
    return [o if type(o) is dict else _check_one(r, o) for o in outcome]


def _validate(run: Run, r: Resolver, result: dict[Any, Any]) -> Any:
    problems = run.engine.attributes.check_output(result)
    if not problems:
        return result
    from ouroboros.errors import AttributeTypeError

    return Failure(
        AttributeTypeError(
            f"Resolver {r.name} returned values that do not fit their attribute specs: "
            + "; ".join(problems),
            resolver=r.name,
        )
    )


def _note_failure(
    run: Run, e: dict[Any, Any], attr: Keyword, r: Resolver, exc: BaseException
) -> None:
    if isinstance(exc, OuroborosError):
        message = exc.message
    else:
        message = f"Resolver {r.name} raised {type(exc).__name__}: {exc}"
    run.record(e, attr, ErrorRecord("node-exception", message, exc, r.name))
