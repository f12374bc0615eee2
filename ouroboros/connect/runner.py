"""Runner: executes plans breadth-wise over whole entity levels.

A level (every entity at one place in the query, e.g. all 2,000 users of a list) is planned once
per set of available attributes and run node by node over all its entities at once: a batch
resolver is called once with every entity's input (deduplicated, chunked, through the request
cache), a plain resolver once per distinct input. Joins then gather the children of every entity
of the level and run them as the next level.

The runner is written as generators that *yield effects* (``Invoke`` a resolver step, ``Mutate``,
run generators in ``Parallel``); ``drivers.py`` executes them synchronously or with anyio, so both
modes share one implementation and only the async driver pays for concurrency.

Order per entity level: mutations (root only), resolvers of the plan, placeholders, idents, joins
(over data already present or resolved), then the result is selected in the shape asked for.

Semantics where EQL and Pathom leave room (the written spec of this engine):

- Data already in an entity is never overwritten; a resolver returning ``None`` returned ``{}``.
- A join value that is a map is one entity; a list / tuple / set is many (non-map items are kept
  as they are); the container kind is kept, except that a set of maps comes back as a list (maps
  are not hashable). With the param ``ouroboros/map-container? true`` a map's *values* are the
  entities.
- Unions: the first branch whose union key is present in the item wins; an item matching no
  branch becomes ``None`` (a single value) or is dropped (in a sequence).
- ``{:a 3}`` follows ``:a`` three times and leaves ``:a`` out at the third level; ``{:a ...}``
  follows it until the data ends, stops where an item repeats data of one of its ancestors (a
  cycle), and raises ``QueryLimitError`` past ``Engine(max_recursion=64)`` levels.
- A placeholder ``{:>/x [...]}`` is a view of the same entity; its params become entity data for
  that view (Pathom's ``placeholder-data-params``).
- Mutations run first, in query order, with their params as given; a mutation join reads the
  returned map (or list of maps) through the resolvers.
- Strict mode raises on the first required attribute that is missing after everything ran (or
  before anything ran, for attributes no plan can reach); optional attributes only raise when a
  resolver threw. Lenient mode puts ``ouroboros/errors`` on the entity where it happened.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Mapping
from itertools import accumulate, repeat
from operator import eq
from typing import TYPE_CHECKING, Any

from ouroboros.connect.env import Env
from ouroboros.connect.keys import freeze
from ouroboros.connect.levels import JoinSpec, Level, compile_query
from ouroboros.connect.shapes import OPTIONAL_KEY, Shape, attr_text
from ouroboros.eql.ast import Join, Keyword, Prop, Root
from ouroboros.errors import (
    AttributeMissingError,
    MutationNotFoundError,
    OuroborosError,
    QueryLimitError,
    ResolverError,
    UnreachableError,
)

if TYPE_CHECKING:
    from ouroboros.connect.interface import Engine
    from ouroboros.connect.operations import Mutation, Resolver
    from ouroboros.connect.planner import AttrNode, Plan, ResolverStep
    from ouroboros.connect.trace import Trace

__all__ = [
    "ERRORS_KEY",
    "MUTATION_ERROR_KEY",
    "Failure",
    "Invoke",
    "Mutate",
    "Parallel",
    "Run",
    "run_request",
]

ERRORS_KEY = Keyword("ouroboros/errors")
MUTATION_ERROR_KEY = Keyword("ouroboros/mutation-error")

Effects = Generator[Any, Any, Any]


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING: Any = _Marker("MISSING")
_CUT: Any = _Marker("CUT")  # a recursive join not descended (a cycle in the data)
_DROP: Any = _Marker("DROP")  # a union item that matches no branch
_INCOMPLETE: Any = _Marker("INCOMPLETE")  # soft selection: a required attribute is missing


class Failure:
    """A call that raised: the outcome slot holds this instead of a result."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __repr__(self) -> str:
        return f"Failure({self.exc!r})"


class Invoke:
    """Effect: call ``resolver`` once per payload (an input map, or a chunk for a batch)."""

    __slots__ = ("env", "path", "payloads", "resolver")

    def __init__(self, resolver: Resolver, env: Env, payloads: list[Any], path: tuple[Any, ...]):
        self.resolver = resolver
        self.env = env
        self.payloads = payloads
        self.path = path


class Mutate:
    """Effect: call ``mutation`` with ``params``; the driver answers the result or a Failure."""

    __slots__ = ("env", "mutation", "params")

    def __init__(self, mutation: Mutation, env: Env, params: dict[Any, Any]):
        self.mutation = mutation
        self.env = env
        self.params = params


class Parallel:
    """Effect: run these generators (concurrently under the async driver); answers their results."""

    __slots__ = ("gens",)

    def __init__(self, gens: list[Effects]):
        self.gens = gens


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
        if old is not None and old.cause != "attribute-missing" and rec.cause != old.cause:
            rec = ErrorRecord(
                old.cause, f"{old.message}; then {rec.message}", old.exc, old.resolver
            )
        elif old is not None and old.cause == rec.cause and old.message != rec.message:
            rec = ErrorRecord(
                rec.cause,
                f"{old.message}; then {rec.message}",
                old.exc or rec.exc,
                old.resolver or rec.resolver,
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
        )


# --- the request ---------------------------------------------------------------------------


def run_request(run: Run, level: Level, entity: dict[Any, Any]) -> Effects:
    """Run a whole request: mutations first, then the reads of the root level."""
    where = Where(None, None)
    if not run.lenient and level.requests:
        plan = _plan_for(run, level, frozenset(entity))
        _raise_unreachable(plan, where, 0)
    head: dict[Any, Any] = {}
    for call, sub in level.calls:
        head[call.key] = yield from _run_mutation(run, call, sub, entity)
    outs = yield from run_level(run, level, [entity], where)
    result: dict[Any, Any] = outs[0]
    if head:
        errors = result.pop(ERRORS_KEY, None) or {}
        result = {**head, **result}
        recs = run.errors.get(id(entity), {})
        for call, _ in level.calls:
            rec = recs.get(call.key)
            if rec is not None:
                errors[call.key] = rec.to_data()
        if errors:
            result[ERRORS_KEY] = errors
    return result


def _run_mutation(run: Run, call: Any, sub: Level | None, entity: dict[Any, Any]) -> Effects:
    name = call.key
    mutation = run.index.mutations.get(name)
    if mutation is None:
        err: OuroborosError = MutationNotFoundError(
            f"Mutation {name} not found", details={"mutation": str(name)}
        )
        return _mutation_failed(run, entity, name, err, None)
    env = run.make_env(mutation, call.params, (name,))
    outcome = yield Mutate(mutation, env, dict(call.params))
    if type(outcome) is Failure:
        exc = outcome.exc
        if isinstance(exc, OuroborosError):
            return _mutation_failed(run, entity, name, exc, exc)
        err = ResolverError(
            f"Mutation {name} raised {type(exc).__name__}: {exc}", resolver=str(name), path=[name]
        )
        return _mutation_failed(run, entity, name, err, exc)
    if sub is None:
        return outcome
    where = Where(None, name)
    if isinstance(outcome, Mapping):
        outs = yield from run_level(run, sub, [dict(outcome)], where)
        return outs[0]
    if isinstance(outcome, (list, tuple)):
        items = [dict(x) for x in outcome if isinstance(x, Mapping)]
        outs = yield from run_level(run, sub, items, Where(where, name, [outcome], [len(items)]))
        return outs
    return outcome


def _mutation_failed(
    run: Run, entity: dict[Any, Any], name: Any, err: OuroborosError, cause: BaseException | None
) -> Any:
    if not run.lenient:
        if cause is not None and cause is not err:
            raise err from cause
        raise err
    run.record(entity, name, ErrorRecord("node-exception", err.message, err))
    return {MUTATION_ERROR_KEY: err.message}


# --- one entity level ----------------------------------------------------------------------


def _plan_for(run: Run, level: Level, keys: frozenset[Any]) -> Plan:
    memo = (run.engine.plan_token, keys)  # levels of nested inputs are shared between engines
    plan = level.plans.get(memo)
    if plan is None:
        plan = run.engine.plan_level(level, keys)
        level.plans[memo] = plan
        if run.trace is not None:
            run.trace.plans_made += 1
    elif run.trace is not None:
        run.trace.plans_reused += 1
    return plan


def _group(run: Run, level: Level, entities: list[dict[Any, Any]]) -> list[tuple[Plan, list[Any]]]:
    """Group entities by their available attributes (usually one group) and plan each group."""
    first = entities[0]
    keys0 = frozenset(first)
    if len(entities) == 1:
        return [(_plan_for(run, level, keys0), entities)]
    if all(map(eq, map(dict.keys, entities), repeat(keys0))):
        return [(_plan_for(run, level, keys0), entities)]
    same = [e for e in entities if e.keys() == keys0]
    others: dict[frozenset[Any], list[Any]] = {}
    for e in entities:
        if e.keys() != keys0:
            others.setdefault(frozenset(e), []).append(e)
    groups = [(_plan_for(run, level, keys0), same)]
    groups.extend((_plan_for(run, level, k), g) for k, g in others.items())
    return groups


def _raise_unreachable(plan: Plan, where: Where, i: int) -> None:
    reasons = plan.required_unreachable
    if not reasons:
        return
    path = where.path(i)
    at = f" at path {path_text(path)}" if path else ""
    lines = [f"  {attr_text(a)}: {why}" for a, why in reasons.items()]
    names = ", ".join(attr_text(a) for a in reasons)
    raise UnreachableError(
        f"Can't resolve {names}{at}:\n" + "\n".join(lines),
        reasons={str(a): why for a, why in reasons.items()},
        path=path,
    )


def run_level(
    run: Run,
    level: Level,
    entities: list[dict[Any, Any]],
    where: Where,
    seen: list[Any] | None = None,
    soft: bool = False,
) -> Effects:
    """Resolve ``level`` over ``entities`` and return their selected results, in order."""
    if not entities:
        return []
    if level.requests:
        for plan, group in _group(run, level, entities):
            if plan.unreachable:
                _note_unreachable(run, plan, group, entities, where, soft)
            if plan.roots:
                if run.is_async and len(plan.roots) > 1:
                    yield from _run_concurrently(run, plan, plan.roots, group, where)
                else:
                    for node in plan.roots:
                        yield from _run_attr(run, plan, node, group, where)
    subs: list[Effects] = []
    for ph in level.placeholders:
        subs.append(
            _run_placeholder(
                run, ph.level, ph.params, entities, Where(where, ph.key, same=True), soft
            )
        )
    for ident in level.idents:
        subs.append(_run_ident(run, ident.key, ident.level, entities, where, soft))
    for spec in level.joins:
        subs.append(_run_join(run, level, spec, entities, where, seen, soft))
    if run.is_async and len(subs) > 1:
        extras = yield Parallel(subs)
    else:
        extras = []
        for sub in subs:
            extras.append((yield from sub))
    return _select(run, level, entities, where, extras, soft)


def _note_unreachable(
    run: Run, plan: Plan, group: list[Any], entities: list[Any], where: Where, soft: bool
) -> None:
    if not run.lenient and not soft:
        _raise_unreachable(plan, where, _index_of(entities, group[0]))
    for attr, why in plan.unreachable.items():
        rec = ErrorRecord("attribute-unreachable", f"{attr_text(attr)} {why}")
        for e in group:
            run.record(e, attr, rec)


def _index_of(entities: list[Any], entity: Any) -> int:
    for i, e in enumerate(entities):
        if e is entity:
            return i
    return 0


def _run_placeholder(
    run: Run, level: Level, params: Mapping[Any, Any], entities: list[Any], where: Where, soft: bool
) -> Effects:
    if params:  # placeholder params become data of a new entity (Pathom's placeholder-data-params)
        clean = {k: v for k, v in params.items() if k != OPTIONAL_KEY}
        entities = [{**e, **clean} for e in entities]
    outs = yield from run_level(run, level, entities, where, soft=soft)
    return outs, True


def _run_ident(
    run: Run, key: tuple[Any, Any], level: Level, entities: list[Any], where: Where, soft: bool
) -> Effects:
    seeds = []
    for e in entities:
        stored = e.get(key)
        seed = dict(stored) if isinstance(stored, Mapping) else {}
        seed.setdefault(key[0], key[1])
        seeds.append(seed)
    outs = yield from run_level(run, level, seeds, Where(where, key), soft=soft)
    return outs, True


# --- resolving attributes ------------------------------------------------------------------


def _closure(node: AttrNode, into: set[str]) -> set[str]:
    for step in node.options:
        if step.resolver.name not in into:
            into.add(step.resolver.name)
            for dep in (*step.requires, *step.optionals):
                _closure(dep, into)
    return into


def _run_concurrently(
    run: Run, plan: Plan, nodes: tuple[AttrNode, ...], entities: list[Any], where: Where
) -> Effects:
    """Run attribute nodes concurrently, except nodes that share a resolver: those run one after
    another, so a shared dependency is called once and the second node finds its data."""
    groups: list[tuple[set[str], list[AttrNode]]] = []
    for node in nodes:
        names = _closure(node, set())
        joined = [g for g in groups if not g[0].isdisjoint(names)]
        if not joined:
            groups.append((names, [node]))
            continue
        first = joined[0]
        first[0].update(names)
        first[1].append(node)
        for other in joined[1:]:
            first[0].update(other[0])
            first[1].extend(other[1])
            groups.remove(other)
    if len(groups) == 1:
        for node in groups[0][1]:
            yield from _run_attr(run, plan, node, entities, where)
        return
    yield Parallel([_run_serially(run, plan, members, entities, where) for _, members in groups])


def _run_serially(
    run: Run, plan: Plan, nodes: list[AttrNode], entities: list[Any], where: Where
) -> Effects:
    for node in nodes:
        yield from _run_attr(run, plan, node, entities, where)


def _run_attr(run: Run, plan: Plan, node: AttrNode, entities: list[Any], where: Where) -> Effects:
    attr = node.attr
    pending = [e for e in entities if attr not in e]
    if not pending:
        return
    options = node.options
    if len(options) > 1:
        weights = run.engine.weights
        options = tuple(
            sorted(options, key=lambda s: (*s.static_rank, weights.get(s.resolver.name, 0.0)))
        )
    for step in options:
        yield from _run_step(run, plan, step, attr, pending, where)
        pending = [e for e in pending if attr not in e]
        if not pending:
            return
    names = ", ".join(s.resolver.name for s in options)
    errors = run.errors
    for e in pending:
        recs = errors.get(id(e))
        if recs is None or attr not in recs:
            run.record(
                e,
                attr,
                ErrorRecord(
                    "attribute-missing",
                    f"{attr_text(attr)} was not returned by resolver {names}",
                ),
            )


def _run_step(
    run: Run, plan: Plan, step: ResolverStep, attr: Keyword, entities: list[Any], where: Where
) -> Effects:
    deps = (*step.requires, *step.optionals)
    if deps:
        if run.is_async and len(deps) > 1:
            yield from _run_concurrently(run, plan, deps, entities, where)
        else:
            for dep in deps:
                yield from _run_attr(run, plan, dep, entities, where)
    r = step.resolver
    required = r.input.required
    if not required:
        ready = entities
    elif len(required) == 1:
        k = required[0]
        ready = [e for e in entities if k in e]
    else:
        ready = [e for e in entities if all(a in e for a in required)]
    if len(ready) != len(entities):
        _note_ancestors(run, r, attr, required, entities)
    if not ready:
        return
    nested_values: list[dict[Any, Any]] | None = None
    if step.nested:
        ready, nested_values = yield from _nested_inputs(run, step, attr, ready, where)
        if not ready:
            return
    yield from _call(run, plan, r, attr, ready, where, nested_values)


def _note_ancestors(
    run: Run, r: Resolver, attr: Keyword, required: tuple[Keyword, ...], entities: list[Any]
) -> None:
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


_shape_levels: dict[Shape, Level] = {}


def _shape_level(shape: Shape) -> Level:
    level = _shape_levels.get(shape)
    if level is None:

        def nodes(s: Shape) -> tuple[Any, ...]:
            out: list[Any] = []
            for a, sub in s.items():
                params = {OPTIONAL_KEY: True} if a in s.optional else {}
                if sub:
                    out.append(
                        Join(key=a, dispatch_key=a, query=None, children=nodes(sub), params=params)
                    )
                else:
                    out.append(Prop(key=a, dispatch_key=a, params=params))
            return tuple(out)

        level = compile_query(Root(children=nodes(shape)))
        _shape_levels[shape] = level
    return level


def _nested_inputs(
    run: Run, step: ResolverStep, attr: Keyword, ready: list[Any], where: Where
) -> Effects:
    """Resolve nested inputs (``{:user/friends [:user/score]}``) on the children first."""
    values: list[dict[Any, Any]] = [{} for _ in ready]
    ok = [True] * len(ready)
    for key, shape in step.nested:
        spec = JoinSpec(key=key, params={}, child=_shape_level(shape))
        joined, _ = yield from _run_join(run, None, spec, ready, where, None, True)
        for i, value in enumerate(joined):
            if value is MISSING:
                continue
            if value is _INCOMPLETE or (
                isinstance(value, (list, tuple)) and any(v is _INCOMPLETE for v in value)
            ):
                if key in step.resolver.input.optional:
                    continue
                ok[i] = False
                run.record(
                    ready[i],
                    attr,
                    ErrorRecord(
                        "attribute-missing",
                        f"nested input {attr_text(key)} {shape.to_edn()} of resolver "
                        f"{step.resolver.name} can't be met",
                    ),
                )
            else:
                values[i][key] = value
    if all(ok):
        return ready, values
    kept = [(e, v) for e, v, good in zip(ready, values, ok, strict=True) if good]
    return [e for e, _ in kept], [v for _, v in kept]


def _call(
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
    if nested_values is None and not optionals and len(required) == 1:
        k = required[0]
        keys = [e[k] for e in ready]
    elif nested_values is None and not optionals and not required:
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
        keys = [freeze(inp) for inp in inputs]
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
            outcomes = yield Invoke(r, env, miss_inputs, where.lpath)
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
_copy = dict.copy


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


# --- joins ---------------------------------------------------------------------------------


def _run_join(
    run: Run,
    level: Level | None,
    spec: JoinSpec,
    entities: list[Any],
    where: Where,
    seen: list[Any] | None,
    soft: bool,
) -> Effects:
    """Descend one join for every entity of the level at once.

    Returns ``(joined, clean)``: the joined value per entity (``MISSING`` where absent) and
    whether every entity had a value.
    """
    key = spec.key
    child_level: Level | None
    if spec.recursive:
        assert level is not None
        child_level = level.next_level(spec)
        if spec.depth is None and where.depth >= run.max_recursion:
            raise QueryLimitError(
                f"recursion on {attr_text(key)} went deeper than {run.max_recursion} levels",
                path=where.path(0),
            )
    else:
        child_level = spec.child
    track = spec.recursive and spec.depth is None
    map_container = spec.map_container
    vals: list[Any] = [e.get(key, MISSING) for e in entities]
    children: list[dict[Any, Any]] | None = None
    child_seen: list[Any] | None = None
    counts: list[int] = []
    simple = False
    if not track and not map_container:
        kinds = set(map(type, vals))
        try:  # dict.copy refuses anything that is not a dict, so one pass checks and copies
            if kinds == {list}:  # the common case: every value a list of maps
                children = list(map(_copy, [x for v in vals for x in v]))
                counts = list(map(len, vals))
                simple = True
            elif kinds == {dict}:
                children = list(map(_copy, vals))
                counts = [1] * len(vals)
                simple = True
        except TypeError:
            children = None
    if children is None:
        children, counts, child_seen = _gather(vals, entities, seen, track, map_container)
    child_where = Where(where, key, vals, counts)
    if spec.branches:
        outs = yield from _run_union(run, spec, children, child_where, soft)
        simple = False
    elif child_level is None:
        outs = children
    else:
        outs = yield from run_level(run, child_level, children, child_where, child_seen, soft)
    if simple:  # every value was a list of maps, or every value a map: put the outputs back
        if type(vals[0]) is dict:
            return outs, True
        ends = list(accumulate(counts))
        return list(map(outs.__getitem__, map(slice, [0, *ends[:-1]], ends))), True
    return _reassemble(vals, counts, outs, map_container)


def _gather_items(items: Any, children: list[dict[Any, Any]]) -> int:
    n = 0
    for x in items:
        if isinstance(x, Mapping):
            children.append(dict(x))
            n += 1
    return n


def _gather(
    vals: list[Any],
    entities: list[Any],
    seen: list[Any] | None,
    track: bool,
    map_container: bool,
) -> tuple[list[dict[Any, Any]], list[int], list[Any] | None]:
    """Copy the child maps out of mixed join values; track ancestry under ``...`` recursion."""
    children: list[dict[Any, Any]] = []
    counts: list[int] = []
    child_seen: list[Any] | None = [] if track else None
    for i, v in enumerate(vals):
        if v is MISSING or v is None:
            counts.append(0)
            continue
        if track and seen is not None and seen[i] is _CUT:
            vals[i] = _CUT
            counts.append(0)
            continue
        if isinstance(v, Mapping):
            if map_container:
                n = _gather_items(v.values(), children)
            else:
                children.append(dict(v))
                n = 1
        elif isinstance(v, (list, tuple, set, frozenset)):
            n = _gather_items(v, children)
        else:
            n = 0
        counts.append(n)
        if child_seen is not None:
            ancestors = seen[i] if seen is not None else (entities[i],)
            for c in children[len(children) - n :]:
                cycle = any(_contains(anc, c) for anc in ancestors)
                child_seen.append(_CUT if cycle else (*ancestors, c))
    return children, counts, child_seen


def _reassemble(
    vals: list[Any], counts: list[int], outs: list[Any], map_container: bool
) -> tuple[list[Any], bool]:
    """Put child results back in their parents' containers, keeping the container kinds."""
    joined: list[Any] = []
    clean = True
    j = 0
    for v in vals:
        if v is MISSING or v is _CUT:
            joined.append(v)
            clean = False
            continue
        if v is None:
            joined.append(None)
            continue
        if isinstance(v, Mapping):
            if map_container:
                value: Any = {}
                for k2, x in v.items():
                    if isinstance(x, Mapping):
                        if outs[j] is not _DROP:
                            value[k2] = outs[j]
                        j += 1
                    else:
                        value[k2] = x
                joined.append(value)
            else:
                out = outs[j]
                j += 1
                joined.append(None if out is _DROP else out)
            continue
        if not isinstance(v, (list, tuple, set, frozenset)):
            joined.append(v)
            continue
        items = []
        for x in v:
            if isinstance(x, Mapping):
                if outs[j] is not _DROP:
                    items.append(outs[j])
                j += 1
            else:
                items.append(x)
        if isinstance(v, list):
            joined.append(items)
        elif isinstance(v, tuple):
            joined.append(tuple(items))
        else:
            try:
                joined.append(type(v)(items) if type(v) in (set, frozenset) else set(items))
            except TypeError:  # maps are not hashable: a set of entities comes back as a list
                joined.append(items)
    return joined, clean


def _contains(entity: dict[Any, Any], seed: dict[Any, Any]) -> bool:
    """Return whether ``entity`` already holds all of ``seed`` (the data repeats an ancestor)."""
    if not seed:
        return False
    for k, v in seed.items():
        if k not in entity:
            return False
        try:
            if entity[k] != v:
                return False
        except Exception:
            return False
    return True


def _run_union(
    run: Run, spec: JoinSpec, children: list[dict[Any, Any]], where: Where, soft: bool
) -> Effects:
    """Run each union branch over the items it matches (the first union key present wins)."""
    per_branch: list[list[int]] = [[] for _ in spec.branches]
    for idx, child in enumerate(children):
        for b, (union_key, _) in enumerate(spec.branches):
            if union_key in child:
                per_branch[b].append(idx)
                break
    outs: list[Any] = [_DROP] * len(children)
    for (_, level), idxs in zip(spec.branches, per_branch, strict=True):
        if not idxs:
            continue
        branch_outs = yield from run_level(
            run, level, [children[i] for i in idxs], where, soft=soft
        )
        for i, out in zip(idxs, branch_outs, strict=True):
            outs[i] = out
    return outs


# --- selecting the result ------------------------------------------------------------------


def _select(
    run: Run,
    level: Level,
    entities: list[Any],
    where: Where,
    extras: list[tuple[list[Any], bool]],
    soft: bool,
) -> list[Any]:
    """Return each entity reduced to the shape asked for (raising or noting what is missing)."""
    values = [x[0] for x in extras]
    outs: list[Any] | None = None
    slow: list[int] = []
    if not level.wildcard and all(x[1] for x in extras):
        try:  # the fast path: one generated dict display per entity
            outs = level.selector()(entities, *values)
        except KeyError:
            outs = None
    if outs is None:
        outs, slow = _select_slowly(level, entities, values)
    if run.errors:
        errors = run.errors
        slow.extend(i for i, e in enumerate(entities) if id(e) in errors)
    if slow:
        for i in sorted(set(slow)):
            outs[i] = _check_entity(run, level, entities[i], outs[i], where, i, soft)
    return outs


def _select_slowly(
    level: Level, entities: list[Any], values: list[list[Any]]
) -> tuple[list[Any], list[int]]:
    props = level.props
    slow: list[int] = []
    if level.wildcard:
        outs = [dict(e) for e in entities]
        slow = [i for i, e in enumerate(entities) if any(a not in e for a in level.required)]
    else:
        outs = []
        for i, e in enumerate(entities):
            out = {k: e[k] for k in props if k in e}
            if len(out) != len(props):
                slow.append(i)
            outs.append(out)
    for key, column in zip(level.extra_keys, values, strict=True):
        for i, value in enumerate(column):
            if value is MISSING:
                slow.append(i)
            elif value is not _CUT:
                outs[i][key] = value
    return outs, slow


def _check_entity(
    run: Run, level: Level, e: dict[Any, Any], out: dict[Any, Any], where: Where, i: int, soft: bool
) -> Any:
    recs = run.errors.get(id(e), {})
    problems: dict[Keyword, ErrorRecord] = {}
    for attr in level.requests:
        if attr in out:
            continue
        rec = recs.get(attr)
        if attr in level.optional:
            if rec is not None and rec.cause == "node-exception":
                problems[attr] = rec
            continue
        problems[attr] = rec or ErrorRecord(
            "attribute-missing", f"{attr_text(attr)} was not resolved"
        )
    if not problems:
        return out
    if soft:
        return _INCOMPLETE
    if not run.lenient:
        attr, rec = next(iter(problems.items()))
        raise _to_exception(attr, rec, where.path(i))
    errors = out.setdefault(ERRORS_KEY, {})
    for attr, rec in problems.items():
        errors[attr] = rec.to_data()
    return out


def _to_exception(attr: Keyword, rec: ErrorRecord, path: list[Any]) -> OuroborosError:
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
