"""Ouroboros: a query-driven knowledge-graph engine (EQL, a Pathom-style planner, DuckDB)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public names, imported lazily so that `import ouroboros` stays cheap and opens nothing.
_EXPORTS = {
    "Engine": "ouroboros.connect.interface",
    "resolver": "ouroboros.connect.operations",
    "mutation": "ouroboros.connect.operations",
    "optional": "ouroboros.connect.operations",
    "document": "ouroboros.connect.operations",
    "Resolver": "ouroboros.connect.operations",
    "Mutation": "ouroboros.connect.operations",
    "Plugin": "ouroboros.connect.plugins",
    "AttributeSpec": "ouroboros.connect.attributes",
    "PlanCache": "ouroboros.connect.planner",
    "LRUCache": "ouroboros.connect.cache",
    "final": "ouroboros.connect.values",
    "mutation_resolve_params": "ouroboros.connect.builtin_plugins",
    "remove_error_items": "ouroboros.connect.builtin_plugins",
    "Trace": "ouroboros.connect.trace",
    "alias": "ouroboros.connect.factories",
    "constant": "ouroboros.connect.factories",
    "equivalence": "ouroboros.connect.factories",
    "static_table": "ouroboros.connect.factories",
    "open_store": "ouroboros.store",
    "Store": "ouroboros.store",
    "parse": "ouroboros.eql",
    "to_edn": "ouroboros.eql",
    "Keyword": "ouroboros.eql",
    "Symbol": "ouroboros.eql",
    "Ident": "ouroboros.eql",
}

__all__ = [
    "AttributeSpec",
    "Engine",
    "Ident",
    "Keyword",
    "LRUCache",
    "Mutation",
    "PlanCache",
    "Plugin",
    "Resolver",
    "Store",
    "Symbol",
    "Trace",
    "__version__",
    "alias",
    "constant",
    "document",
    "equivalence",
    "final",
    "mutation",
    "mutation_resolve_params",
    "open_store",
    "optional",
    "parse",
    "remove_error_items",
    "resolver",
    "static_table",
    "to_edn",
]

if TYPE_CHECKING:
    from ouroboros.connect.attributes import AttributeSpec
    from ouroboros.connect.builtin_plugins import mutation_resolve_params, remove_error_items
    from ouroboros.connect.cache import LRUCache
    from ouroboros.connect.factories import alias, constant, equivalence, static_table
    from ouroboros.connect.interface import Engine
    from ouroboros.connect.operations import (
        Mutation,
        Resolver,
        document,
        mutation,
        optional,
        resolver,
    )
    from ouroboros.connect.planner import PlanCache
    from ouroboros.connect.plugins import Plugin
    from ouroboros.connect.trace import Trace
    from ouroboros.connect.values import final
    from ouroboros.eql import Ident, Keyword, Symbol, parse, to_edn
    from ouroboros.store import Store, open_store


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ouroboros' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
