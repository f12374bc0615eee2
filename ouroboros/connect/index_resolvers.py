"""The index as data: built-in resolvers that answer ``:ouroboros.index/*`` through EQL.

Registered by ``Engine`` through the same public path as any resolver (``index_operations()``)::

    [{:ouroboros.index/attributes [:ouroboros.attribute/name :ouroboros.attribute/provided-by]}]

- ``:ouroboros.index/attributes``: one entity per attribute, with ``:ouroboros.attribute/name``,
  ``/type`` (declared Python type, or nil), ``/doc``, ``/many?``, ``/provided-by`` and
  ``/input-of`` (resolver names).
- ``:ouroboros.index/resolvers``: ``:ouroboros.resolver/name``, ``/input``, ``/output`` (EQL
  text), ``/batch?``, ``/priority``, ``/doc``.
- ``:ouroboros.index/mutations``: ``:ouroboros.mutation/name``, ``/params``, ``/output``, ``/doc``.
"""

from __future__ import annotations

from typing import Any

from ouroboros.connect.env import Env
from ouroboros.connect.operations import Resolver, resolver

__all__ = ["index_operations"]

ATTRIBUTE_FIELDS = [
    "ouroboros.attribute/name",
    "ouroboros.attribute/type",
    "ouroboros.attribute/doc",
    "ouroboros.attribute/many?",
    "ouroboros.attribute/provided-by",
    "ouroboros.attribute/input-of",
]
RESOLVER_FIELDS = [
    "ouroboros.resolver/name",
    "ouroboros.resolver/input",
    "ouroboros.resolver/output",
    "ouroboros.resolver/batch?",
    "ouroboros.resolver/priority",
    "ouroboros.resolver/doc",
]
MUTATION_FIELDS = [
    "ouroboros.mutation/name",
    "ouroboros.mutation/params",
    "ouroboros.mutation/output",
    "ouroboros.mutation/doc",
]


def _engine(env: Env) -> Any:
    if env.engine is None:
        raise RuntimeError("the index resolvers need an engine (call them through Engine)")
    return env.engine


@resolver(
    name="ouroboros.index/attributes",
    output=[{"ouroboros.index/attributes": ATTRIBUTE_FIELDS}],
    doc="Every attribute the engine knows, with its type and the resolvers around it.",
    docs={
        "ouroboros.index/attributes": "Every attribute the engine knows, with its description.",
        "ouroboros.attribute/name": "The attribute's name.",
        "ouroboros.attribute/type": "The attribute's declared Python type (nil when undeclared).",
        "ouroboros.attribute/doc": "The attribute's one-line description.",
        "ouroboros.attribute/many?": "Whether the attribute holds a list of values.",
        "ouroboros.attribute/provided-by": "The resolvers that give the attribute.",
        "ouroboros.attribute/input-of": "The resolvers that take the attribute as input.",
    },
)
def index_attributes(env: Env, _input: Any) -> dict[str, Any]:
    engine = _engine(env)
    index = engine.index
    names = sorted(set(index.attributes) | set(engine.attributes))
    items = []
    for attr in names:
        spec = engine.attributes.get(attr)
        items.append(
            {
                "ouroboros.attribute/name": str(attr),
                "ouroboros.attribute/type": spec.describe() if spec else None,
                "ouroboros.attribute/doc": engine.attributes.doc_of(attr),
                "ouroboros.attribute/many?": bool(spec and spec.many),
                "ouroboros.attribute/provided-by": [r.name for r in index.providers.get(attr, ())],
                "ouroboros.attribute/input-of": list(index.input_of.get(attr, ())),
            }
        )
    return {"ouroboros.index/attributes": items}


@resolver(
    name="ouroboros.index/resolvers",
    output=[{"ouroboros.index/resolvers": RESOLVER_FIELDS}],
    doc="Every registered resolver: name, input and output as EQL, flags and doc.",
    docs={
        "ouroboros.index/resolvers": "Every registered resolver.",
        "ouroboros.resolver/name": "The resolver's name.",
        "ouroboros.resolver/input": "The attributes the resolver takes, as EQL.",
        "ouroboros.resolver/output": "The attributes the resolver gives, as EQL.",
        "ouroboros.resolver/batch?": "Whether the resolver takes many inputs in one call.",
        "ouroboros.resolver/priority": "The resolver's priority (higher wins among providers).",
        "ouroboros.resolver/doc": "The resolver's description.",
    },
)
def index_resolvers(env: Env, _input: Any) -> dict[str, Any]:
    index = _engine(env).index
    return {
        "ouroboros.index/resolvers": [
            {
                "ouroboros.resolver/name": r.name,
                "ouroboros.resolver/input": r.input.to_edn(),
                "ouroboros.resolver/output": r.output.to_edn(),
                "ouroboros.resolver/batch?": r.batch,
                "ouroboros.resolver/priority": r.priority,
                "ouroboros.resolver/doc": r.doc,
            }
            for r in index.resolvers.values()
        ]
    }


@resolver(
    name="ouroboros.index/mutations",
    output=[{"ouroboros.index/mutations": MUTATION_FIELDS}],
    doc="Every registered mutation: name, params and output as EQL, and doc.",
    docs={
        "ouroboros.index/mutations": "Every registered mutation.",
        "ouroboros.mutation/name": "The mutation's name.",
        "ouroboros.mutation/params": "The params the mutation takes, as EQL.",
        "ouroboros.mutation/output": "The attributes the mutation returns, as EQL.",
        "ouroboros.mutation/doc": "The mutation's description.",
    },
)
def index_mutations(env: Env, _input: Any) -> dict[str, Any]:
    index = _engine(env).index
    return {
        "ouroboros.index/mutations": [
            {
                "ouroboros.mutation/name": str(m.name),
                "ouroboros.mutation/params": m.params.to_edn(),
                "ouroboros.mutation/output": m.output.to_edn(),
                "ouroboros.mutation/doc": m.doc,
            }
            for m in index.mutations.values()
        ]
    }


def index_operations() -> list[Resolver]:
    """Return the resolvers that serve ``:ouroboros.index/*``."""
    return [index_attributes, index_resolvers, index_mutations]
