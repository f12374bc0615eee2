"""The 13 core AI tools: each an EQL query or mutation over the resolvers, with JSON Schemas.

Names follow MCP / OpenAI rules (the original's ``:git/commits`` is ``git_commits``). The
original's parameters and defaults are kept, and its bugs fixed: ``git_commits`` honours ``n``,
``file_read`` honours ``lines``, the memory tools use the right attribute and mutation, keys
and EQL attributes arrive as JSON strings (no keywords needed), and ``query_eql`` is read-only
unless mutations are allowed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import import_module
from typing import Any

from ouroboros.eql.ast import Call, Join, Root
from ouroboros.errors import EQLError, InvalidInputError
from ouroboros.tools.registry import Tool, ToolContext, require_mutations_allowed
from ouroboros.tools.shapes import ident_join, join, mutation_call, wire, with_params

__all__ = ["core_tools", "parse_query"]

ANY_JSON = ["string", "number", "integer", "boolean", "object", "array", "null"]


def _input(
    properties: Mapping[str, Any] | None = None, required: list[str] | None = None
) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": dict(properties or {}),
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def _output(properties: Mapping[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": dict(properties)}
    if required:
        schema["required"] = required
    return schema


def _one(result: Mapping[Any, Any], key: Any) -> Any:
    """Return ``result[key]`` (an ident result), or an empty map when the engine left it out."""
    value = result.get(key)
    return value if isinstance(value, Mapping) else {}


# --- system ---------------------------------------------------------------------------------

STATUS_SCHEMA = {
    "type": "object",
    "description": "The lifecycle state: active states (innermost first), running?, ready?",
}


def _system_status() -> Tool:
    return Tool(
        name="system_status",
        title="System status",
        description=(
            "Get the current system status: the lifecycle state (e.g. running) and whether "
            "the system is healthy."
        ),
        input_schema=_input(),
        output_schema=_output(
            {"status": STATUS_SCHEMA, "healthy": {"type": "boolean"}}, ["status", "healthy"]
        ),
        query=lambda args, ctx: ["system/status", "system/healthy?"],
        shape=lambda result, args, ctx: {
            "status": wire(result.get("system/status")),
            "healthy": bool(result.get("system/healthy?")),
        },
    )


def _system_report() -> Tool:
    return Tool(
        name="system_report",
        title="System report",
        description=(
            "Get a full system report: current state, status, health and metadata "
            "(version, engine, timestamp)."
        ),
        input_schema=_input(),
        output_schema=_output(
            {
                "current_state": {"type": "array", "items": {"type": "string"}},
                "status": STATUS_SCHEMA,
                "healthy": {"type": "boolean"},
                "meta": {"type": "object"},
            },
            ["current_state", "status", "healthy", "meta"],
        ),
        query=lambda args, ctx: [
            "system/current-state",
            "system/status",
            "system/healthy?",
            "system/meta",
        ],
        shape=lambda result, args, ctx: {
            "current_state": wire(result.get("system/current-state")),
            "status": wire(result.get("system/status")),
            "healthy": bool(result.get("system/healthy?")),
            "meta": wire(result.get("system/meta")),
        },
    )


# --- git ------------------------------------------------------------------------------------

COMMIT_ATTRS = ["git/hash", "git/author", "git/date", "git/subject", "git/refs"]


def _git_commits() -> Tool:
    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        commits = [
            {
                "hash": c.get("git/hash"),
                "author": c.get("git/author"),
                "date": c.get("git/date"),
                "subject": c.get("git/subject"),
                "refs": wire(c.get("git/refs") or []),
            }
            for c in result.get("git/commits") or []
        ]
        return {"commits": commits, "count": len(commits)}

    return Tool(
        name="git_commits",
        title="Recent git commits",
        description=(
            "Get the most recent git commits of the configured repository, newest first "
            "(hash, author, date, subject, refs). n is clamped to 1000."
        ),
        input_schema=_input(
            {
                "n": {
                    "type": "integer",
                    "minimum": 0,
                    "default": 5,
                    "description": "How many commits to return (default 5, at most 1000).",
                }
            }
        ),
        output_schema=_output(
            {
                "commits": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "hash": {"type": "string"},
                            "author": {"type": "string"},
                            "date": {"type": "string"},
                            "subject": {"type": "string"},
                            "refs": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
                "count": {"type": "integer"},
            },
            ["commits", "count"],
        ),
        query=lambda args, ctx: [join("git/commits", list(COMMIT_ATTRS), {"n": args["n"]})],
        shape=shape,
    )


def _git_status() -> Tool:
    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        status = result.get("git/status") or {}
        return {
            "branch": status.get("status/branch"),
            "clean": status.get("status/clean?"),
            "file_count": status.get("status/file-count"),
            "detached": status.get("status/detached?"),
        }

    return Tool(
        name="git_status",
        title="Git status",
        description=(
            "Get the git repository status: current branch, whether the working tree is "
            "clean, and how many files changed."
        ),
        input_schema=_input(),
        output_schema=_output(
            {
                "branch": {"type": "string"},
                "clean": {"type": "boolean"},
                "file_count": {"type": "integer"},
                "detached": {"type": "boolean"},
            },
            ["branch", "clean", "file_count"],
        ),
        query=lambda args, ctx: ["git/status"],
        shape=shape,
    )


# --- files ----------------------------------------------------------------------------------


def _file_read() -> Tool:
    def query(args: dict[str, Any], ctx: ToolContext) -> Any:
        return [
            ident_join(
                "file/path",
                args["path"],
                [with_params("file/content-preview", {"lines": args["lines"]}), "file/size"],
            )
        ]

    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        data = _one(result, ("file/path", args["path"]))
        content = data.get("file/content-preview") or ""
        size = data.get("file/size")
        lines = content.splitlines()
        shown = len(content.encode("utf-8"))
        # Fewer bytes than the file holds means lines were left out (a UTF-8 BOM is 3 bytes
        # that the content never shows).
        truncated = (
            size is not None
            and shown < size
            and not (len(lines) < args["lines"] and size - shown <= 3)
        )
        return {
            "path": args["path"],
            "content": content,
            "lines_returned": len(lines),
            "truncated": bool(truncated),
            "size": size,
        }

    return Tool(
        name="file_read",
        title="Read a file",
        description=(
            "Read the first lines of a text file inside the configured roots (relative paths "
            "resolve against the first root)."
        ),
        input_schema=_input(
            {
                "path": {"type": "string", "minLength": 1, "description": "File path to read."},
                "lines": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 100_000,
                    "default": 100,
                    "description": "How many lines to return from the start (default 100).",
                },
            },
            ["path"],
        ),
        output_schema=_output(
            {
                "path": {"type": "string"},
                "content": {"type": "string"},
                "lines_returned": {"type": "integer"},
                "truncated": {"type": "boolean"},
                "size": {"type": ["integer", "null"]},
            },
            ["path", "content", "lines_returned", "truncated"],
        ),
        query=query,
        shape=shape,
    )


FILE_ITEM = {
    "type": "object",
    "properties": {
        "path": {"type": "string"},
        "name": {"type": "string"},
        "size": {"type": ["integer", "null"]},
        "directory": {"type": "boolean"},
    },
}


def _file_search() -> Tool:
    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        data = _one(result, ("search/pattern", args["pattern"]))
        files = [
            {"path": f.get("file/path"), "name": f.get("file/name"), "size": f.get("file/size")}
            for f in data.get("knowledge/search") or []
        ]
        return {"pattern": args["pattern"], "files": files, "count": len(files)}

    return Tool(
        name="file_search",
        title="Search files",
        description=(
            "Find files under the configured roots whose path matches a glob pattern "
            "('*.py' matches at any depth, 'src/**/*.md' from the root; .git is skipped)."
        ),
        input_schema=_input(
            {
                "pattern": {"type": "string", "minLength": 1, "description": "Glob pattern."},
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 10_000,
                    "default": 100,
                    "description": "At most this many files (default 100).",
                },
            },
            ["pattern"],
        ),
        output_schema=_output(
            {
                "pattern": {"type": "string"},
                "files": {"type": "array", "items": FILE_ITEM},
                "count": {"type": "integer"},
            },
            ["pattern", "files", "count"],
        ),
        query=lambda args, ctx: [
            ident_join(
                "search/pattern",
                args["pattern"],
                [
                    join(
                        "knowledge/search",
                        ["file/path", "file/name", "file/size"],
                        {"limit": args["limit"]},
                    )
                ],
            )
        ],
        shape=shape,
    )


def _file_list() -> Tool:
    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        data = _one(result, ("dir/path", args["dir"]))
        files = [
            {
                "path": f.get("file/path"),
                "name": f.get("file/name"),
                "size": f.get("file/size"),
                "directory": bool(f.get("file/directory?")),
            }
            for f in data.get("knowledge/files") or []
        ]
        return {"dir": args["dir"], "files": files, "count": len(files)}

    return Tool(
        name="file_list",
        title="List a directory",
        description="List the entries of a directory inside the configured roots (one level).",
        input_schema=_input(
            {
                "dir": {
                    "type": "string",
                    "minLength": 1,
                    "default": ".",
                    "description": "Directory to list (default: the first root).",
                },
                "limit": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 10_000,
                    "default": 1000,
                    "description": "At most this many entries (default 1000).",
                },
            }
        ),
        output_schema=_output(
            {
                "dir": {"type": "string"},
                "files": {"type": "array", "items": FILE_ITEM},
                "count": {"type": "integer"},
            },
            ["dir", "files", "count"],
        ),
        query=lambda args, ctx: [
            ident_join(
                "dir/path",
                args["dir"],
                [
                    join(
                        "knowledge/files",
                        ["file/path", "file/name", "file/size", "file/directory?"],
                        {"limit": args["limit"]},
                    )
                ],
            )
        ],
        shape=shape,
    )


# --- memory ---------------------------------------------------------------------------------


def _memory_get() -> Tool:
    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        data = _one(result, ("memory/key", args["key"]))
        return {
            "key": args["key"],
            "value": wire(data.get("memory/value")),
            "exists": bool(data.get("memory/exists?")),
        }

    return Tool(
        name="memory_get",
        title="Recall from memory",
        description=(
            "Get the value stored in memory under a key (value null and exists false when "
            "there is none)."
        ),
        input_schema=_input({"key": {"type": "string", "description": "The memory key."}}, ["key"]),
        output_schema=_output(
            {"key": {"type": "string"}, "value": {"type": ANY_JSON}, "exists": {"type": "boolean"}},
            ["key", "value", "exists"],
        ),
        query=lambda args, ctx: [
            ident_join("memory/key", args["key"], ["memory/value", "memory/exists?"])
        ],
        shape=shape,
    )


def _memory_set() -> Tool:
    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        data = result.get("memory/save!") or {}
        return {
            "key": data.get("memory/key", args["key"]),
            "saved": bool(data.get("memory/saved?")),
            "created": bool(data.get("memory/created?")),
        }

    return Tool(
        name="memory_set",
        title="Remember a value",
        description=(
            "Store any JSON value in persistent memory under a key (replaces an existing value)."
        ),
        input_schema=_input(
            {
                "key": {"type": "string", "minLength": 1, "description": "The memory key."},
                "value": {"type": ANY_JSON, "description": "Any JSON value (null allowed)."},
            },
            ["key", "value"],
        ),
        output_schema=_output(
            {
                "key": {"type": "string"},
                "saved": {"type": "boolean"},
                "created": {"type": "boolean"},
            },
            ["key", "saved"],
        ),
        query=lambda args, ctx: [
            mutation_call(
                "memory/save!",
                {"memory/key": args["key"], "memory/value": args["value"]},
                ["memory/key", "memory/saved?", "memory/created?"],
            )
        ],
        shape=shape,
        writes=True,
        idempotent=True,
    )


# --- outbound HTTP and OpenAPI ----------------------------------------------------------------

API_ATTRS = ["api/status", "api/success?", "api/headers", "api/body", "api/error", "api/truncated?"]


def _http_get() -> Tool:
    def http_query(args: dict[str, Any], ctx: ToolContext) -> Any:
        from urllib.parse import urlsplit

        from ouroboros.resolvers.http import redact_url

        try:
            has_userinfo = "@" in urlsplit(args["url"]).netloc
        except ValueError:
            has_userinfo = False
        if has_userinfo:  # refuse here, before the URL travels into error messages
            raise InvalidInputError(
                f"credentials in the URL are refused: {redact_url(args['url'])}"
            )
        return [ident_join("api/url", args["url"], list(API_ATTRS))]

    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        from ouroboros.resolvers.http import redact_url

        data = _one(result, ("api/url", args["url"]))
        return {
            "url": redact_url(args["url"]),  # no user-info or token query values echoed back
            "status": data.get("api/status"),
            "success": bool(data.get("api/success?")),
            "headers": wire(data.get("api/headers") or {}),
            "body": wire(data.get("api/body")),
            "error": data.get("api/error"),
            "truncated": bool(data.get("api/truncated?")),
        }

    return Tool(
        name="http_get",
        title="HTTP GET",
        description=(
            "Make an HTTP GET request to a public http(s) URL (private, loopback and "
            "link-local addresses are refused unless allowed); returns status, headers "
            "(credentials redacted) and body."
        ),
        input_schema=_input(
            {"url": {"type": "string", "minLength": 1, "description": "An http(s) URL."}},
            ["url"],
        ),
        output_schema=_output(
            {
                "url": {"type": "string"},
                "status": {"type": ["integer", "null"]},
                "success": {"type": "boolean"},
                "headers": {"type": "object"},
                "body": {},
                "error": {"type": ["string", "null"]},
                "truncated": {"type": "boolean"},
            },
            ["url", "status", "success"],
        ),
        query=http_query,
        shape=shape,
        open_world=True,
    )


def _openapi_bootstrap() -> Tool:
    def query(args: dict[str, Any], ctx: ToolContext) -> Any:
        params = {"name": args["name"], "spec-url": args["spec_url"]}
        if args.get("base_url"):
            params["base-url"] = args["base_url"]
        return [mutation_call("openapi/bootstrap!", params)]

    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        data = result.get("openapi/bootstrap!") or {}
        return {
            "name": data.get("openapi/name"),
            "spec_url": data.get("openapi/spec-url"),
            "base_url": data.get("openapi/base-url"),
            "operations": wire(data.get("openapi/operations") or []),
        }

    return Tool(
        name="openapi_bootstrap",
        title="Load an OpenAPI client",
        description=(
            "Bootstrap an API client from an OpenAPI 3 or Swagger 2 spec (an http(s) URL or a "
            "file inside the roots); returns its operation ids for openapi_call."
        ),
        input_schema=_input(
            {
                "name": {"type": "string", "minLength": 1, "description": "Name for the client."},
                "spec_url": {
                    "type": "string",
                    "minLength": 1,
                    "description": "URL or file path of the spec.",
                },
                "base_url": {
                    "type": "string",
                    "description": "Base URL of the API (default: from the spec).",
                },
            },
            ["name", "spec_url"],
        ),
        output_schema=_output(
            {
                "name": {"type": "string"},
                "spec_url": {"type": "string"},
                "base_url": {"type": "string"},
                "operations": {"type": "array", "items": {"type": "string"}},
            },
            ["name", "operations"],
        ),
        query=query,
        shape=shape,
        writes=True,
        idempotent=True,
        open_world=True,
    )


def _openapi_call() -> Tool:
    def shape(result: Mapping[Any, Any], args: dict[str, Any], ctx: ToolContext) -> Any:
        data = result.get("openapi/call!") or {}
        return {
            "status": data.get("openapi/status"),
            "success": bool(data.get("openapi/success?")),
            "body": wire(data.get("openapi/body")),
            "headers": wire(data.get("openapi/headers") or {}),
            "error": data.get("openapi/error"),
            "url": data.get("openapi/url"),
        }

    return Tool(
        name="openapi_call",
        title="Call an OpenAPI operation",
        description=(
            "Call an operation of a client made by openapi_bootstrap, with its parameters "
            "(path, query, header values and 'body')."
        ),
        input_schema=_input(
            {
                "client": {"type": "string", "minLength": 1, "description": "Client name."},
                "operation": {
                    "type": "string",
                    "minLength": 1,
                    "description": "Operation id (as listed by openapi_bootstrap).",
                },
                "params": {
                    "type": "object",
                    "default": {},
                    "description": "Operation parameters by name; the request body as 'body'.",
                },
            },
            ["client", "operation"],
        ),
        output_schema=_output(
            {
                "status": {"type": ["integer", "null"]},
                "success": {"type": "boolean"},
                "body": {},
                "headers": {"type": "object"},
                "error": {"type": ["string", "null"]},
                "url": {"type": ["string", "null"]},
            },
            ["status", "success"],
        ),
        query=lambda args, ctx: [
            mutation_call(
                "openapi/call!",
                {
                    "client": args["client"],
                    "operation": args["operation"],
                    "params": args["params"],
                },
            )
        ],
        shape=shape,
        writes=True,
        destructive=True,
        idempotent=False,
        open_world=True,
    )


# --- query_eql -------------------------------------------------------------------------------


def parse_query(query: Any) -> Root:
    """Return the AST of an EQL query given as EDN text, JSON text of an array, or an array.

    A JSON array uses strings for attributes (``["system/healthy?", {"git/commits":
    ["git/hash"]}]``). Raises ``EQLSyntaxError`` / ``EQLError`` / ``InvalidInputError``.
    """
    from ouroboros.eql import parse

    if isinstance(query, list):
        return _query_data(query)
    if not isinstance(query, str) or not query.strip():
        raise InvalidInputError("query must be EQL text such as [:system/healthy?] or an array")
    try:
        return parse(query)
    except EQLError as exc:
        syntax_error = exc
    try:
        data = json.loads(query)
    except (ValueError, RecursionError):  # "[" * 10000 is too deep for json.loads
        data = None
    if not isinstance(data, list):  # not a JSON array either: the EQL error says what is wrong
        raise syntax_error
    return _query_data(data)


def _query_data(data: list[Any]) -> Root:
    """Return the AST of JSON query data (``ouroboros.eql.wire.query_from_json`` when present:
    it also reads params and mutations written as JSON objects)."""
    from ouroboros.eql import query_to_ast

    try:
        from_json = getattr(import_module("ouroboros.eql.wire"), "query_from_json", None)
    except ImportError:
        from_json = None
    return from_json(data) if from_json is not None else query_to_ast(data)


def _calls(nodes: Any) -> list[str]:
    """Return the mutation names anywhere in ``nodes`` (EQL allows them at the root)."""
    found: list[str] = []
    for node in nodes or ():
        if isinstance(node, Call):
            found.append(str(node.key))
        elif isinstance(node, Join):
            found.extend(_calls(node.children))
    return found


def _query_eql() -> Tool:
    def query(args: dict[str, Any], ctx: ToolContext) -> Any:
        root = parse_query(args["query"])
        calls = _calls(root.children)
        if calls:
            require_mutations_allowed(ctx, f"query_eql with mutation {', '.join(calls)}")
        return root

    return Tool(
        name="query_eql",
        title="Run an EQL query",
        description=(
            "Execute an EQL query over every resolver, e.g. [:system/healthy? {:git/commits "
            '[:git/hash :git/subject]}] or [{[:entity/name "Alice"] [:entity/type]}]. '
            "Read-only: mutations are refused unless the server allows them."
        ),
        input_schema=_input(
            {
                "query": {
                    "type": ["string", "array"],
                    "description": (
                        'EQL as EDN text, e.g. "[:system/status]" (or a JSON array of '
                        "attribute strings and joins)."
                    ),
                }
            },
            ["query"],
        ),
        output_schema=_output(
            {
                "result": {
                    "type": "object",
                    "description": "The EQL result as JSON: keys are attribute names, ident "
                    "keys their EDN text.",
                }
            },
            ["result"],
        ),
        query=query,
        shape=lambda result, args, ctx: {"result": wire(result)},
    )


def core_tools() -> list[Tool]:
    """Return the 13 core tools, in the original's order."""
    return [
        _system_status(),
        _system_report(),
        _git_commits(),
        _git_status(),
        _file_read(),
        _file_search(),
        _file_list(),
        _memory_get(),
        _memory_set(),
        _http_get(),
        _openapi_bootstrap(),
        _openapi_call(),
        _query_eql(),
    ]
