"""Plugins: packages and directories that add resolvers, mutations, tools and engine plugins.

A plugin has a manifest (``ouroboros-plugin.toml``: name, version, what it adds, the
permissions it needs) and an entry (``module:callable``) called with a ``PluginContext``; it
returns its resolvers, mutations, tools and engine plugins (the ``wrap_*`` middleware of
``ouroboros.connect``, which we call *engine plugins* so the two are not confused). Plugins
come from the entry point group ``ouroboros.plugins`` and from directories (``--plugins DIR``,
``OUROBOROS_PLUGINS``). The built-in resolver groups load through the same path.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Imported lazily: the CLI imports ``ouroboros.plugins.cli`` at start, and jsonschema is slow.
_EXPORTS = {
    "ENTRY_POINT_GROUP": "ouroboros.plugins.discovery",
    "Candidate": "ouroboros.plugins.discovery",
    "discover": "ouroboros.plugins.discovery",
    "LoadedPlugin": "ouroboros.plugins.loader",
    "PluginContext": "ouroboros.plugins.loader",
    "PluginSet": "ouroboros.plugins.loader",
    "RefusedPlugin": "ouroboros.plugins.loader",
    "load_plugins": "ouroboros.plugins.loader",
    "MANIFEST_FILE": "ouroboros.plugins.manifest",
    "PERMISSIONS": "ouroboros.plugins.manifest",
    "Manifest": "ouroboros.plugins.manifest",
    "ManifestError": "ouroboros.plugins.manifest",
    "PluginEnv": "ouroboros.plugins.permissions",
}

__all__ = [
    "ENTRY_POINT_GROUP",
    "MANIFEST_FILE",
    "PERMISSIONS",
    "Candidate",
    "LoadedPlugin",
    "Manifest",
    "ManifestError",
    "PluginContext",
    "PluginEnv",
    "PluginSet",
    "RefusedPlugin",
    "discover",
    "load_plugins",
]

if TYPE_CHECKING:
    from ouroboros.plugins.discovery import ENTRY_POINT_GROUP, Candidate, discover
    from ouroboros.plugins.loader import (
        LoadedPlugin,
        PluginContext,
        PluginSet,
        RefusedPlugin,
        load_plugins,
    )
    from ouroboros.plugins.manifest import MANIFEST_FILE, PERMISSIONS, Manifest, ManifestError
    from ouroboros.plugins.permissions import PluginEnv


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ouroboros.plugins' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
