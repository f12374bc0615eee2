"""Runner: executes plans breadth-wise over whole entity levels.

A level (every entity at one place in the query, e.g. all 2,000 users of a list) is planned once
per set of available attributes and run node by node over all its entities at once: a batch
resolver is called once with every entity's input (deduplicated, chunked, through the request
cache), a plain resolver once per distinct input. Joins then gather the children of every entity
of the level and run them as the next level.

The runner is written as generators that *yield effects* (``Invoke`` a resolver step, ``Mutate``,
run generators in ``Parallel``); ``drivers.py`` executes them synchronously or with anyio, so both
modes share one implementation and only the async driver pays for concurrency. A generator calls
another by yielding it (``outs = yield run_level(...)``), never with ``yield from``: the drivers
keep the generators on an explicit stack, so a chain of 10,000 resolvers (or a deep nested input)
runs without Python recursion.

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
- An ident join's params, ``{([:user/id 1] {:as-of "2024"}) [:user/name]}``, are the default
  params of every attribute asked directly under it (the attribute's own params win); they do
  not reach deeper levels.
- A placeholder ``{:>/x [...]}`` is a view of the same entity; its params become entity data for
  that view (Pathom's ``placeholder-data-params``).
- Mutations run first, in query order, with their params as given; a mutation join reads the
  returned map (or list of maps) through the resolvers.
- Strict mode raises on the first required attribute that is missing after everything ran (or
  before anything ran, for attributes no plan can reach); optional attributes only raise when a
  resolver threw. Lenient mode puts ``ouroboros/errors`` on the entity where it happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from ouroboros.connect.effects import Effects, Failure, Invoke, Mutate, Parallel, RunLevel
from ouroboros.connect.join_values import gather_children, reassemble
from ouroboros.connect.level_plans import (
    group_by_keys,
    note_unreachable,
    plan_for,
    raise_unreachable,
)
from ouroboros.connect.levels import JoinSpec, Level, shape_level
from ouroboros.connect.resolver_calls import call_resolver
from ouroboros.connect.run_errors import (
    ERRORS_KEY,
    MUTATION_ERROR_KEY,
    ErrorRecord,
    Where,
    note_missing_inputs,
)
from ouroboros.connect.run_state import Run
from ouroboros.connect.selection import select_results
from ouroboros.connect.sentinels import DROP, INCOMPLETE, MISSING
from ouroboros.connect.shapes import OPTIONAL_KEY, attr_text
from ouroboros.connect.values import FINAL_TYPES
from ouroboros.eql.ast import Keyword
from ouroboros.errors import (
    MutationNotFoundError,
    OuroborosError,
    QueryLimitError,
    RegistrationError,
    ResolverError,
)

if TYPE_CHECKING:
    from ouroboros.connect.env import Env
    from ouroboros.connect.planner import AttrNode, Plan, ResolverStep

# Failure, Invoke, Mutate, Parallel and Run are re-exported for drivers, interface and trace.
__all__ = [
    "ERRORS_KEY",
    "MUTATION_ERROR_KEY",
    "Failure",
    "Invoke",
    "Mutate",
    "Parallel",
    "Run",
    "RunLevel",
    "level_body",
    "run_request",
]


# --- the request ---------------------------------------------------------------------------


def run_request(run: Run, level: Level, entity: dict[Any, Any]) -> Effects:
    """Run a whole request: mutations first, then the reads of the root level."""
    where = Where(None, None)
    if not run.lenient and level.requests:
        plan = plan_for(run, level, frozenset(entity))
        raise_unreachable(plan, where, 0, entity)
    head: dict[Any, Any] = {}
    for call, sub in level.calls:
        head[call.key] = yield _run_mutation(run, call, sub, entity)
    outs = yield level_body(run, level, [entity], where)  # the root: wrapped as the request
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
    if sub is None or type(outcome) in FINAL_TYPES:
        return outcome
    where = Where(None, name)
    if isinstance(outcome, Mapping):
        outs = yield run_level(run, sub, [dict(outcome)], where)
        return outs[0]
    if isinstance(outcome, (list, tuple)):
        items = [dict(x) for x in outcome if isinstance(x, Mapping)]
        outs = yield run_level(run, sub, items, Where(where, name, [outcome], [len(items)]))
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


def run_level(
    run: Run,
    level: Level,
    entities: list[dict[Any, Any]],
    where: Where,
    seen: list[Any] | None = None,
    soft: bool = False,
) -> Effects:
    """Return the generator that resolves ``level`` over ``entities`` (their selected results,
    in order): through the ``wrap_run`` plugin chain when a plugin has one."""
    if run.engine.chains.level_sync is None or not entities:
        return level_body(run, level, entities, where, seen, soft)
    return _wrapped_level(run, level, entities, where, seen, soft)


def _wrapped_level(
    run: Run,
    level: Level,
    entities: list[dict[Any, Any]],
    where: Where,
    seen: list[Any] | None,
    soft: bool,
) -> Effects:
    env = run.make_env(None, {}, where.lpath)
    env._level_args = (where, seen, soft)
    outs = yield RunLevel(env, level, entities)
    if not isinstance(outs, list) or len(outs) != len(entities):
        raise RegistrationError(
            f"a wrap_run plugin returned {type(outs).__name__} for a nested level of "
            f"{len(entities)} entities; it must return their results, a list in order"
        )
    return outs


def level_body(
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
    # Placeholders that run as new entities start from the data the entities arrived with.
    sources = [dict(e) for e in entities] if level.fresh_placeholders else None
    if level.requests:
        for plan, group in group_by_keys(run, level, entities):
            if plan.unreachable:
                note_unreachable(run, plan, group, entities, where, soft)
            if plan.roots:
                if run.is_async and len(plan.roots) > 1:
                    yield _run_concurrently(run, plan, plan.roots, group, where, level)
                else:
                    for node in plan.roots:
                        yield _run_attr(run, plan, node, group, where, level)
    subs: list[Effects] = []
    for ph in level.placeholders:
        base = sources if ph.fresh and sources is not None else entities
        ph_where = Where(where, ph.key, same=True)
        subs.append(_run_placeholder(run, ph.level, ph.params, base, ph_where, soft))
    for ident in level.idents:
        subs.append(_run_ident(run, ident.key, ident.level, entities, where, soft))
    for spec in level.joins:
        subs.append(_run_join(run, level, spec, entities, where, seen, soft))
    if run.is_async and len(subs) > 1:
        extras = yield Parallel(subs)
    else:
        extras = []
        for sub in subs:
            extras.append((yield sub))
    return select_results(run, level, entities, where, extras, soft)


def _run_placeholder(
    run: Run, level: Level, params: Mapping[Any, Any], entities: list[Any], where: Where, soft: bool
) -> Effects:
    if params:  # placeholder params become data of a new entity (Pathom's placeholder-data-params)
        clean = {k: v for k, v in params.items() if k != OPTIONAL_KEY}
        entities = [{**e, **clean} for e in entities]
    outs = yield run_level(run, level, entities, where, soft=soft)
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
    outs = yield run_level(run, level, seeds, Where(where, key), soft=soft)
    return outs, True


# --- resolving attributes ------------------------------------------------------------------


CLOSURE_CAP = 2048
"""Resolver sets larger than this are not tracked for concurrency (see ``_closure``)."""


def _closure(plan: Plan, root: AttrNode) -> frozenset[str] | None:
    """Return the names of every resolver ``root`` may call, or None past ``CLOSURE_CAP``.

    Memoised on the plan (plans are cached, so this is paid once per plan) and built bottom-up
    from the dependencies' sets, iteratively: chains may be thousands long.
    """
    memo = plan.closures
    hit = memo.get(id(root), memo)
    if hit is not memo:
        return hit  # type: ignore[return-value]
    stack: list[tuple[AttrNode, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in memo:
            continue
        if not ready:
            stack.append((node, True))
            for step in node.options:
                stack.extend((d, False) for d in step.requires if id(d) not in memo)
                stack.extend((d, False) for d in step.optionals if id(d) not in memo)
            continue
        names: set[str] | None = set()
        for step in node.options:
            assert names is not None
            names.add(step.resolver.name)
            for dep in (*step.requires, *step.optionals):
                sub = memo[id(dep)]
                if sub is None or len(names) + len(sub) > CLOSURE_CAP:
                    names = None
                    break
                names.update(sub)
            if names is None:
                break
        memo[id(node)] = None if names is None else frozenset(names)
    return memo[id(root)]


def _run_concurrently(
    run: Run,
    plan: Plan,
    nodes: tuple[AttrNode, ...],
    entities: list[Any],
    where: Where,
    level: Level | None,
) -> Effects:
    """Run attribute nodes concurrently, except nodes that share a resolver: those run one after
    another, so a shared dependency is called once and the second node finds its data.

    A node whose resolvers are too many to track (``CLOSURE_CAP``) may share one with any
    other, so then every node runs one after another.
    """
    groups: list[tuple[set[str], list[AttrNode]]] = []
    for node in nodes:
        closure = _closure(plan, node)
        if closure is None:
            groups = [(set(), list(nodes))]
            break
        names = set(closure)
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
            yield _run_attr(run, plan, node, entities, where, level)
        return
    yield Parallel(
        [_run_serially(run, plan, members, entities, where, level) for _, members in groups]
    )


def _run_serially(
    run: Run,
    plan: Plan,
    nodes: list[AttrNode],
    entities: list[Any],
    where: Where,
    level: Level | None,
) -> Effects:
    for node in nodes:
        yield _run_attr(run, plan, node, entities, where, level)


def _run_attr(
    run: Run, plan: Plan, node: AttrNode, entities: list[Any], where: Where, level: Level | None
) -> Effects:
    attr = node.attr
    pending = [e for e in entities if attr not in e]
    if not pending:
        return
    options = node.options
    if len(options) > 1:
        chooser = run.engine.chains.choose_path
        if chooser is None:
            options = choose_order(options, run.engine.weights)
        else:
            options = _chosen(run, chooser, node, where)
    for step in options:
        yield _run_step(run, plan, step, attr, pending, where, level)
        pending = [e for e in pending if attr not in e]
        if not pending:
            return
        _note_not_returned(run, step.resolver.name, attr, pending)
    if len(node.options) > 1:  # Pathom: "All paths from an OR node failed", every reason
        errors = run.errors
        for e in pending:
            rec = errors[id(e)][attr]
            errors[id(e)][attr] = ErrorRecord(
                rec.cause,
                f"All paths from an OR node failed. Expected {attr_text(attr)}: {rec.message}",
                rec.exc,
                rec.resolver,
                rec.origin,
            )


def _note_not_returned(run: Run, name: str, attr: Keyword, pending: list[Any]) -> None:
    """Record that resolver ``name`` ran (or could not) without giving ``attr`` to ``pending``,
    unless the step already said why (its records name the resolver)."""
    errors = run.errors
    for e in pending:
        recs = errors.get(id(e))
        rec = recs.get(attr) if recs is not None else None
        if rec is not None and (rec.resolver == name or f"resolver {name}" in rec.message):
            continue
        run.record(
            e,
            attr,
            ErrorRecord(
                "attribute-missing", f"{attr_text(attr)} was not returned by resolver {name}"
            ),
        )


def core_choose_path(env: Env, attr: Keyword, options: tuple[ResolverStep, ...]) -> Any:
    """The core OR chooser: the options in ``choose_order`` (what ``wrap_choose_path`` wraps)."""
    assert env.engine is not None
    return choose_order(options, env.engine.weights)


def _chosen(run: Run, chooser: Any, node: AttrNode, where: Where) -> tuple[ResolverStep, ...]:
    """Ask the ``wrap_choose_path`` chain which OR options to try, in order (a subset)."""
    env = run.make_env(None, {}, where.lpath)
    picked = tuple(chooser(env, node.attr, node.options))
    for step in picked:
        if not any(step is o for o in node.options):
            raise RegistrationError(
                f"a wrap_choose_path plugin returned {step!r} for {attr_text(node.attr)}; "
                "it must return some of the options it was given (ResolverStep records)"
            )
    return picked


UNKNOWN_WEIGHT = 1e-3
"""The weight (seconds per call) of a resolver never timed yet, so untried paths get tried."""


def choose_order(
    options: tuple[ResolverStep, ...], weights: Mapping[str, float]
) -> tuple[ResolverStep, ...]:
    """Return the OR options in the order to try them (the tie rule of this engine).

    Highest ``priority`` first; then the lightest path, the sum of the learned weights (a moving
    average of seconds per call, doubled when a call fails) of the resolver and of the cheapest
    way to each input it still needs, an untimed resolver counting ``UNKNOWN_WEIGHT``; then
    fewer inputs still to get; then registration order. As in Pathom's weight sort, a lighter
    path beats one with fewer missing inputs.
    """
    memo: dict[int, float] = {}

    def weight(step: ResolverStep) -> float:
        total = weights.get(step.resolver.name, UNKNOWN_WEIGHT)
        for dep in step.requires:
            total += node_weight(dep)
        return total

    def node_weight(root: AttrNode) -> float:
        # Iterative post-order over the dependency DAG (chains may be thousands long).
        stack: list[tuple[AttrNode, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in memo:
                continue
            if ready:
                memo[id(node)] = min(weight(s) for s in node.options)
                continue
            stack.append((node, True))
            for s in node.options:
                stack.extend((d, False) for d in s.requires if id(d) not in memo)
        return memo[id(root)]

    ranked = sorted(
        enumerate(options),
        key=lambda pair: (
            -pair[1].resolver.priority,
            weight(pair[1]),
            len(pair[1].requires),
            pair[0],
        ),
    )
    return tuple(step for _, step in ranked)


def _run_step(
    run: Run,
    plan: Plan,
    step: ResolverStep,
    attr: Keyword,
    entities: list[Any],
    where: Where,
    level: Level | None,
) -> Effects:
    deps = (*step.requires, *step.optionals)
    if deps:
        if run.is_async and len(deps) > 1:
            yield _run_concurrently(run, plan, deps, entities, where, level)
        else:
            for dep in deps:
                yield _run_attr(run, plan, dep, entities, where, level)
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
        note_missing_inputs(run, r, attr, required, entities)
    if not ready:
        return
    nested_values: list[dict[Any, Any]] | None = None
    if step.nested:
        ready, nested_values = yield _nested_inputs(run, step, attr, ready, where)
        if not ready:
            return
    yield call_resolver(run, plan, r, attr, ready, where, nested_values, level)


def _nested_inputs(
    run: Run, step: ResolverStep, attr: Keyword, ready: list[Any], where: Where
) -> Effects:
    """Resolve nested inputs (``{:user/friends [:user/score]}``) on the children first."""
    values: list[dict[Any, Any]] = [{} for _ in ready]
    ok = [True] * len(ready)
    for key, shape in step.nested:
        # {:children ...} directly in the input: the children get the whole input shape again
        sub_shape = step.resolver.input if shape.recursive else shape
        spec = JoinSpec(key=key, params={}, child=shape_level(sub_shape))
        joined, _ = yield _run_join(run, None, spec, ready, where, None, True)
        for i, value in enumerate(joined):
            if value is MISSING:
                continue
            if value is INCOMPLETE or (
                isinstance(value, (list, tuple)) and any(v is INCOMPLETE for v in value)
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


# --- joins ---------------------------------------------------------------------------------

_copy = dict.copy


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
    finals: dict[int, Any] | None = None
    if children is None:
        if any(type(v) in FINAL_TYPES for v in vals):  # final(x): returned as it is
            finals = {i: v for i, v in enumerate(vals) if type(v) in FINAL_TYPES}
            vals = [None if i in finals else v for i, v in enumerate(vals)]
        children, counts, child_seen = gather_children(vals, entities, seen, track, map_container)
    child_where = Where(where, key, vals, counts, map_container=map_container)
    # Built-in plugin remove-error-items: items that fail are dropped (a failing map is nil).
    dropping = spec.remove_errors and run.engine.remove_error_items
    child_soft = soft or dropping
    if spec.branches:
        outs = yield _run_union(run, spec, children, child_where, child_soft)
        simple = False
    elif child_level is None:
        outs = children
    else:
        outs = yield run_level(run, child_level, children, child_where, child_seen, child_soft)
    if dropping:
        outs = [DROP if o is INCOMPLETE else o for o in outs]
        simple = False
    if simple:  # every value was a list of maps, or every value a map: put the outputs back
        if type(vals[0]) is dict:
            return outs, True
        ends = list(accumulate(counts))
        return list(map(outs.__getitem__, map(slice, [0, *ends[:-1]], ends))), True
    joined, clean = reassemble(vals, counts, outs, map_container)
    if finals:
        for i, v in finals.items():
            joined[i] = v
    return joined, clean


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
    outs: list[Any] = [DROP] * len(children)
    for (_, level), idxs in zip(spec.branches, per_branch, strict=True):
        if not idxs:
            continue
        branch_outs = yield run_level(run, level, [children[i] for i in idxs], where, soft=soft)
        for i, out in zip(idxs, branch_outs, strict=True):
            outs[i] = out
    return outs
