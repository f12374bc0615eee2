"""The loader: validate, import, check and bind every discovered plugin, refusing bad ones.

Order: built-ins (one per resolver domain), then entry points, then plugin directories. Each
candidate goes through the same steps; the first that fails refuses that plugin alone, with
one line naming it and the cause (``plugin 'x' (origin) refused: cause``), and loading goes
on. Steps: read and validate the manifest; refuse a name already taken; skip it when disabled;
import its entry; call it with a ``PluginContext``; check that it adds exactly what the
manifest declares and that no resolver, mutation or tool name is taken; bind its operations
to its capabilities.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ouroboros import __version__
from ouroboros.config import Settings
from ouroboros.errors import InvalidInputError, RegistrationError
from ouroboros.plugins.discovery import Candidate, discover
from ouroboros.plugins.manifest import (
    ATTRIBUTE_TYPES,
    PERMISSIONS,
    Manifest,
    manifest_from_data,
    read_manifest,
)
from ouroboros.plugins.permissions import Capabilities, bind_operation

__all__ = ["LoadedPlugin", "PluginContext", "PluginSet", "RefusedPlugin", "load_plugins"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginContext:
    """What a plugin's setup function receives: its name, the settings and its capabilities.

    ``ctx.http``, ``ctx.files`` and ``ctx.store`` raise ``PermissionDeniedError`` unless the
    manifest declares ``network``, ``files`` or ``store-read`` / ``store-write``. ``runtime``
    is set for built-in plugins only.
    """

    name: str
    version: str
    settings: Settings
    capabilities: Capabilities
    runtime: Any = None

    @property
    def http(self) -> Any:
        """The HTTP client (``network``)."""
        return self.capabilities.http

    @property
    def files(self) -> Any:
        """File access inside the roots (``files``)."""
        return self.capabilities.files

    @property
    def store(self) -> Any:
        """The store handle (``store-read`` / ``store-write``)."""
        return self.capabilities.store


@dataclass
class LoadedPlugin:
    """A plugin that loaded: its manifest, origin and what it adds."""

    manifest: Manifest
    origin: str
    builtin: bool
    operations: list[Any] = field(default_factory=list)
    tools: list[Any] = field(default_factory=list)
    engine_plugins: list[Any] = field(default_factory=list)
    attributes: list[Any] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The plugin's name."""
        return self.manifest.name

    def describe(self) -> dict[str, Any]:
        """Return the plugin as JSON-ready data."""
        return {
            **self.manifest.describe(),
            "origin": self.origin,
            "builtin": self.builtin,
            "status": "loaded",
        }


@dataclass(frozen=True)
class RefusedPlugin:
    """A plugin that was refused, and why; or one the user disabled (``status="disabled"``)."""

    name: str
    origin: str
    cause: str
    version: str = ""
    status: str = "refused"
    builtin: bool = False

    @property
    def line(self) -> str:
        """One line naming the plugin and the cause."""
        if self.status == "disabled":
            return f"plugin {self.name!r} ({self.origin}) disabled"
        return f"plugin {self.name!r} ({self.origin}) refused: {self.cause}"

    def describe(self) -> dict[str, Any]:
        """Return the refusal as JSON-ready data (the same keys as a loaded plugin's)."""
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "origin": self.origin,
            "builtin": self.builtin,
            "status": self.status,
            "resolvers": [],
            "mutations": [],
            "tools": [],
        }
        if self.status == "refused":
            out["cause"] = self.cause
        return out


@dataclass
class PluginSet:
    """Every plugin of a process: loaded ones in order, refused and disabled ones."""

    loaded: list[LoadedPlugin] = field(default_factory=list)
    refused: list[RefusedPlugin] = field(default_factory=list)
    disabled: list[RefusedPlugin] = field(default_factory=list)
    tool_order: dict[str, int] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Close what the plugins hold open (a foreign MCP source's session), newest first."""
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception:  # closing one must not keep the others open
                log.exception("closing a plugin's resources failed")

    @property
    def operations(self) -> list[Any]:
        """Every loaded plugin's resolvers and mutations, in load order."""
        return [op for p in self.loaded for op in p.operations]

    @property
    def tools(self) -> list[Any]:
        """Every loaded plugin's tools: built-ins in their usual order, then the others."""
        builtin = [t for p in self.loaded if p.builtin for t in p.tools]
        builtin.sort(key=lambda t: self.tool_order.get(t.name, len(self.tool_order)))
        return builtin + [t for p in self.loaded if not p.builtin for t in p.tools]

    @property
    def engine_plugins(self) -> list[Any]:
        """Every loaded plugin's engine plugins (``wrap_*`` middleware), in load order."""
        return [e for p in self.loaded for e in p.engine_plugins]

    @property
    def attributes(self) -> list[Any]:
        """Every loaded plugin's attribute specs."""
        return [a for p in self.loaded for a in p.attributes]

    def get(self, name: str) -> LoadedPlugin | None:
        """Return the loaded plugin called ``name``, or None."""
        return next((p for p in self.loaded if p.name == name), None)

    def describe(self) -> list[dict[str, Any]]:
        """Return every plugin (loaded, disabled, refused) as JSON-ready data."""
        return [
            *(p.describe() for p in self.loaded),
            *(d.describe() for d in self.disabled),
            *(r.describe() for r in self.refused),
        ]


class _Refused(Exception):
    def __init__(self, cause: str, version: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.version = version


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _kind_of(item: Any) -> str:
    from ouroboros.connect.operations import Mutation, Resolver
    from ouroboros.connect.plugins import Plugin
    from ouroboros.tools.registry import Tool

    if isinstance(item, Resolver):
        return "resolvers"
    if isinstance(item, Mutation):
        return "mutations"
    if isinstance(item, Tool):
        return "tools"
    if isinstance(item, Plugin):
        return "engine-plugins"
    raise _Refused(
        f"its setup returned {type(item).__name__} {item!r:.80}; expected resolvers, "
        "mutations, tools (ouroboros.tools.registry.Tool) or engine plugins (ouroboros.Plugin)"
    )


def _name_of(item: Any) -> str:
    return str(getattr(item, "id", None) or item.name)


def _contributions(result: Any) -> dict[str, list[Any]]:
    from ouroboros.connect.operations import flatten_operations

    if result is None:
        result = []
    if not isinstance(result, (list, tuple)):
        raise _Refused(f"its setup returned {type(result).__name__}; expected a list")
    out: dict[str, list[Any]] = {
        "resolvers": [],
        "mutations": [],
        "tools": [],
        "engine-plugins": [],
    }
    for item in result:
        if isinstance(item, (list, tuple)):
            try:
                items: list[Any] = flatten_operations(item)
            except RegistrationError as exc:
                raise _Refused(_one_line(exc)) from None
        else:
            items = [item]
        for one in items:
            out[_kind_of(one)].append(one)
    return out


def _attribute_specs(manifest: Manifest) -> list[Any]:
    from ouroboros.connect.attributes import AttributeSpec

    return [
        AttributeSpec(
            a["name"], ATTRIBUTE_TYPES[a["type"]], doc=a["doc"], many=bool(a.get("many", False))
        )
        for a in manifest.attributes
    ]


def _describe_attributes(ops: list[Any], manifest: Manifest) -> list[Any]:
    """Return an outside plugin's operations with a description of every attribute they give or
    take: the manifest's, else the operation's own ``docs``, else a line naming the plugin."""
    from dataclasses import replace

    from ouroboros.connect.operations import attributes_of

    declared = {a["name"] for a in manifest.attributes}
    out = []
    for op in ops:
        gives = attributes_of(op, inputs=False)
        what = f"{op.kind} {op.name}"
        generated = {
            str(attr): (
                f"From the plugin {manifest.name} ({what}): {op.summary}"
                if attr in gives and op.summary
                else f"From the plugin {manifest.name} ({what})."
                if attr in gives
                else f"An input of the plugin {manifest.name}'s {what}."
            )
            for attr in attributes_of(op)
            if str(attr) not in declared and attr not in op.docs
        }
        out.append(replace(op, docs={**generated, **op.docs}) if generated else op)
    return out


def _check_declared(manifest: Manifest, adds: dict[str, list[Any]]) -> None:
    declared = {
        "resolvers": manifest.resolvers,
        "mutations": manifest.mutations,
        "tools": manifest.tools,
        "engine-plugins": manifest.engine_plugins,
    }
    for kind, items in adds.items():
        names = [_name_of(i) for i in items]
        extra = [n for n in names if n not in declared[kind]]
        if extra:
            raise _Refused(
                f"it adds {kind[:-1]} {extra[0]!r}, which its manifest does not declare "
                f"(list it under {kind!r})"
            )
        missing = [n for n in declared[kind] if n not in names]
        if missing:
            raise _Refused(
                f"its manifest declares {kind[:-1]} {missing[0]!r}, which it does not add"
            )


def _call_setup(entry_obj: Any, ctx: PluginContext) -> Any:
    setup = entry_obj
    if not callable(setup):
        setup = getattr(entry_obj, "plugin", None)
    if not callable(setup):
        raise _Refused("its entry is neither callable nor a module with a plugin(ctx) function")
    return setup(ctx)


class _Loader:
    def __init__(
        self, settings: Settings, runtime: Any, disabled: Iterable[str], log_refusals: bool
    ) -> None:
        self.log_refusals = log_refusals
        self.settings = settings
        self.runtime = runtime
        self.disabled = set(disabled)
        self.seen_names: set[str] = set()
        self.result = PluginSet()
        self.taken: dict[str, dict[str, str]] = {
            "resolvers": {},
            "mutations": {},
            "tools": {},
            "engine-plugins": {},
        }
        self.names_known: set[str] = set()
        self.builtin_names: set[str] = set()

    def _take(self, name: str, adds: dict[str, list[Any]]) -> None:
        for kind, items in adds.items():
            for item in items:
                owner = self.taken[kind].get(_name_of(item))
                if owner is not None:
                    raise _Refused(
                        f"{kind[:-1]} {_name_of(item)!r} is already added by plugin {owner!r}"
                    )
        for kind, items in adds.items():
            for item in items:
                self.taken[kind][_name_of(item)] = name

    def _accept(self, manifest: Manifest, origin: str, builtin: bool, adds: Any) -> None:
        caps = Capabilities(
            plugin=manifest.name,
            permissions=manifest.permissions,
            settings=self.settings,
            runtime=self.runtime,
        )
        ops = [*adds["resolvers"], *adds["mutations"]]
        if not builtin:
            ops = _describe_attributes([bind_operation(op, caps) for op in ops], manifest)
        self.result.loaded.append(
            LoadedPlugin(
                manifest=manifest,
                origin=origin,
                builtin=builtin,
                operations=ops,
                tools=list(adds["tools"]),
                engine_plugins=list(adds["engine-plugins"]),
                attributes=_attribute_specs(manifest),
            )
        )

    def _claim_name(self, name: str) -> None:
        if name in self.seen_names:
            owner = "a built-in plugin" if name in self.builtin_names else "another plugin"
            raise _Refused(f"the name {name!r} is already taken by {owner}")
        self.seen_names.add(name)

    def builtin(self, name: str, setup: Callable[[Any], Any]) -> None:
        self.builtin_names.add(name)
        self.names_known.add(name)
        self.seen_names.add(name)
        if name in self.disabled:
            self.result.disabled.append(
                RefusedPlugin(name, "built-in", "", __version__, "disabled", builtin=True)
            )
            return
        ctx = PluginContext(
            name=name,
            version=__version__,
            settings=self.settings,
            capabilities=Capabilities(name, frozenset(PERMISSIONS), self.settings, self.runtime),
            runtime=self.runtime,
        )
        adds = _contributions(setup(ctx))
        manifest = manifest_from_data(
            {
                "name": name,
                "version": __version__,
                "description": (setup.__doc__ or "").strip(),
                "permissions": list(PERMISSIONS),
                "resolvers": [_name_of(o) for o in adds["resolvers"]],
                "mutations": [_name_of(o) for o in adds["mutations"]],
                "tools": [_name_of(o) for o in adds["tools"]],
                "engine-plugins": [_name_of(o) for o in adds["engine-plugins"]],
            }
        )
        try:
            self._take(name, adds)
        except _Refused as exc:  # a built-in clashing with a built-in is our bug
            raise RegistrationError(f"built-in plugin {name!r}: {exc.cause}") from None
        self._accept(manifest, "built-in", True, adds)

    def outside(self, candidate: Candidate) -> None:
        self.names_known.add(candidate.name)
        if candidate.name in self.disabled:
            self.result.disabled.append(
                RefusedPlugin(candidate.name, candidate.origin, "", status="disabled")
            )
            return
        name, version = candidate.name, ""
        try:
            if candidate.manifest_path is None or not candidate.manifest_path.is_file():
                raise _Refused(
                    f"no ouroboros-plugin.toml in its package ({candidate.manifest_path})"
                )
            try:
                manifest = read_manifest(candidate.manifest_path)
            except RegistrationError as exc:
                raise _Refused(exc.message) from None
            name, version = manifest.name, manifest.version
            self.names_known.add(name)
            if name in self.disabled:
                self.result.disabled.append(
                    RefusedPlugin(name, candidate.origin, "", version, "disabled")
                )
                return
            self._claim_name(name)
            entry = candidate.entry or manifest.entry or f"{candidate.name}:plugin"
            try:
                entry_obj = candidate.import_entry(entry)
            except Exception as exc:
                raise _Refused(
                    f"importing {entry} failed: {type(exc).__name__}: {_one_line(exc)}"
                ) from None
            ctx = PluginContext(
                name=name,
                version=version,
                settings=self.settings,
                capabilities=Capabilities(name, manifest.permissions, self.settings, self.runtime),
            )
            try:
                result = _call_setup(entry_obj, ctx)
            except _Refused:
                raise
            except Exception as exc:
                raise _Refused(
                    f"its setup failed: {type(exc).__name__}: {_one_line(exc)}"
                ) from None
            adds = _contributions(result)
            _check_declared(manifest, adds)
            self._take(name, adds)
            self._accept(manifest, candidate.origin, False, adds)
        except _Refused as exc:
            refusal = RefusedPlugin(name, candidate.origin, exc.cause, version)
            if self.log_refusals:
                log.warning("%s", refusal.line)
            self.result.refused.append(refusal)


def _load_foreign(loader: _Loader, source: dict[str, Any]) -> None:
    """Load one ``[[foreign]]`` source as the plugin ``foreign-<name>`` (refused if unreachable)."""
    from ouroboros.plugins.foreign import foreign_operations, source_origin

    name = f"foreign-{source.get('name', '?')}"
    origin = source_origin(source)
    loader.names_known.add(name)
    if name in loader.disabled:
        loader.result.disabled.append(RefusedPlugin(name, origin, "", status="disabled"))
        return
    closers: list[Callable[[], None]] = []
    try:
        loader._claim_name(name)
        local = {str(a) for op in loader.result.operations for a in getattr(op, "provides", ())}
        try:
            ops = foreign_operations(source, local, closers)
        except Exception as exc:
            raise _Refused(f"{type(exc).__name__}: {_one_line(exc)}") from None
        adds = _contributions(ops)
        manifest = manifest_from_data(
            {
                "name": name,
                "version": "foreign",
                "description": f"The {source['kind']} source at {origin.split(' ', 2)[2]}.",
                "permissions": ["network"],
                "resolvers": [_name_of(o) for o in adds["resolvers"]],
                "mutations": [_name_of(o) for o in adds["mutations"]],
            }
        )
        loader._take(name, adds)
        loader._accept(manifest, origin, False, adds)
        loader.result.closers.extend(closers)
    except _Refused as exc:
        for closer in closers:
            closer()
        refusal = RefusedPlugin(name, origin, exc.cause)
        if loader.log_refusals:
            log.warning("%s", refusal.line)
        loader.result.refused.append(refusal)


def load_plugins(
    settings: Settings,
    runtime: Any = None,
    *,
    candidates: Iterable[Candidate] | None = None,
    builtins: bool = True,
    log_refusals: bool = True,
    foreign: bool = True,
) -> PluginSet:
    """Return the plugins of this process: built-ins, then ``candidates`` (default: what
    ``discover`` finds from entry points and ``settings.plugin_dirs``), minus
    ``settings.disabled_plugins``.

    A bad plugin is refused (logged as one warning line, listed in ``.refused``) and the rest
    load (``log_refusals=False`` leaves the logging to the caller). Raises
    ``InvalidInputError`` when a disabled name matches no plugin. Then each configured foreign
    source (``[[foreign]]``, see ``foreign.py``) loads as the plugin ``foreign-<name>``
    (``foreign=False`` skips them).
    """
    from ouroboros.plugins.builtin import builtin_plugins, builtin_tool_order

    loader = _Loader(settings, runtime, settings.disabled_plugins, log_refusals)
    if builtins:
        for name, setup in builtin_plugins():
            loader.builtin(name, setup)
        loader.result.tool_order = builtin_tool_order()
    found = discover(settings.plugin_dirs) if candidates is None else candidates
    for candidate in found:
        loader.outside(candidate)
    if foreign:
        from ouroboros.plugins.foreign import foreign_sources

        for source in foreign_sources(settings):
            _load_foreign(loader, source)
    unknown = sorted(loader.disabled - loader.names_known)
    if unknown:
        raise InvalidInputError(
            f"--disable-plugin names no plugin: {', '.join(unknown)} "
            f"(plugins: {', '.join(sorted(loader.names_known))})"
        )
    return loader.result
