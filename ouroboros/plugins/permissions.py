"""Permissions: the capabilities (HTTP, files, store) a plugin gets, and only those it declared.

A plugin reaches the outside through its environment: ``ctx`` at setup and ``env`` in its
resolvers and mutations (a ``PluginEnv``: the engine's env plus ``http``, ``files`` and
``store``). A capability the manifest did not declare raises ``PermissionDeniedError`` naming
the plugin and the permission. The capabilities keep the built-in policies: outbound HTTP goes
through the SSRF guard and ``settings.http_allow``; files stay inside ``settings.roots``; the
store handle for ``store-read`` has only read methods.

What Python cannot enforce: plugin code runs in our process, so a plugin that imports
``socket``, ``open``s a file or imports ``duckdb`` itself is not stopped. Permissions make the
well-behaved path the only documented one and make a plugin's needs visible before it is
installed; they are not a sandbox. Run plugins you do not trust in a separate process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ouroboros.config import Settings
from ouroboros.errors import PermissionDeniedError, StoreError

__all__ = [
    "STORE_READ_METHODS",
    "STORE_WRITE_METHODS",
    "Capabilities",
    "FileAccess",
    "HttpAccess",
    "PluginEnv",
    "StoreAccess",
    "bind_operation",
]

STORE_READ_METHODS: frozenset[str] = frozenset(
    {
        "memory_get",
        "memory_keys",
        "memory_all",
        "get_entity",
        "get_entities",
        "relations_of",
        "open_nodes",
        "read_graph",
        "counts",
        "search",
        "neighbours",
        "shortest_path",
        "subgraph",
        "centrality",
        "communities",
    }
)
STORE_WRITE_METHODS: frozenset[str] = frozenset(
    {
        "memory_set",
        "memory_delete",
        "create_entities",
        "create_relations",
        "add_observations",
        "delete_entities",
        "delete_observations",
        "delete_relations",
        "rename_entity",
    }
)


class HttpAccess:
    """Outbound HTTP for a plugin with ``network``: the built-in client and its SSRF guard."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def request(
        self, method: str, url: str, *, headers: Mapping[str, Any] | None = None, body: Any = None
    ) -> Any:
        """Send one request and return the response (``status``, ``headers``, ``json()``,
        ``text()``); raises ``PermissionDeniedError`` for a blocked address."""
        from ouroboros.resolvers.http import request

        return request(method, url, settings=self._settings, headers=headers, body=body)

    def get(self, url: str, *, headers: Mapping[str, Any] | None = None) -> Any:
        """Send a GET and return the response."""
        return self.request("GET", url, headers=headers)


class FileAccess:
    """File reading for a plugin with ``files``: inside ``settings.roots`` only."""

    def __init__(self, settings: Settings) -> None:
        self._roots = settings.roots

    def _sandbox(self) -> Any:
        from ouroboros.resolvers.sandbox import Sandbox

        return Sandbox(self._roots)

    def read_text(self, path: str) -> str:
        """Return the text of file ``path``; raises ``PermissionDeniedError`` outside the roots."""
        from ouroboros.resolvers.files import content

        return content(self._sandbox(), path)

    def list_dir(self, path: str = ".") -> list[dict[str, Any]]:
        """Return the entries of directory ``path`` (inside the roots)."""
        from ouroboros.resolvers.files import list_dir

        return list_dir(self._sandbox(), path)


class StoreAccess:
    """The store's graph and memory methods a plugin declared: reads, and writes too with
    ``store-write``. Tokens, the audit log, imports and restores are never reachable."""

    def __init__(self, plugin: str, runtime: Any, methods: frozenset[str]) -> None:
        self._plugin = plugin
        self._runtime = runtime
        self._methods = methods

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)
        if method not in self._methods:
            needed = "store-write" if method in STORE_WRITE_METHODS else None
            why = f"needs the {needed!r} permission" if needed else "is not open to plugins"
            raise PermissionDeniedError(
                f"plugin {self._plugin!r}: store method {method!r} {why}",
                details={"plugin": self._plugin, "method": method},
            )
        store = getattr(self._runtime, "store", None)
        if store is None:
            raise StoreError(f"plugin {self._plugin!r}: no store is open in this process")
        return getattr(store, method)


@dataclasses.dataclass(frozen=True)
class Capabilities:
    """The capabilities of one plugin, built from its declared permissions."""

    plugin: str
    permissions: frozenset[str]
    settings: Settings
    runtime: Any = None

    def _need(self, permission: str) -> None:
        if permission not in self.permissions:
            raise PermissionDeniedError(
                f"plugin {self.plugin!r} did not declare the {permission!r} permission "
                f"in its manifest",
                details={"plugin": self.plugin, "permission": permission},
            )

    @property
    def http(self) -> HttpAccess:
        """The HTTP client (``network``)."""
        self._need("network")
        return HttpAccess(self.settings)

    @property
    def files(self) -> FileAccess:
        """File access inside the roots (``files``)."""
        self._need("files")
        return FileAccess(self.settings)

    @property
    def store(self) -> StoreAccess:
        """The store handle (``store-read``; ``store-write`` adds the write methods)."""
        if "store-read" not in self.permissions and "store-write" not in self.permissions:
            self._need("store-read")
        methods = STORE_READ_METHODS
        if "store-write" in self.permissions:
            methods = methods | STORE_WRITE_METHODS
        return StoreAccess(self.plugin, self.runtime, methods)


class PluginEnv:
    """The env a plugin's resolver receives: the engine's env (``params``, ``path``,
    ``context``, ...) plus the plugin's capabilities ``http``, ``files`` and ``store``."""

    __slots__ = ("_caps", "_env")

    def __init__(self, env: Any, caps: Capabilities) -> None:
        self._env = env
        self._caps = caps

    def __getattr__(self, name: str) -> Any:
        return getattr(self._env, name)

    @property
    def http(self) -> HttpAccess:
        """The HTTP client (``network``)."""
        return self._caps.http

    @property
    def files(self) -> FileAccess:
        """File access inside the roots (``files``)."""
        return self._caps.files

    @property
    def store(self) -> StoreAccess:
        """The store handle (``store-read`` / ``store-write``)."""
        return self._caps.store


def bind_operation(op: Any, caps: Capabilities) -> Any:
    """Return ``op`` (a Resolver or Mutation) whose function receives a ``PluginEnv``.

    A function that takes only its input cannot see an env; it reaches capabilities through
    the setup ``ctx`` it closes over, which checks the same permissions.
    """
    if not op.wants_env:
        return op
    fn = op.fn
    if op.is_async:

        async def call_async(env: Any, data: Any) -> Any:
            return await fn(PluginEnv(env, caps), data)

        return dataclasses.replace(op, fn=call_async)

    def call(env: Any, data: Any) -> Any:
        return fn(PluginEnv(env, caps), data)

    return dataclasses.replace(op, fn=call)
