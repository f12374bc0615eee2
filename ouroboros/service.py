"""The service: settings, store, resolvers, engine and tools assembled once for a process."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ouroboros.config import Settings

if TYPE_CHECKING:
    from ouroboros.connect.attributes import AttributeSpec
    from ouroboros.connect.interface import Engine
    from ouroboros.plugins import PluginSet
    from ouroboros.resolvers.runtime import Runtime
    from ouroboros.store import Store
    from ouroboros.tools.registry import Tool, ToolRegistry

__all__ = ["Service", "build_service", "open_service"]

log = logging.getLogger(__name__)


@dataclass
class Service:
    """One running Ouroboros: what every front door (CLI, HTTP, GraphQL, MCP) calls into."""

    settings: Settings
    store: Store
    runtime: Runtime
    engine: Engine
    tools: ToolRegistry
    plugins: PluginSet | None = None
    _semantic: tuple[str | None] | None = field(default=None, init=False, repr=False)

    @property
    def semantic_note(self) -> str | None:
        """Why semantic search is off on this store (None when an embedding model is loaded);
        said once (MCP instructions, start-up lines), never in every search result."""
        if self._semantic is None:
            from ouroboros.store.search import semantic_search_note

            self._semantic = (semantic_search_note(self.store.info()),)
        return self._semantic[0]

    def close(self) -> None:
        """Stop the lifecycle, close what plugins hold open (foreign MCP sessions) and the
        store (idempotent)."""
        try:
            self.runtime.lifecycle.shutdown()
        finally:
            try:
                if self.plugins is not None:
                    self.plugins.close()
            finally:
                self.store.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def observe_plugin() -> Any:
    """Return the engine plugin that traces and counts plans, resolvers and mutations."""
    from ouroboros import Plugin
    from ouroboros.observe.engine import engine_hooks

    return Plugin(id="ouroboros/observe", **engine_hooks())


def build_service(
    settings: Settings,
    store: Store,
    *,
    operations: Iterable[Any] = (),
    tools: Iterable[Tool] | None = None,
    attributes: Iterable[AttributeSpec] = (),
) -> Service:
    """Return a service over an open ``store``: resolvers bound, engine built, tools enabled.

    The built-in resolvers and tools, and every plugin found (entry points, and
    ``settings.plugin_dirs``) minus ``settings.disabled_plugins``, load through
    ``ouroboros.plugins.load_plugins``; a bad plugin is refused with one logged line.
    ``operations`` are extra resolvers and mutations registered beside them (an application's
    own attributes), ``tools`` replaces the plugins' tool list, and ``attributes`` adds typed
    attribute specs. Raises InvalidInputError when the tool selection in ``settings`` names
    unknown tools or a disabled plugin is unknown, RegistrationError on duplicate operation or
    tool names.
    """
    from ouroboros.connect.interface import Engine
    from ouroboros.observe import metrics
    from ouroboros.plugins import load_plugins
    from ouroboros.resolvers.openapi import OpenAPIRegistry
    from ouroboros.resolvers.runtime import Runtime
    from ouroboros.tools.policy import RateLimiter, resolve_tool_names
    from ouroboros.tools.registry import ToolRegistry

    # OpenAPI clients live in the store: a client bootstrapped by one process is seen by all.
    runtime = Runtime(settings=settings, store=store, openapi=OpenAPIRegistry(store))
    plugins = load_plugins(settings, runtime)
    runtime.lifecycle.boot()
    engine = Engine(
        [plugins.operations, list(operations)],
        attributes=[*plugins.attributes, *attributes],
        plugins=[observe_plugin(), *plugins.engine_plugins],
        max_depth=settings.max_query_depth,
        max_nodes=settings.max_query_nodes,
    )
    metrics.watch_plan_cache(engine.plan_cache)
    registry = ToolRegistry(
        plugins.tools if tools is None else tools,
        engine=engine,
        recorder=store,
        rate_limiter=RateLimiter(settings.rate_limit_per_minute),
        allow_mutations=settings.allow_mutations,
        context={"settings": settings},
    )
    registry.enable_only(
        resolve_tool_names(settings.tools, settings.tools_deny, registry.all_names)
    )
    runtime.tools = registry
    runtime.telemetry = store
    return Service(
        settings=settings,
        store=store,
        runtime=runtime,
        engine=engine,
        tools=registry,
        plugins=plugins,
    )


@contextmanager
def open_service(settings: Settings | None = None, **overrides: Any) -> Iterator[Service]:
    """Open the store named by ``settings.db_path`` and yield the assembled service; close it after.

    Raises StoreBusyError when the database cannot be reached, InvalidInputError on bad settings.
    """
    from ouroboros.store import open_store

    settings = settings or Settings.from_env(**overrides)
    store = open_store(settings.db_path)
    try:
        service = build_service(settings, store)
    except BaseException:
        store.close()
        raise
    try:
        yield service
    finally:
        service.close()
