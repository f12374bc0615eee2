"""Built-in plugins (Pathom's ``pbip``): mutation params through the resolvers, and sequences
that drop the items that failed.

- ``mutation_resolve_params()``: a mutation's params are treated as an entity and its declared
  ``params`` as the query run against it, so a mutation declared with
  ``params="[:user/id :user/email]"`` called as ``(user/notify {:user/id 1})`` receives the
  email resolved from the id (Pathom's ``mutation-resolve-params``). Without the plugin, params
  are passed as given. In strict mode a param that cannot be resolved fails the mutation.
- ``remove_error_items()``: a join whose params say ``:ouroboros/remove-error-items true``
  drops the items of its sequence that failed (an error in the item or anywhere under it)
  instead of failing the request (strict) or reporting them (lenient); a single map that fails
  becomes nil (Pathom's ``filtered-sequence-items-plugin`` and ``::pbip/remove-error-items``)::

      [{(:users {:ouroboros/remove-error-items true}) [:user/name]}]
"""

from __future__ import annotations

from typing import Any

from ouroboros.connect.levels import ERRORS_KEY, REMOVE_ERROR_ITEMS_KEY
from ouroboros.connect.plugins import Plugin, is_async_chain

__all__ = [
    "MUTATION_RESOLVE_PARAMS",
    "REMOVE_ERROR_ITEMS",
    "REMOVE_ERROR_ITEMS_KEY",
    "mutation_resolve_params",
    "remove_error_items",
]

MUTATION_RESOLVE_PARAMS = "ouroboros/mutation-resolve-params"
REMOVE_ERROR_ITEMS = "ouroboros/remove-error-items"


def _merged(params: Any, resolved: dict[Any, Any]) -> dict[Any, Any]:
    out = dict(params)
    for k, v in resolved.items():
        if k != ERRORS_KEY and k not in out:
            out[k] = v
    return out


def _wrap_mutate(nxt: Any) -> Any:
    if is_async_chain(nxt):

        async def handle_async(env: Any, mutation: Any, params: Any) -> Any:
            if mutation.params and env.engine is not None:
                resolved = await env.engine.process_async(
                    mutation.params.to_edn(), dict(params), context=env.context
                )
                params = _merged(params, resolved)
            return await nxt(env, mutation, params)

        return handle_async

    def handle(env: Any, mutation: Any, params: Any) -> Any:
        if mutation.params and env.engine is not None:
            resolved = env.engine.process(
                mutation.params.to_edn(), dict(params), context=env.context
            )
            params = _merged(params, resolved)
        return nxt(env, mutation, params)

    return handle


def mutation_resolve_params() -> Plugin:
    """Return the plugin that resolves a mutation's declared params from the given ones."""
    return Plugin(id=MUTATION_RESOLVE_PARAMS, wrap_mutate=_wrap_mutate)


def remove_error_items() -> Plugin:
    """Return the plugin that lets a join drop its failed items (see the module docstring)."""
    return Plugin(id=REMOVE_ERROR_ITEMS)
