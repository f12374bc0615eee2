"""Property test in the style of Pathom's generator: random resolver graphs where every
attribute ``:x`` resolves to the string ``"x"``, queried on random attribute sets."""

from __future__ import annotations

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ouroboros import Engine, optional
from ouroboros.connect.operations import make_resolver
from tests.profiles import examples


def good(name, attr, inputs, optionals, batch, nested):
    output = [attr] + ([{"nest/" + attr: ["a0"]}] if nested else [])

    def check(inp):
        for k, v in inp.items():  # inputs must carry their own names as values
            assert v == k or (isinstance(v, list) and all(x == {"a0": "a0"} for x in v)), (k, v)
        out = {attr: attr}
        if nested:
            out["nest/" + attr] = [{"a0": "a0"}, {"a0": "a0"}]
        return out

    fn = (lambda inputs: [check(i) for i in inputs]) if batch else check
    return make_resolver(
        fn,
        name=name,
        input=list(inputs) + [optional(o) for o in optionals],
        output=output,
        batch=batch,
    )


def bad(name, attr, inputs, kind, priority):
    def fail(inp):
        if kind == "raise":
            raise RuntimeError(f"{name} fails")
        if kind == "empty":
            return {}
        if kind == "none":
            return None
        return ["not", "a", "map"]

    return make_resolver(fail, name=name, input=list(inputs), output=[attr], priority=priority)


@st.composite
def graphs(draw):
    n = draw(st.integers(min_value=1, max_value=8))
    attrs = [f"a{i}" for i in range(n)]
    resolvers = []
    nested_attrs = []
    for i, attr in enumerate(attrs):
        earlier = attrs[:i]
        for k in range(draw(st.integers(min_value=1, max_value=2))):
            inputs = (
                draw(st.lists(st.sampled_from(earlier), unique=True, max_size=2)) if earlier else []
            )
            optionals = draw(st.lists(st.sampled_from(attrs), unique=True, max_size=1))
            optionals = [o for o in optionals if o not in inputs and o != attr]
            nested = draw(st.booleans()) and k == 0
            if nested:
                nested_attrs.append("nest/" + attr)
            resolvers.append(
                good(f"good-{attr}-{k}", attr, inputs, optionals, draw(st.booleans()), nested)
            )
        for k in range(draw(st.integers(min_value=0, max_value=2))):
            inputs = draw(st.lists(st.sampled_from([*earlier, "unknown"]), unique=True, max_size=2))
            kind = draw(st.sampled_from(["raise", "empty", "none", "non-map"]))
            resolvers.append(bad(f"bad-{attr}-{k}", attr, inputs, kind, draw(st.integers(-1, 2))))
    query_attrs = draw(st.lists(st.sampled_from(attrs), unique=True, min_size=1))
    query_nested = (
        draw(st.lists(st.sampled_from(nested_attrs), unique=True)) if nested_attrs else []
    )
    return resolvers, query_attrs, query_nested, attrs


def expected(query_attrs, query_nested, attrs):
    out = {a: a for a in query_attrs}
    for key in query_nested:
        out[key] = [dict.fromkeys(attrs, None) | {a: a for a in attrs}] * 2
    return out


def query_of(query_attrs, query_nested, attrs):
    # an optional attribute nothing provides never changes the answer
    return [*query_attrs, optional("zz/unknown"), *({key: list(attrs)} for key in query_nested)]


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_every_attribute_resolves_to_its_name(graph):
    resolvers, query_attrs, query_nested, attrs = graph
    engine = Engine(resolvers, plan_cache=None)
    query = query_of(query_attrs, query_nested, attrs)
    want = expected(query_attrs, query_nested, attrs)
    assert engine.process(query) == want
    assert anyio.run(engine.process_async, query) == want


@settings(max_examples=examples(50), deadline=None)
@given(graphs())
def test_lists_of_entities_resolve_the_same(graph):
    resolvers, query_attrs, _, _ = graph
    engine = Engine(resolvers)
    out = engine.process([{"items": query_attrs}], {"items": [{}, {}, {}]})
    assert out == {"items": [{a: a for a in query_attrs}] * 3}
