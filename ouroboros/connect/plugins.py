"""Plugins: ``wrap_*`` middleware around the engine's four core functions.

A plugin is ``Plugin(id="my/plugin", wrap_resolve=..., wrap_mutate=..., wrap_plan=...,
wrap_run=..., wrap_root_run=..., wrap_choose_path=..., wrap_merge_attribute=...)``. Each ``wrap_<step>`` takes the next handler and returns a handler with the same
signature; plugins apply in registration order, the first registered being the outermost. A
handler may call ``next`` (before / after doing its own work), change the arguments or the
result, or short-circuit and not call ``next`` at all.

Handler signatures (the core function each one wraps):

- ``resolve(env, resolver, input) -> output``: ``input`` is what the resolver function receives
  (one input map, or a list of them for a batch resolver) and ``output`` what it returns.
- ``mutate(env, mutation, params) -> result``.
- ``plan(index, requests, available) -> Plan``: always synchronous (planning is pure CPU);
  ``requests`` maps attribute → params, ``available`` is a frozenset of attributes.
- ``run(env, level, data)``: every run, the root and each nested one (Pathom's
  ``wrap-run-graph!``). For the root, ``data`` is the entity (a dict) and the result a dict;
  for a nested level (a join, an ident, a placeholder, a nested input...) ``data`` is the list of
  every entity at that place of the query, run together, and the result the list of their
  results in the same order; ``env.path`` is the level's path (``()`` at the root).
- ``root_run(env, level, entity) -> dict``: the whole request only (``wrap_root_run``, Pathom's
  ``wrap-root-run-graph!``); a plugin's ``wrap_root_run`` wraps its own ``wrap_run``.
- ``choose_path(env, attr, options) -> options``: which OR options to try for ``attr``, in
  order (``ResolverStep`` records: ``.resolver`` has ``name`` and ``priority``); the ones left
  out are not tried. The core is the engine's tie rule (``runner.choose_order``). Sync only.
- ``merge_attribute(env, entity, attr, value) -> None``: put one resolved attribute into the
  entity (the core keeps data already present). Sync only; ``env.path`` names the entity.

Sync and async: ``wrap_resolve``, ``wrap_mutate`` and ``wrap_run`` are called once for the sync
chain (``process``), where ``next`` is a plain function, and once for the async chain
(``process_async``), where ``next`` is a coroutine function and the handler must be one too.
``is_async_chain(next)`` tells which; ``env.is_async`` says the same at call time. A plugin that
only supports one mode may return ``next`` unchanged for the other.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ouroboros.errors import RegistrationError

__all__ = ["HOOKS", "Plugin", "build_chain", "check_plugins", "is_async_chain"]

Wrapper = Callable[[Callable[..., Any]], Callable[..., Any]]

HOOKS = (
    "wrap_resolve",
    "wrap_mutate",
    "wrap_plan",
    "wrap_run",
    "wrap_root_run",
    "wrap_choose_path",
    "wrap_merge_attribute",
)


@dataclass(frozen=True, kw_only=True)
class Plugin:
    """A named set of ``wrap_*`` middleware (see the module docstring for the signatures)."""

    id: str
    wrap_resolve: Wrapper | None = None
    wrap_mutate: Wrapper | None = None
    wrap_plan: Wrapper | None = None
    wrap_run: Wrapper | None = None
    wrap_root_run: Wrapper | None = None
    wrap_choose_path: Wrapper | None = None
    wrap_merge_attribute: Wrapper | None = None


def is_async_chain(handler: Callable[..., Any]) -> bool:
    """Return whether ``handler`` belongs to the async chain (it is a coroutine function)."""
    return inspect.iscoroutinefunction(handler)


def check_plugins(plugins: Iterable[Any]) -> tuple[Plugin, ...]:
    """Return the plugins as a tuple; raises ``RegistrationError`` on a duplicate id or non-plugin."""
    seen: set[str] = set()
    out = []
    for plugin in plugins:
        if not isinstance(plugin, Plugin):
            raise RegistrationError(f"not a Plugin: {plugin!r}")
        if plugin.id in seen:
            raise RegistrationError(f"duplicate plugin id {plugin.id!r}")
        seen.add(plugin.id)
        out.append(plugin)
    return tuple(out)


def build_chain(
    plugins: tuple[Plugin, ...], hook: str | tuple[str, ...], core: Callable[..., Any]
) -> Callable[..., Any]:
    """Return ``core`` wrapped by every plugin's ``hook`` (or hooks, the last outermost within
    a plugin), the first plugin outermost."""
    hooks = (hook,) if isinstance(hook, str) else hook
    handler = core
    for plugin in reversed(plugins):
        for name in hooks:
            wrap = getattr(plugin, name)
            if wrap is not None:
                handler = wrap(handler)
                if not callable(handler):
                    raise RegistrationError(
                        f"plugin {plugin.id!r}: {name} did not return a handler"
                    )
    return handler
