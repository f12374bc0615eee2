"""The plugin manifest: ``ouroboros-plugin.toml``, its JSON Schema, and the validated record.

A manifest names the plugin, its version, what it adds and the permissions it needs::

    name = "entity-stats"
    version = "0.1.0"
    description = "Word and observation counts for knowledge-graph entities."
    entry = "ouroboros_entity_stats:plugin"   # module:callable (an entry point gives it too)
    permissions = ["store-read"]
    resolvers = ["entity-stats/counts"]
    tools = ["entity_stats"]

    [[attributes]]
    name = "stats/word-count"
    type = "int"
    doc = "Words in the entity's observations."

The plugin's code must add exactly what the manifest declares (checked when it loads), so
``ouroboros plugins list`` can tell what a plugin adds from its manifest.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from ouroboros.errors import RegistrationError

__all__ = [
    "ATTRIBUTE_TYPES",
    "MANIFEST_FILE",
    "MANIFEST_SCHEMA",
    "PERMISSIONS",
    "Manifest",
    "ManifestError",
    "manifest_from_data",
    "read_manifest",
]

MANIFEST_FILE = "ouroboros-plugin.toml"

# What a plugin may ask for; each one is a capability in its environment (permissions.py).
PERMISSIONS: tuple[str, ...] = ("network", "files", "store-read", "store-write")

ATTRIBUTE_TYPES: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "dict": dict,
    "list": list,
    "any": Any,
}

_NAME = r"^[a-z][a-z0-9_-]{0,63}$"
_ATTR = r"^[A-Za-z_][A-Za-z0-9_.?!*+-]*/[A-Za-z_][A-Za-z0-9_.?!*+-]*$"
_ENTRY = r"^[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z_][A-Za-z0-9_.]*)?$"


def _names(pattern: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 200}
    if pattern:
        item["pattern"] = pattern
    return {"type": "array", "items": item, "uniqueItems": True, "maxItems": 1000}


MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "ouroboros-plugin.toml",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "version"],
    "properties": {
        "name": {"type": "string", "pattern": _NAME},
        "version": {"type": "string", "minLength": 1, "maxLength": 64},
        "description": {"type": "string", "maxLength": 2000},
        "entry": {"type": "string", "pattern": _ENTRY},
        "permissions": {
            "type": "array",
            "items": {"enum": list(PERMISSIONS)},
            "uniqueItems": True,
        },
        "resolvers": _names(),
        "mutations": _names(_ATTR),
        "tools": _names(r"^[a-zA-Z0-9_-]{1,64}$"),
        "engine-plugins": _names(),
        "attributes": {
            "type": "array",
            "maxItems": 1000,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "type", "doc"],
                "properties": {
                    "name": {"type": "string", "pattern": _ATTR},
                    "type": {"enum": list(ATTRIBUTE_TYPES)},
                    "doc": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "many": {"type": "boolean"},
                },
            },
        },
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(MANIFEST_SCHEMA)


class ManifestError(RegistrationError):
    """A manifest that cannot be read or does not follow the schema."""


@dataclass(frozen=True)
class Manifest:
    """A validated manifest: what a plugin is, what it adds, and what it may touch."""

    name: str
    version: str
    description: str = ""
    entry: str | None = None
    permissions: frozenset[str] = frozenset()
    resolvers: tuple[str, ...] = ()
    mutations: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    engine_plugins: tuple[str, ...] = ()
    attributes: tuple[dict[str, Any], ...] = ()
    path: str | None = None

    def describe(self) -> dict[str, Any]:
        """Return the manifest as JSON-ready data (``plugins list --json``)."""
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "permissions": sorted(self.permissions),
            "resolvers": list(self.resolvers),
            "mutations": list(self.mutations),
            "tools": list(self.tools),
            "engine_plugins": list(self.engine_plugins),
            "attributes": [a["name"] for a in self.attributes],
        }


def _where(error: jsonschema.ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return path.lstrip(".") or "(top level)"


def _explain(error: jsonschema.ValidationError) -> str:
    """One line for a schema violation, worded for the manifest's author."""
    where = _where(error)
    if error.validator == "enum" and list(error.absolute_path)[:1] == ["permissions"]:
        return f"unknown permission {error.instance!r} (known: {', '.join(PERMISSIONS)})"
    if error.validator == "additionalProperties":
        return f"{where}: {error.message}"
    return f"{where}: {error.message}"


def manifest_from_data(data: Any, *, path: str | None = None) -> Manifest:
    """Return the manifest for parsed TOML ``data``; raises ``ManifestError`` naming the cause."""
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise ManifestError(_explain(errors[0]))
    return Manifest(
        name=data["name"],
        version=data["version"],
        description=data.get("description", ""),
        entry=data.get("entry"),
        permissions=frozenset(data.get("permissions", ())),
        resolvers=tuple(data.get("resolvers", ())),
        mutations=tuple(data.get("mutations", ())),
        tools=tuple(data.get("tools", ())),
        engine_plugins=tuple(data.get("engine-plugins", ())),
        attributes=tuple(dict(a) for a in data.get("attributes", ())),
        path=path,
    )


def read_manifest(path: Path) -> Manifest:
    """Return the validated manifest in file ``path``; raises ``ManifestError`` (unreadable,
    not TOML, or against the schema)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path} is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"malformed manifest {path.name}: {exc}") from None
    return manifest_from_data(data, path=str(path))
