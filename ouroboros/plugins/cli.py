"""``ouroboros plugins list|check``, and the ``--plugins`` / ``--disable-plugin`` options."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["plugin_options", "plugin_overrides", "plugins_group"]

F = TypeVar("F", bound=Callable[..., Any])

_plugins_option = click.option(
    "--plugins",
    "plugin_dirs",
    multiple=True,
    metavar="DIR",
    help="A directory of plugin directories (repeatable; default: $OUROBOROS_PLUGINS).",
)
_disable_option = click.option(
    "--disable-plugin",
    "disabled_plugins",
    multiple=True,
    metavar="NAME",
    help="Turn a plugin off, built-in or not (repeatable; default: $OUROBOROS_DISABLE_PLUGINS).",
)


def plugin_options(fn: F) -> F:
    """Add ``--plugins DIR`` and ``--disable-plugin NAME`` to a command that builds the service;
    the command receives ``plugin_dirs`` and ``disabled_plugins`` (tuples)."""
    return _plugins_option(_disable_option(fn))


def plugin_overrides(plugin_dirs: tuple[str, ...], disabled: tuple[str, ...]) -> dict[str, Any]:
    """Return the ``Settings.from_env`` overrides for the two options (empty ones left out, so
    the environment applies)."""
    out: dict[str, Any] = {}
    if plugin_dirs:
        out["plugin_dirs"] = tuple(plugin_dirs)
    if disabled:
        out["disabled_plugins"] = tuple(n.strip() for d in disabled for n in d.split(",") if n)
    return out


@click.group("plugins")
def plugins_group() -> None:
    """List and check plugins (built-in, installed entry points, and --plugins directories)."""


def _load(plugin_dirs: tuple[str, ...], disabled: tuple[str, ...], log: bool = True) -> Any:
    """Load every plugin; an OuroborosError (a bad option) is one line and exit status 1."""
    from ouroboros.config import Settings
    from ouroboros.errors import OuroborosError
    from ouroboros.plugins.loader import load_plugins
    from ouroboros.resolvers.runtime import Runtime

    try:
        settings = Settings.from_env(**plugin_overrides(plugin_dirs, disabled))
        return load_plugins(settings, Runtime(settings=settings), log_refusals=log)
    except OuroborosError as exc:
        click.echo(f"error: {exc.type}: {exc.message}", err=True)
        sys.exit(1)


def _adds(item: dict[str, Any]) -> str:
    parts = []
    for key in ("resolvers", "mutations", "tools", "attributes"):
        values = item.get(key) or []
        if values:
            parts.append(
                f"{len(values)} {key}" if len(values) > 3 else f"{key} {', '.join(values)}"
            )
    return "; ".join(parts) or "nothing"


@plugins_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of plugin objects.")
@plugin_options
def plugins_list_command(
    as_json: bool, plugin_dirs: tuple[str, ...], disabled_plugins: tuple[str, ...]
) -> None:
    """Print one plugin a line: name, version, where it came from, status and what it adds."""
    import json

    plugins = _load(plugin_dirs, disabled_plugins)
    described = plugins.describe()
    if as_json:
        click.echo(json.dumps(described, indent=2, ensure_ascii=False))
        return
    width = max((len(d["name"]) for d in described), default=0)
    for d in described:
        status = d["status"] if d["status"] != "loaded" else ""
        what = f"refused: {d['cause']}" if d["status"] == "refused" else _adds(d)
        click.echo(
            f"{d['name']:<{width}}  {d['version'] or '?':<8}  {d['origin']}"
            f"{'  [' + status + ']' if status else ''}  {what}"
        )


@plugins_group.command("check")
@plugin_options
def plugins_check_command(plugin_dirs: tuple[str, ...], disabled_plugins: tuple[str, ...]) -> None:
    """Validate every discovered plugin; print each refusal, exit 1 if any plugin is refused."""
    plugins = _load(plugin_dirs, disabled_plugins, False)
    for refusal in plugins.refused:
        click.echo(refusal.line, err=True)
    loaded = len(plugins.loaded)
    click.echo(
        f"{loaded} plugins loaded, {len(plugins.disabled)} disabled, {len(plugins.refused)} refused"
    )
    if plugins.refused:
        sys.exit(1)
