"""Settings: one frozen record of everything configurable, read from arguments and environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = ["Settings", "default_db_path"]


def default_db_path() -> str:
    """Return ``$OUROBOROS_DB``, else ``$XDG_DATA_HOME/ouroboros/ouroboros.duckdb``."""
    env = os.environ.get("OUROBOROS_DB")
    if env:
        return env
    return data_dir_db_path()


def data_dir_db_path() -> str:
    """Return the database in the XDG data dir (the one location whose folders are created)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "ouroboros" / "ouroboros.duckdb")


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(p for p in (s.strip() for s in value.replace(";", ",").split(",")) if p)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a running Ouroboros needs to know; pass it down, never read globals.

    Environment variables (all optional): ``OUROBOROS_DB``, ``OUROBOROS_ROOTS`` (comma-separated
    file roots), ``OUROBOROS_GIT_ROOT``, ``OUROBOROS_HTTP_ALLOW`` (hosts / CIDRs outbound HTTP may
    reach even if private), ``OUROBOROS_TOOLS`` (tool set or names), ``OUROBOROS_ALLOW_MUTATIONS``
    (``query_eql`` may run mutations), ``OUROBOROS_HOST`` / ``OUROBOROS_PORT``,
    ``OUROBOROS_CORS_ORIGINS``, ``OUROBOROS_RATE_LIMIT`` (calls per minute per caller),
    ``OUROBOROS_PLUGINS`` (plugin directories, ``os.pathsep``-separated),
    ``OUROBOROS_DISABLE_PLUGINS`` (comma-separated plugin names), ``OUROBOROS_OAUTH_ISSUER``
    (the authorization server the protected-resource metadata names).
    """

    db_path: str = field(default_factory=default_db_path)
    # Files: the roots file tools may read; nothing outside them (no `..`, no symlink escape).
    # None by default (the file tools are off until ``--roots`` / ``OUROBOROS_ROOTS`` name some,
    # or an MCP client offers its roots): a server started from ``/`` must not read the disk.
    roots: tuple[str, ...] = ()
    git_root: str | None = None  # default: the first root, else none
    # Outbound HTTP: private / loopback / link-local addresses are refused unless listed here.
    http_allow: tuple[str, ...] = ()
    http_timeout: float = 10.0
    http_max_bytes: int = 5 * 1024 * 1024
    # Tools: a named set ("all", "chat-safe", "agent", "graph") or explicit names; deny wins.
    tools: tuple[str, ...] = ("all",)
    tools_deny: tuple[str, ...] = ()
    allow_mutations: bool = False
    rate_limit_per_minute: int = 120
    # Server
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    max_query_depth: int = 16
    max_query_nodes: int = 2000
    # Plugins: directories of plugin directories, and plugin names (built-in or not) turned off.
    plugin_dirs: tuple[str, ...] = ()
    disabled_plugins: tuple[str, ...] = ()
    # OAuth: the authorization server named in the protected-resource metadata (RFC 9728).
    oauth_issuer: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Return settings from the environment, with keyword ``overrides`` winning."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get("OUROBOROS_DB"):
            values["db_path"] = env["OUROBOROS_DB"]
        if env.get("OUROBOROS_ROOTS"):
            values["roots"] = _split(env["OUROBOROS_ROOTS"])
        if env.get("OUROBOROS_GIT_ROOT"):
            values["git_root"] = env["OUROBOROS_GIT_ROOT"]
        if env.get("OUROBOROS_HTTP_ALLOW"):
            values["http_allow"] = _split(env["OUROBOROS_HTTP_ALLOW"])
        if env.get("OUROBOROS_TOOLS"):
            values["tools"] = _split(env["OUROBOROS_TOOLS"])
        if env.get("OUROBOROS_ALLOW_MUTATIONS"):
            values["allow_mutations"] = env["OUROBOROS_ALLOW_MUTATIONS"].lower() in {
                "1",
                "true",
                "yes",
            }
        if env.get("OUROBOROS_HOST"):
            values["host"] = env["OUROBOROS_HOST"]
        if env.get("OUROBOROS_PORT"):
            values["port"] = int(env["OUROBOROS_PORT"])
        if env.get("OUROBOROS_CORS_ORIGINS"):
            values["cors_origins"] = _split(env["OUROBOROS_CORS_ORIGINS"])
        if env.get("OUROBOROS_RATE_LIMIT"):
            values["rate_limit_per_minute"] = int(env["OUROBOROS_RATE_LIMIT"])
        if env.get("OUROBOROS_OAUTH_ISSUER"):
            values["oauth_issuer"] = env["OUROBOROS_OAUTH_ISSUER"]
        if env.get("OUROBOROS_PLUGINS"):
            values["plugin_dirs"] = tuple(
                p for p in env["OUROBOROS_PLUGINS"].split(os.pathsep) if p.strip()
            )
        if env.get("OUROBOROS_DISABLE_PLUGINS"):
            values["disabled_plugins"] = _split(env["OUROBOROS_DISABLE_PLUGINS"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def repo_root(self) -> str | None:
        """The git repository the git resolvers read: ``git_root``, else the first root, else None."""
        return self.git_root or (self.roots[0] if self.roots else None)

    def with_(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied."""
        return replace(self, **changes)
