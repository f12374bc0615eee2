"""``ouroboros agent``: ask the agent one question, or talk to it in a REPL with streamed output."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

import click

from ouroboros.errors import OuroborosError

__all__ = ["agent_command"]

EXIT_WORDS = frozenset({"exit", "quit", ":q", ":quit"})


def _split(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(p for p in (s.strip() for s in value.split(",")) if p)


def _usage_line(result: Any) -> str:
    usage = result.usage
    cost = usage.get("cost_usd")
    price = f", ${cost:.6f}" if cost is not None else ""
    rough = " (estimated)" if usage.get("estimated") else ""
    return (
        f"[{usage['input_tokens']} in + {usage['output_tokens']} out = "
        f"{usage['total_tokens']} tokens{rough}{price}; {len(result.tool_calls)} tool calls; "
        f"{result.provider} {result.model}]"
    )


async def _ask(agent: Any, question: str, conversation: str, as_json: bool, caller: Any) -> Any:
    streamed = False

    async def on_event(event: dict[str, Any]) -> None:
        nonlocal streamed
        kind = event["type"]
        if kind == "token":
            streamed = True
            click.echo(event["text"], nl=False)
        elif kind == "tool_call":
            click.echo(
                f"→ {event['name']} {json.dumps(event['arguments'], ensure_ascii=False)}", err=True
            )
        elif kind == "tool_result":
            outcome = "error: " + event["error"]["type"] if "error" in event else "ok"
            click.echo(f"← {event['name']} {outcome} ({event['ms']:.0f} ms)", err=True)

    result = await agent.run_async(
        question, conversation=conversation, caller=caller, on_event=None if as_json else on_event
    )
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        if not streamed:
            click.echo(result.answer, nl=False)
        click.echo()
        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        click.echo(_usage_line(result), err=True)
    return result


def _print_usage(service: Any, days: int, as_json: bool) -> None:
    rows = service.engine.process(
        f"[{{(:agent/usage {{:days {days}}}) [:usage/day :usage/caller :usage/calls "
        ":usage/input-tokens :usage/output-tokens :usage/total-tokens :usage/cost-usd]}]"
    )["agent/usage"]
    plain = [{str(k).split("/", 1)[1]: v for k, v in row.items()} for row in rows]
    if as_json:
        click.echo(json.dumps(plain, indent=2))
        return
    if not plain:
        click.echo("no agent usage recorded")
    for r in plain:
        cost = f"${r['cost-usd']:.6f}" if r["cost-usd"] is not None else "-"
        click.echo(
            f"{r['day']}  {r['caller']}  {r['calls']} calls  {r['input-tokens']} in  "
            f"{r['output-tokens']} out  {r['total-tokens']} total  {cost}"
        )


def _fail(exc: OuroborosError, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(exc.to_json(), ensure_ascii=False))
    else:
        click.echo(f"error: {exc.type}: {exc.message}", err=True)


@click.command("agent")
@click.argument("question", required=False)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the answer, tool calls and usage as JSON."
)
@click.option(
    "--provider",
    type=click.Choice(["openai", "anthropic"]),
    default=None,
    help="Provider kind ($OUROBOROS_LLM_PROVIDER).",
)
@click.option(
    "--base-url",
    default=None,
    help="Provider URL, e.g. http://127.0.0.1:8080/v1 ($OUROBOROS_LLM_BASE_URL).",
)
@click.option("--model", default=None, help="Model name ($OUROBOROS_LLM_MODEL).")
@click.option(
    "--tool-choice",
    default=None,
    metavar="auto|required|none|NAME",
    help="How the model picks tools on its first call ($OUROBOROS_LLM_TOOL_CHOICE, default auto).",
)
@click.option(
    "--config",
    "config_path",
    default=None,
    metavar="FILE",
    help="ouroboros.toml ($OUROBOROS_CONFIG, else $XDG_CONFIG_HOME/ouroboros/ouroboros.toml).",
)
@click.option(
    "--tools",
    "tools",
    default=None,
    metavar="SETS_OR_NAMES",
    help="Tools the agent may use (default: [agent] tools, else agent,graph,remember).",
)
@click.option(
    "--conversation", default=None, metavar="ID", help="Continue (or name) a conversation."
)
@click.option(
    "--max-iterations",
    type=click.IntRange(0, 100),
    default=None,
    help="Tool rounds before the answer.",
)
@click.option(
    "--usage",
    "show_usage",
    is_flag=True,
    help="Print the recorded agent usage per day and caller, and exit.",
)
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=7,
    show_default=True,
    help="With --usage: how many days.",
)
@click.option(
    "--db",
    "db_path",
    metavar="PATH",
    help="Database file (default: $OUROBOROS_DB, else the XDG data dir).",
)
@click.option("--roots", metavar="DIRS", help="Comma list of directories the file tools may read.")
def agent_command(
    question: str | None,
    as_json: bool,
    provider: str | None,
    base_url: str | None,
    model: str | None,
    tool_choice: str | None,
    config_path: str | None,
    tools: str | None,
    conversation: str | None,
    max_iterations: int | None,
    show_usage: bool,
    days: int,
    db_path: str | None,
    roots: str | None,
) -> None:
    """Ask the agent QUESTION (one shot), or start a REPL when no QUESTION is given.

    The answer streams to stdout; tool calls and usage go to stderr (--json prints one JSON
    object instead). Flags win over OUROBOROS_LLM_* variables, which win over ouroboros.toml.
    """
    try:
        _agent_main(**locals())
    except OuroborosError as exc:
        _fail(exc, as_json)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


def _agent_main(
    *,
    question: str | None,
    as_json: bool,
    provider: str | None,
    base_url: str | None,
    model: str | None,
    tool_choice: str | None,
    config_path: str | None,
    tools: str | None,
    conversation: str | None,
    max_iterations: int | None,
    show_usage: bool,
    days: int,
    db_path: str | None,
    roots: str | None,
) -> None:
    import dataclasses
    import uuid

    import anyio

    from ouroboros.agent import Agent, agent_config
    from ouroboros.config import Settings
    from ouroboros.config_file import config_file_path, load_config_file
    from ouroboros.service import open_service
    from ouroboros.tools.policy import Caller

    file = load_config_file(config_path)
    config = agent_config(
        file,
        provider=provider,
        base_url=base_url,
        model=model,
        tool_choice=tool_choice,
        file_name=str(config_file_path(config_path)[0]),
    )
    if max_iterations is not None:
        config = dataclasses.replace(config, max_iterations=max_iterations)
    settings = Settings.from_env(db_path=db_path, roots=_split(roots))
    with open_service(settings) as service:
        if show_usage:
            _print_usage(service, days, as_json)
            return
        agent = Agent(service, config=config, tools=_split(tools))
        caller = Caller(id="local", transport="cli")
        conversation = conversation or uuid.uuid4().hex[:16]
        ask = functools.partial(
            _ask, agent, conversation=conversation, as_json=as_json, caller=caller
        )
        if question is not None:
            anyio.run(functools.partial(ask, question))
            return
        _repl(ask, conversation, as_json)


def _repl(ask: Any, conversation: str, as_json: bool) -> None:
    import functools as ft

    import anyio

    if not as_json:
        click.echo(
            f"ouroboros agent (conversation {conversation}); exit or Ctrl-D to leave", err=True
        )
    while True:
        try:
            line = input("you> " if sys.stdin.isatty() else "")
        except EOFError:
            if sys.stdin.isatty():
                click.echo(err=True)
            return
        line = line.strip()
        if not line:
            continue
        if line.lower() in EXIT_WORDS:
            return
        try:
            anyio.run(ft.partial(ask, line))
        except OuroborosError as exc:  # one bad turn does not end the session
            _fail(exc, as_json)
