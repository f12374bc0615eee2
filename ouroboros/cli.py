"""The `ouroboros` command line: parse, plan, query, serve, mcp, import, export, tools, token."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from ouroboros import __version__
from ouroboros.errors import OuroborosError
from ouroboros.observe.cli import LoggedGroup
from ouroboros.plugins.cli import plugin_options, plugin_overrides, plugins_group

F = TypeVar("F", bound=Callable[..., Any])


def clean_errors(fn: F) -> F:
    """Turn an OuroborosError into one clear line on stderr and exit status 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OuroborosError as exc:
            click.echo(f"error: {exc.type}: {exc.message}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def read_query_arg(query: str) -> str:
    """Return the query text: the argument itself, ``-`` for stdin, or ``@file`` for a file."""
    if query == "-":
        return sys.stdin.read()
    if query.startswith("@"):
        with open(query[1:], encoding="utf-8") as fh:
            return fh.read()
    return query


class _CleanErrorsGroup(LoggedGroup):
    """The root group: any subcommand's OuroborosError is one clear line and exit status 1
    (so commands registered from other modules need no decorator of their own)."""

    def invoke(self, ctx: click.Context) -> Any:
        return clean_errors(super().invoke)(ctx)


@click.group(cls=_CleanErrorsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="ouroboros")
def main() -> None:
    """Ouroboros: ask for data in EQL; a planner finds the resolvers that produce it."""


db_option = click.option(
    "--db",
    "db_path",
    metavar="PATH",
    help="Database file (default: $OUROBOROS_DB, else the XDG data dir).",
)
"""The ``--db PATH`` option every command that opens the store takes."""


roots_option = click.option(
    "--roots",
    "roots",
    metavar="DIRS",
    help="Comma list of directories the file tools may read (default: $OUROBOROS_ROOTS, else "
    "none: the file tools are off).",
)
"""The ``--roots DIRS`` option: no roots unless given here, in $OUROBOROS_ROOTS or by an MCP client."""

git_root_option = click.option(
    "--git-root",
    "git_root",
    metavar="DIR",
    help="The git repository the git tools read (default: $OUROBOROS_GIT_ROOT, else the first "
    "root, else none).",
)
"""The ``--git-root DIR`` option."""


def _split_option(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(p for p in (s.strip() for s in value.split(",")) if p)


@main.command("parse")
@click.argument("query", required=False, default="-")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "edn"]),
    default="json",
    show_default=True,
    help="json: the AST as JSON objects; edn: the query printed back as canonical EDN.",
)
@clean_errors
def parse_command(query: str, fmt: str) -> None:
    """Parse an EQL QUERY (text, - for stdin, @file) and print its AST; errors show line/column."""
    import json

    from ouroboros.eql import ast_to_json, parse, to_edn

    try:
        text = read_query_arg(query)
    except OSError as exc:
        raise click.FileError(query[1:], hint=exc.strerror) from None
    root = parse(text)
    if fmt == "edn":
        click.echo(to_edn(root))
    else:
        click.echo(json.dumps(ast_to_json(root), indent=2, ensure_ascii=False))


@main.command("mcp")
@db_option
@click.option(
    "--tools",
    "tools",
    metavar="SETS_OR_NAMES",
    help="Comma list of tool sets or names: all, core, chat-safe, agent, graph, memory, or tool names (default: $OUROBOROS_TOOLS, else all).",
)
@click.option(
    "--deny",
    "deny",
    metavar="SETS_OR_NAMES",
    help="Comma list of tool sets or names to disable (wins over --tools).",
)
@roots_option
@git_root_option
@click.option("--allow-mutations", is_flag=True, default=None, help="Let query_eql run mutations.")
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="Log level (logs go to stderr).",
)
@plugin_options
@clean_errors
def mcp_command(
    db_path: str | None,
    tools: str | None,
    deny: str | None,
    roots: str | None,
    git_root: str | None,
    allow_mutations: bool | None,
    log_level: str,
    plugin_dirs: tuple[str, ...],
    disabled_plugins: tuple[str, ...],
) -> None:
    """Serve the tools over MCP on stdin/stdout (for MCP clients; stdout carries only the protocol).

    The file tools read only the roots given (--roots, $OUROBOROS_ROOTS) or, when none are, the
    roots the client offers (MCP roots/list). What is in use is printed to stderr at start-up.
    """
    from ouroboros.config import Settings
    from ouroboros.mcp_server.stdio import serve_settings_stdio

    settings = Settings.from_env(
        db_path=db_path,
        tools=_split_option(tools),
        tools_deny=_split_option(deny),
        roots=_split_option(roots),
        git_root=git_root,
        allow_mutations=allow_mutations,
        **plugin_overrides(plugin_dirs, disabled_plugins),
    )
    serve_settings_stdio(settings, log_level=log_level)


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "json"]),
    default=None,
    help="jsonl: the official MCP memory server's memory.jsonl (merged in); json: an Ouroboros dump (replaces everything). Default: by file name and content.",
)
@clean_errors
def import_command(file: str, db_path: str | None, fmt: str | None) -> None:
    """Import a memory.jsonl (official MCP memory server) or a JSON dump into the store."""
    from ouroboros.store.cli_io import run_import

    click.echo(run_import(file, db_path, fmt))


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "json"]),
    default=None,
    help="jsonl: memory.jsonl the official MCP memory server reads; json: a dump of everything. Default: json for *.json, else jsonl.",
)
@clean_errors
def export_command(file: str, db_path: str | None, fmt: str | None) -> None:
    """Export the knowledge graph as memory.jsonl, or everything as a JSON dump."""
    from ouroboros.store.cli_io import run_export

    click.echo(run_export(file, db_path, fmt))


def _cli_settings(
    db_path: str | None = None,
    roots: str | None = None,
    git_root: str | None = None,
    **plugins: Any,
) -> Any:
    from ouroboros.config import Settings

    return Settings.from_env(
        db_path=db_path, roots=_split_option(roots), git_root=git_root, **plugins
    )


def _engine_for_plan(roots: str | None, **plugins: Any) -> Any:
    """An engine over every plugin's resolvers, for planning only: no database is opened."""
    from ouroboros.connect.interface import Engine
    from ouroboros.plugins.loader import load_plugins
    from ouroboros.resolvers.runtime import Runtime

    settings = _cli_settings(roots=roots, **plugins)
    loaded = load_plugins(settings, Runtime(settings=settings))
    return Engine(loaded.operations, attributes=loaded.attributes, plugins=loaded.engine_plugins)


@main.command("plan")
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "dot", "mermaid"]),
    default="text",
    show_default=True,
    help="text: an indented tree; json: the plan as data; dot / mermaid: a picture of the root level.",
)
@click.option(
    "--available",
    metavar="ATTRS",
    default="",
    help="Attributes already known, comma-separated (e.g. user/id).",
)
@roots_option
@plugin_options
@clean_errors
def plan_command(
    query: str,
    fmt: str,
    available: str,
    roots: str | None,
    plugin_dirs: tuple[str, ...],
    disabled_plugins: tuple[str, ...],
) -> None:
    """Print the plan the engine makes for QUERY (EQL text, '-' for stdin, '@file')."""
    engine = _engine_for_plan(roots, **plugin_overrides(plugin_dirs, disabled_plugins))
    attrs = [a.strip() for a in available.split(",") if a.strip()]
    click.echo(engine.explain(read_query_arg(query), attrs, fmt=fmt))


@main.command("query")
@click.argument("query")
@click.option("--entity", metavar="JSON", default=None, help="Starting entity as a JSON object.")
@click.option("--lenient", is_flag=True, help="Return partial data plus ouroboros/errors.")
@click.option("--trace", "show_trace", is_flag=True, help="Print what ran to stderr.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "edn"]), default="json", show_default=True
)
@db_option
@roots_option
@git_root_option
@plugin_options
@clean_errors
def query_command(
    query: str,
    entity: str | None,
    lenient: bool,
    show_trace: bool,
    fmt: str,
    db_path: str | None,
    roots: str | None,
    git_root: str | None,
    plugin_dirs: tuple[str, ...],
    disabled_plugins: tuple[str, ...],
) -> None:
    """Run QUERY (EQL text, '-' for stdin, '@file') against the database and print the result.

    Mutations run too: the command line is a local caller with every scope.
    """
    import json

    from ouroboros.connect.trace import Trace
    from ouroboros.eql import to_edn
    from ouroboros.eql.wire import entity_from_json, result_to_json
    from ouroboros.errors import InvalidInputError
    from ouroboros.observe.requests import observed_request
    from ouroboros.service import open_service
    from ouroboros.tools.policy import Caller

    try:
        start = entity_from_json(json.loads(entity)) if entity else None
    except ValueError as exc:
        raise InvalidInputError(f"--entity is not valid JSON: {exc}") from None
    text = read_query_arg(query)
    trace = Trace() if show_trace else None
    settings = _cli_settings(
        db_path, roots, git_root, **plugin_overrides(plugin_dirs, disabled_plugins)
    )
    with (
        open_service(settings) as service,
        observed_request("cli", "query", recorder=service.store),
    ):
        result = service.engine.process(
            text,
            start,
            lenient=lenient or None,
            trace=trace,
            context={"settings": settings, "caller": Caller(id="cli", transport="cli")},
        )
    if trace is not None:
        click.echo(trace.format(), err=True)
    if fmt == "edn":
        click.echo(to_edn(result))
    else:
        click.echo(json.dumps(result_to_json(result), indent=2, ensure_ascii=False))


# --- tools -----------------------------------------------------------------------------------


@main.group("tools")
def tools_group() -> None:
    """List and call the AI tools (the 13 core tools and the knowledge-graph pack)."""


def _tools_settings(
    db_path: str | None,
    tools: str | None,
    deny: str | None,
    roots: str | None,
    git_root: str | None,
    plugins: dict[str, Any],
) -> Any:
    from ouroboros.config import Settings

    return Settings.from_env(
        db_path=db_path,
        tools=_split_option(tools),
        tools_deny=_split_option(deny),
        roots=_split_option(roots),
        git_root=git_root,
        **plugins,
    )


_tools_options = [
    db_option,
    click.option("--tools", "tools", metavar="SETS_OR_NAMES", help="Tool sets or names to enable."),
    click.option("--deny", "deny", metavar="SETS_OR_NAMES", help="Tool sets or names to disable."),
    roots_option,
    git_root_option,
    plugin_options,
]


def _with_tools_options(fn: F) -> F:
    for option in reversed(_tools_options):
        fn = option(fn)
    return fn


@tools_group.command("list")
@click.option(
    "--json", "as_json", is_flag=True, help="Print names, descriptions and schemas as JSON."
)
@_with_tools_options
@clean_errors
def tools_list_command(
    as_json: bool,
    db_path: str | None,
    tools: str | None,
    deny: str | None,
    roots: str | None,
    git_root: str | None,
    plugin_dirs: tuple[str, ...],
    disabled_plugins: tuple[str, ...],
) -> None:
    """Print the enabled tools (name and description; --json for the schemas too)."""
    import json

    from ouroboros.service import open_service

    plugins = plugin_overrides(plugin_dirs, disabled_plugins)
    with open_service(_tools_settings(db_path, tools, deny, roots, git_root, plugins)) as service:
        described = service.tools.list()
    if as_json:
        click.echo(json.dumps(described, indent=2, ensure_ascii=False))
        return
    width = max((len(d["name"]) for d in described), default=0)
    for d in described:
        marker = " (writes)" if d.get("writes") else ""
        click.echo(f"{d['name']:<{width}}  {d['description']}{marker}")


@tools_group.command("call")
@click.argument("name")
@click.argument("arguments", required=False, default=None, metavar="[JSON_ARGS]")
@click.option("--allow-mutations", is_flag=True, default=None, help="Let query_eql run mutations.")
@_with_tools_options
@clean_errors
def tools_call_command(
    name: str,
    arguments: str | None,
    allow_mutations: bool | None,
    db_path: str | None,
    tools: str | None,
    deny: str | None,
    roots: str | None,
    git_root: str | None,
    plugin_dirs: tuple[str, ...],
    disabled_plugins: tuple[str, ...],
) -> None:
    """Call tool NAME with JSON_ARGS (a JSON object, '-' for stdin, '@file'); print the result
    envelope as JSON. Exit status 1 when the call fails or the tool is not found."""
    import json

    from ouroboros.observe.requests import observed_request
    from ouroboros.service import open_service

    plugins = plugin_overrides(plugin_dirs, disabled_plugins)
    settings = _tools_settings(db_path, tools, deny, roots, git_root, plugins)
    if allow_mutations:
        settings = settings.with_(allow_mutations=True)
    text = read_query_arg(arguments) if arguments is not None else None
    with (
        open_service(settings) as service,
        observed_request("cli", "tools-call", recorder=service.store),
    ):
        envelope = service.tools.call_sync(name, text)
    click.echo(json.dumps(envelope, indent=2, ensure_ascii=False, default=str))
    if envelope.get("status") != "success":
        sys.exit(1)


# --- serve and token (the HTTP front door) ---------------------------------------------------


@main.command("serve")
@click.option(
    "--host", default=None, help="Address to bind (default: $OUROBOROS_HOST, else 127.0.0.1)."
)
@click.option("--port", type=int, default=None, help="Port (default: $OUROBOROS_PORT, else 8000).")
@db_option
@roots_option
@git_root_option
@click.option("--tools", "tools", metavar="SETS_OR_NAMES", help="Tool sets or names to enable.")
@click.option("--deny", "deny", metavar="SETS_OR_NAMES", help="Tool sets or names to disable.")
@click.option(
    "--allow-mutations",
    is_flag=True,
    default=None,
    help="Allow EQL mutations on /eql and query_eql.",
)
@click.option(
    "--cors", "cors", metavar="ORIGINS", help="Comma list of origins CORS allows (default: off)."
)
@click.option(
    "--graphiql/--no-graphiql",
    default=None,
    help="Serve the GraphiQL page at GET /graphql in a browser (default: on when bound to loopback).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)
@plugin_options
@clean_errors
def serve_command(
    host: str | None,
    port: int | None,
    db_path: str | None,
    roots: str | None,
    git_root: str | None,
    tools: str | None,
    deny: str | None,
    allow_mutations: bool | None,
    cors: str | None,
    graphiql: bool | None,
    log_level: str,
    plugin_dirs: tuple[str, ...],
    disabled_plugins: tuple[str, ...],
) -> None:
    """Serve HTTP: POST /eql, /graphql, /mcp, /health, /ready, /index, /openapi.json.

    Binds 127.0.0.1:8000 by default. Any other address needs at least one API token
    (`ouroboros token create`); then every request but /health needs a bearer token.
    On loopback, /graphql in a browser is GraphiQL, served from the package (no CDN);
    elsewhere it is off unless --graphiql.
    """
    from ouroboros.config import Settings
    from ouroboros.http.serve import serve

    settings = Settings.from_env(
        host=host,
        port=port,
        db_path=db_path,
        roots=_split_option(roots),
        git_root=git_root,
        tools=_split_option(tools),
        tools_deny=_split_option(deny),
        allow_mutations=allow_mutations,
        cors_origins=_split_option(cors),
        **plugin_overrides(plugin_dirs, disabled_plugins),
    )
    if graphiql is not None:
        settings = settings.with_(extra={**settings.extra, "graphiql": graphiql})
    serve(settings, log_level=log_level)


main.add_command(plugins_group)


@main.group("token")
def token_group() -> None:
    """Manage API tokens for the HTTP server (stored hashed in the database)."""


def _token_store(db_path: str | None) -> Any:
    from ouroboros.config import default_db_path
    from ouroboros.store import open_store

    return open_store(db_path or default_db_path(), embedder=None)


@token_group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["read", "write", "admin", "metrics"]),
    help="A scope (repeatable): read, write, admin (admin implies all), metrics (GET /metrics).",
)
@db_option
@clean_errors
def token_create_command(name: str, scopes: tuple[str, ...], db_path: str | None) -> None:
    """Create token NAME and print its secret (shown only this once)."""
    store = _token_store(db_path)
    try:
        secret, record = store.token_create(name, list(scopes))
    finally:
        store.close()
    click.echo(secret)
    click.echo(
        f"created token {record['name']!r} ({record['id']}) with scopes "
        f"{', '.join(record['scopes'])}; the secret above is not shown again",
        err=True,
    )


@token_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the records as JSON.")
@db_option
@clean_errors
def token_list_command(as_json: bool, db_path: str | None) -> None:
    """List tokens (names, ids, scopes, state; never secrets)."""
    import json

    store = _token_store(db_path)
    try:
        records = store.token_list()
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    for r in records:
        state = "revoked" if r.get("revoked") else "active"
        click.echo(f"{r['name']}\t{r['id']}\t{','.join(r['scopes'])}\t{state}\t{r['created_at']}")


@token_group.command("revoke")
@click.argument("name")
@db_option
@clean_errors
def token_revoke_command(name: str, db_path: str | None) -> None:
    """Revoke the active token NAME (or id); exit status 1 if there is none."""
    store = _token_store(db_path)
    try:
        revoked = store.token_revoke(name)
    finally:
        store.close()
    if not revoked:
        click.echo(f"error: NotFoundError: no active token named {name!r}", err=True)
        sys.exit(1)
    click.echo(f"revoked token {name!r}")


def _register_command_modules() -> None:
    """Add the subcommands that live beside the packages they drive."""
    from ouroboros.agent_cli import agent_command
    from ouroboros.chat.commands import chat_group
    from ouroboros.memory_cli import ingest_command, recall_command

    main.add_command(agent_command)
    main.add_command(chat_group)
    main.add_command(ingest_command)
    main.add_command(recall_command)


_register_command_modules()
