"""``LoggedGroup``: a click group whose every subcommand takes ``--log-format json|text``.

``@click.group(cls=LoggedGroup)`` on the root command: each command added to it (and to its
subgroups, which are LoggedGroups too) gets the option, read before anything else runs; the
default is ``$OUROBOROS_LOG_FORMAT``, else text.
"""

from __future__ import annotations

from typing import Any

import click

from ouroboros.observe import logs

__all__ = ["LoggedGroup", "log_format_option"]

OPTION_NAME = "log_format"


def _configure(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None or ctx.resilient_parsing:
        return
    logs.configure(value)


def log_format_option() -> click.Option:
    """Return a fresh ``--log-format`` option (eager, not passed to the command)."""
    return click.Option(
        ["--log-format", OPTION_NAME],
        type=click.Choice(list(logs.FORMATS)),
        default=None,
        envvar=logs.ENV,
        show_envvar=True,
        expose_value=False,
        is_eager=True,
        callback=_configure,
        help="Log lines as json or text (stderr), each with its request and trace ids.",
    )


def _add_option(command: click.Command) -> None:
    """Add the option to ``command`` and, for a plain group built elsewhere, to every command
    under it."""
    if not any(p.name == OPTION_NAME for p in command.params):
        command.params.append(log_format_option())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_option(sub)


class LoggedGroup(click.Group):
    """A group that adds ``--log-format`` to itself and to every command added to it."""

    group_class = type  # subgroups made with @group.group() are LoggedGroups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_option(self)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _add_option(cmd)
        super().add_command(cmd, name)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            _add_option(found)  # commands added to a plain subgroup after registration
        return found
