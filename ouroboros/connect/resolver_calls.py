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
from ouroboros.eql.ast import Join, Prop, Root
from ouroboros.eql.printer import to_edn
from ouroboros.errors import OuroborosError, ResolverError

if TYPE_CHECKING:
    from ouroboros.connect.env import Env
    from ouroboros.connect.levels import Level
    from ouroboros.connect.operations import Resolver
    from ouroboros.connect.planner import Plan
    from ouroboros.connect.run_errors import Where
    from ouroboros.connect.run_state import Run
    from ouroboros.eql.ast import Keyword

__all__ = ["call_resolver", "core_merge_attribute", "foreign_query"]


def call_resolver(
    run: Run,
    plan: Plan,
    r: Resolver,
    attr: Keyword,
    ready: list[Any],
    where: Where,
    nested_values: list[dict[Any, Any]] | None,
    level: Level | None = None,
) -> Effects:
    """Call ``r`` for ``ready`` entities through the cache and merge what it returns."""
    params = plan.params.get(r.name) or {}
    required = r.input.required
    optionals = r.input.optionals
    inputs: list[Any] | None = None
    env: Env | None = None
    slot: Any = (r.name, freeze(params)) if params else r.name
    if r.dynamic:  # the sub-query it answers for is part of what it is given
        env = run.make_env(r, params, where.lpath)
        env.query = foreign_query(level, plan, r, attr)
        slot = (slot, to_edn(env.query))
    plain = r.cache and r.cache_key is None and nested_values is None and not optionals
    if plain and len(required) == 1:
        k = required[0]
        keys = [e[k] for e in ready]
    elif plain and not required:
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
        if (
            not r.cache
        ):  # no cache and no deduplication, one call per entity (Pathom's cache? false)
            keys = list(range(len(inputs)))
        elif r.cache_key is not None:  # Pathom's cache-key: (env, input) -> key
            if env is None:
                env = run.make_env(r, params, where.lpath)
            keys = [r.cache_key(env, inp) for inp in inputs]
        else:
            keys = [freeze(inp) for inp in inputs]
    outside: Any = None
    if r.cache:
        store = run.cache.get(slot)
        if store is None:
            store = run.cache[slot] = {}
        outside = r.cache_store if r.cache_store is not None else run.engine.resolver_cache
    else:
        store = {}
    try:
        missing = [key for key in keys if key not in store]
    except TypeError:  # an unhashable input value: fall back to frozen keys
        keys = [freeze(key) for key in keys]
        missing = [key for key in keys if key not in store]
    if missing and outside is not None:  # a cache store that outlives the request
        for key in dict.fromkeys(missing):
            hit = outside.get((slot, key), _ABSENT)
            if hit is not _ABSENT:
                store[key] = hit
        missing = [key for key in missing if key not in store]
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
        if env is None:
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
        if outside is not None:
            for key in miss_keys:
                result = store[key]
                if type(result) is not Failure:
                    outside[(slot, key)] = result
    merge = run.engine.chains.merge_attribute
    if merge is not None:
        if env is None:
            env = run.make_env(r, params, where.lpath)
        _merge_through(run, merge, env, r, attr, ready, [store[key] for key in keys], where)
        return
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
_ABSENT: Any = object()


def foreign_query(level: Level | None, plan: Plan, r: Resolver, attr: Keyword) -> Root:
    """Return what a dynamic resolver answers for at this level: the level's query entries for
    the attributes it outputs (their params and sub-queries kept), plus the other attributes
    the plan asks of it (inputs of other resolvers), ``attr`` first (memoised on the level)."""
    memo = level.foreign if level is not None else None
    key = (plan, r.name, attr)
    if memo is not None:
        hit = memo.get(key)
        if hit is not None:
            return hit
    by_key: dict[Any, Any] = {}
    if level is not None:
        for n in level.nodes:
            if isinstance(n, (Prop, Join)) and n.key in r.output and n.key not in by_key:
                by_key[n.key] = n
    wanted: list[Any] = [attr] + [
        a
        for a, node in plan.nodes.items()
        if a != attr and any(s.resolver is r for s in node.options)
    ]
    wanted += [a for a in by_key if a not in wanted]
    nodes = tuple(by_key.get(a) or Prop(key=a, dispatch_key=a, params={}) for a in wanted)
    query = Root(children=nodes)
    if memo is not None:
        memo[key] = query
    return query


def _merge_through(
    run: Run,
    merge: Any,
    env: Env,
    r: Resolver,
    attr: Keyword,
    ready: list[Any],
    outs: list[Any],
    where: Where,
) -> None:
    """Merge results attribute by attribute through the ``wrap_merge_attribute`` chain."""
    for i, (e, out) in enumerate(zip(ready, outs, strict=True)):
        if type(out) is dict:
            at = env.at(where, i)
            for k, v in out.items():
                merge(at, e, k, v)
        elif type(out) is Failure:
            _note_failure(run, e, attr, r, out.exc)


def core_merge_attribute(env: Env, entity: dict[Any, Any], attr: Any, value: Any) -> None:
    """The core merge: put ``value`` under ``attr`` unless the entity already has it."""
    if attr not in entity:
        entity[attr] = value


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
