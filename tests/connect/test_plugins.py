"""Plugins: wrap_* middleware, order, short-circuit, sync and async chains, duplicate ids."""

from __future__ import annotations

import anyio
import pytest

from ouroboros import Engine, Plugin, mutation, resolver
from ouroboros.connect.plugins import HOOKS, is_async_chain
from ouroboros.errors import RegistrationError


@resolver(output=["a"])
def a(_):
    return {"a": 1}


@mutation(name="m/do")
def do(params):
    return {"done": params.get("x")}


def logging_plugin(pid, log):
    def wrap_resolve(nxt):
        if is_async_chain(nxt):

            async def handler(env, r, payload):
                log.append((pid, "before", r.name))
                out = await nxt(env, r, payload)
                log.append((pid, "after", r.name))
                return out

            return handler

        def handler_sync(env, r, payload):
            log.append((pid, "before", r.name))
            out = nxt(env, r, payload)
            log.append((pid, "after", r.name))
            return out

        return handler_sync

    return Plugin(id=pid, wrap_resolve=wrap_resolve)


def test_first_registered_is_outermost():
    log = []
    engine = Engine([a], plugins=[logging_plugin("outer", log), logging_plugin("inner", log)])
    assert engine.process("[:a]") == {"a": 1}
    name = a.name
    assert log == [
        ("outer", "before", name),
        ("inner", "before", name),
        ("inner", "after", name),
        ("outer", "after", name),
    ]


def test_same_plugin_works_in_async_mode():
    log = []
    engine = Engine([a], plugins=[logging_plugin("p", log)])
    assert anyio.run(engine.process_async, "[:a]") == {"a": 1}
    assert [entry[1] for entry in log] == ["before", "after"]


def test_wrap_resolve_can_short_circuit_and_change_output():
    def wrap_resolve(nxt):
        def handler(env, r, payload):
            return {"a": 42}

        return handler

    engine = Engine([a], plugins=[Plugin(id="fake", wrap_resolve=wrap_resolve)])
    assert engine.process("[:a]") == {"a": 42}


def test_wrap_mutate_and_wrap_run():
    seen = []

    def wrap_mutate(nxt):
        def handler(env, m, params):
            seen.append(("mutate", str(m.name), dict(params)))
            return nxt(env, m, {**params, "x": "patched"})

        return handler

    def wrap_run(nxt):
        def handler(env, level, entity):
            result = nxt(env, level, entity)
            seen.append(("run", sorted(map(str, result))))
            return result

        return handler

    engine = Engine([a, do], plugins=[Plugin(id="p", wrap_mutate=wrap_mutate, wrap_run=wrap_run)])
    out = engine.process("[(m/do {:x 1}) :a]")
    assert out == {"m/do": {"done": "patched"}, "a": 1}
    assert seen == [("mutate", "m/do", {"x": 1}), ("run", ["a", "m/do"])]


def test_wrap_plan_sees_every_level_planned():
    planned = []

    def wrap_plan(nxt):
        def handler(index, requests, available):
            planned.append(sorted(map(str, requests)))
            return nxt(index, requests, available)

        return handler

    engine = Engine([a], plugins=[Plugin(id="plan-spy", wrap_plan=wrap_plan)], plan_cache=None)
    engine.process("[:a {:xs [:a]}]", {"xs": [{}, {}]})
    assert planned == [["a", "xs"], ["a"]]


def test_duplicate_plugin_ids_are_refused():
    with pytest.raises(RegistrationError, match="duplicate plugin id 'x'"):
        Engine([], plugins=[Plugin(id="x"), Plugin(id="x")])
    with pytest.raises(RegistrationError, match="not a Plugin"):
        Engine([], plugins=[object()])


def test_every_hook_is_documented():
    import ouroboros.connect.plugins as plugins

    for hook in HOOKS:
        assert hook in plugins.__doc__ or hook.removeprefix("wrap_") in plugins.__doc__
