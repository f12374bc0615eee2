"""Foreign sources: another Ouroboros, a GraphQL API or an MCP server as generated resolvers.

A ``[[foreign]]`` table in ``ouroboros.toml`` (or ``settings.extra["foreign"]``) names a
source: ``name``, ``kind`` (``ouroboros`` | ``graphql`` | ``mcp``), ``url`` (for ``mcp``:
``url`` or ``command``, see ``foreign_mcp.py``), and optionally
``token_env`` (the environment variable holding its bearer token), ``timeout`` (seconds, per
call; default 5), ``namespaces`` (only these attribute namespaces) and ``link`` (a table
``"foreign/attr" = "local/attr"``: the local attribute supplies the foreign input). Each
source loads as the plugin ``foreign-<name>``: its index is read once at start, and its
attributes join ours, so the planner routes parts of one query to it. Every batch of entities
is one request. A source that cannot be reached at start is refused like a bad plugin; a call
that fails or times out fails only its attributes (``ouroboros/errors`` in lenient mode).

- ``ouroboros``: ``GET /index``; each remote resolver with no input or one input attribute
  whose outputs we do not already have becomes a batch resolver that sends one ``POST /eql``
  with an ident join per entity.
- ``graphql``: introspection; a root field with no required argument and a scalar type is the
  global attribute ``<name>/<field>``; a root field with one required scalar argument returning
  an object is an ident entry point: input ``<name>.<type>/<arg>``, outputs
  ``<name>.<type>/<field>`` for its scalar fields, a batch being one query with aliases.

Built as generated resolvers with params through the public ``resolver(...)`` API (the
engine's dynamic resolvers had not landed when this was written). Foreign URLs are the operator's configuration, so they are not held to the SSRF
guard that protects tool calls.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jsonschema

from ouroboros.errors import ForeignSourceError, InvalidInputError
from ouroboros.observe import tracing
from ouroboros.observe.redact import redact_url

__all__ = [
    "FOREIGN_SCHEMA",
    "ForeignSourceError",
    "check_source",
    "foreign_operations",
    "foreign_sources",
    "source_origin",
]

log = logging.getLogger(__name__)

FOREIGN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "kind"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z][a-z0-9-]{0,40}$"},
        "kind": {"enum": ["ouroboros", "graphql", "mcp"]},
        "url": {"type": "string", "pattern": r"^https?://"},
        "command": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
        "env": {"type": "object", "additionalProperties": {"type": "string"}},
        "tools": {"type": "array", "items": {"type": "string"}},
        "token_env": {"type": "string"},
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 600},
        "namespaces": {"type": "array", "items": {"type": "string"}},
        "link": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": "mcp"}}},
            "then": {
                "oneOf": [{"required": ["url"]}, {"required": ["command"]}],
                "not": {"required": ["url", "command"]},
            },
            "else": {
                "required": ["url"],
                "not": {"anyOf": [{"required": ["command"]}, {"required": ["env"]}]},
            },
        }
    ],
}
_VALIDATOR = jsonschema.Draft202012Validator(FOREIGN_SCHEMA)


def foreign_sources(settings: Any) -> list[dict[str, Any]]:
    """Return the configured ``[[foreign]]`` tables (``settings.extra["foreign"]``, else the
    configuration file's)."""
    extra = getattr(settings, "extra", None) or {}
    if "foreign" in extra:
        return [dict(s) for s in extra["foreign"]]
    from ouroboros.config_file import load_config_file

    return [dict(s) for s in load_config_file().get("foreign", [])]


class _Client:
    """One source's HTTP client: bearer token, timeout, JSON in and out."""

    def __init__(self, source: Mapping[str, Any]) -> None:
        self.name = source["name"]
        self.url = source["url"].rstrip("/")
        self.timeout = float(source.get("timeout", 5.0))
        self.headers = {"accept": "application/json"}
        env = source.get("token_env")
        if env:
            token = os.environ.get(env)
            if not token:
                raise InvalidInputError(f"foreign source {self.name!r}: ${env} is not set")
            self.headers["authorization"] = f"Bearer {token}"

    def call(self, method: str, url: str, body: Any = None) -> Any:
        import httpx2 as httpx

        attrs = {
            "http.request.method": method,
            "url.full": redact_url(url),
            "ouroboros.foreign": self.name,
        }
        try:
            with (
                tracing.client_span(f"foreign {self.name}", attrs),
                httpx.Client(timeout=self.timeout, headers=self.headers) as http,
            ):
                resp = http.request(method, url, json=body, headers=tracing.outbound_headers())
        except httpx.TimeoutException:
            raise ForeignSourceError(
                f"foreign source {self.name!r}: no answer from {url} in {self.timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise ForeignSourceError(f"foreign source {self.name!r}: {url}: {exc}") from None
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code >= 400 or data is None:
            raise ForeignSourceError(
                f"foreign source {self.name!r}: {url} answered {resp.status_code}",
                details={"source": self.name, "status": resp.status_code},
            )
        return data


def _wanted(attr: str, namespaces: Sequence[str] | None) -> bool:
    return not namespaces or attr.split("/", 1)[0] in namespaces


def _ouroboros_ops(source: Mapping[str, Any], client: _Client, local: set[str]) -> list[Any]:
    from ouroboros import document, resolver
    from ouroboros.connect.operations import first_line
    from ouroboros.eql import Keyword, parse, to_edn

    index = client.call("GET", f"{client.url}/index")
    namespaces = source.get("namespaces")
    ops: list[Any] = []
    for remote in index.get("resolvers", []):
        out_root = parse(remote["output"])
        outputs = [
            c
            for c in out_root.children
            if str(c.key) not in local and not str(c.key).startswith("ouroboros.")
        ]
        outputs = [c for c in outputs if _wanted(str(c.key), namespaces)]
        inputs = [str(c.key) for c in parse(remote["input"]).children]
        if not outputs or len(inputs) > 1 or str(remote["name"]).startswith("ouroboros.index"):
            continue
        out_text = "[" + " ".join(to_edn(c) for c in outputs) + "]"
        name = f"foreign.{client.name}/{remote['name']}"
        doc = f"From {client.name} ({client.url}): {remote.get('doc') or remote['name']}"

        def fetch(
            items: list[dict[str, Any]], _in: list[str] = inputs, _out: str = out_text
        ) -> Any:
            if not _in:
                data = client.call("POST", f"{client.url}/eql", {"query": _out})
                return [data for _ in items]
            idents = [(Keyword(_in[0]), item[_in[0]]) for item in items]
            query = "[" + " ".join(f"{{{to_edn(i)} {_out}}}" for i in idents) + "]"
            data = client.call("POST", f"{client.url}/eql", {"query": query})
            return [data.get(to_edn(i), {}) for i in idents]

        ops.append(
            resolver(
                fetch,
                name=name,
                input=inputs,
                output=out_text,
                batch=True,
                timeout=client.timeout * 2,
                blocking=True,
                doc=doc,
            )
        )
    # The remote's own attribute descriptions, else a line naming the source.
    docs = {
        str(a["name"]): f"From {client.name}: {first_line(str(a.get('doc') or ''))}"
        if a.get("doc")
        else f"From the foreign source {client.name} ({client.url})."
        for a in index.get("attributes", [])
    }
    return document(ops, docs) if docs else ops


_INTROSPECT = """{ __schema { queryType { name } types { name kind fields {
  name description args { name type { kind name ofType { kind name } } }
  type { kind name ofType { kind name ofType { kind name } } } } } } }"""


def _unwrap(tp: Mapping[str, Any]) -> tuple[str, str | None]:
    while tp.get("kind") in ("NON_NULL", "LIST") and tp.get("ofType"):
        tp = tp["ofType"]
    return tp.get("kind", ""), tp.get("name")


def _described(source: str, where: str, field: Mapping[str, Any]) -> str:
    """Return a foreign GraphQL field's one-line description (its own, else where it is)."""
    from ouroboros.connect.operations import first_line

    own = first_line(str(field.get("description") or ""))
    return f"From {source}: {own}" if own else f"From {source}: {where}."


def _graphql_ops(source: Mapping[str, Any], client: _Client) -> list[Any]:
    from ouroboros import resolver

    schema = client.call("POST", client.url, {"query": _INTROSPECT})["data"]["__schema"]
    types = {t["name"]: t for t in schema["types"]}
    root = types[schema["queryType"]["name"]]
    name = client.name
    ops: list[Any] = []
    for fld in root.get("fields") or []:
        kind, tname = _unwrap(fld["type"])
        required = [a for a in fld["args"] if a["type"]["kind"] == "NON_NULL"]
        if kind in ("SCALAR", "ENUM") and not required:
            attr = f"{name}/{fld['name']}"
            if not _wanted(attr, source.get("namespaces")):
                continue

            def scalar(items: list[dict[str, Any]], _f: str = fld["name"], _a: str = attr) -> Any:
                data = client.call("POST", client.url, {"query": f"{{ {_f} }}"})
                _raise_errors(client, data)
                return [{_a: data["data"][_f]} for _ in items]

            ops.append(
                resolver(
                    scalar,
                    name=f"foreign.{name}/{fld['name']}",
                    output=[attr],
                    batch=True,
                    timeout=client.timeout * 2,
                    blocking=True,
                    doc=f"From {name} ({client.url}): Query.{fld['name']}",
                    docs={attr: _described(name, f"Query.{fld['name']}", fld)},
                )
            )
        elif kind == "OBJECT" and len(fld["args"]) == 1 and len(required) == 1 and tname:
            obj = types.get(tname) or {}
            scalars = [
                f["name"]
                for f in obj.get("fields") or []
                if _unwrap(f["type"])[0] in ("SCALAR", "ENUM")
            ]
            ns = f"{name}.{tname.lower()}"
            if not scalars or not _wanted(ns, source.get("namespaces")):
                continue
            arg = fld["args"][0]["name"]
            in_attr = f"{ns}/{arg}"
            outs = [f"{ns}/{s}" for s in scalars if f"{ns}/{s}" != in_attr]

            def entry(
                items: list[dict[str, Any]],
                _f: str = fld["name"],
                _arg: str = arg,
                _in: str = in_attr,
                _ns: str = ns,
                _fields: tuple[str, ...] = tuple(scalars),
            ) -> Any:
                import json

                body = " ".join(
                    f"a{i}: {_f}({_arg}: {json.dumps(item[_in])}) {{ {' '.join(_fields)} }}"
                    for i, item in enumerate(items)
                )
                data = client.call("POST", client.url, {"query": f"{{ {body} }}"})
                _raise_errors(client, data)
                answers = data.get("data") or {}
                return [
                    {
                        f"{_ns}/{k}": v
                        for k, v in (answers.get(f"a{i}") or {}).items()
                        if f"{_ns}/{k}" != _in
                    }
                    for i in range(len(items))
                ]

            ops.append(
                resolver(
                    entry,
                    name=f"foreign.{name}/{fld['name']}",
                    input=[in_attr],
                    output=outs,
                    batch=True,
                    timeout=client.timeout * 2,
                    blocking=True,
                    doc=f"From {name} ({client.url}): Query.{fld['name']}({arg})",
                    docs={
                        in_attr: f"From {name}: the {arg} argument of Query.{fld['name']}.",
                        **{
                            f"{ns}/{f['name']}": _described(name, f"{tname}.{f['name']}", f)
                            for f in obj.get("fields") or []
                            if f"{ns}/{f['name']}" in outs
                        },
                    },
                )
            )
    return ops


def _raise_errors(client: _Client, data: Mapping[str, Any]) -> None:
    errors = data.get("errors")
    if errors and not data.get("data"):
        message = "; ".join(str(e.get("message")) for e in errors[:3])
        raise ForeignSourceError(f"foreign source {client.name!r}: {message}")


def _link_ops(source: Mapping[str, Any]) -> list[Any]:
    from ouroboros import resolver

    ops = []
    for foreign_attr, local_attr in (source.get("link") or {}).items():

        def link(data: dict[str, Any], _f: str = foreign_attr, _l: str = local_attr) -> Any:
            return {_f: data[_l]}

        ops.append(
            resolver(
                link,
                name=f"foreign.{source['name']}/link-{foreign_attr}",
                input=[local_attr],
                output=[foreign_attr],
                doc=f"The local {local_attr} names the foreign {foreign_attr}.",
            )
        )
    return ops


def source_origin(source: Mapping[str, Any]) -> str:
    """Where a source is, for its plugin's origin: ``foreign <kind> <url or command>``."""
    where = source.get("url")
    if where is None and isinstance(source.get("command"), list):
        where = " ".join(str(c) for c in source["command"])
    return f"foreign {source.get('kind', '?')} {where or '?'}"


def check_source(source: Mapping[str, Any]) -> None:
    """Raise ``InvalidInputError`` naming the first problem of a ``[[foreign]]`` table."""
    errors = sorted(_VALIDATOR.iter_errors(dict(source)), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.absolute_path) or "(table)"
        message = first.message
        if first.validator in ("oneOf", "not") and source.get("kind") == "mcp":
            message = "an mcp source needs exactly one of url or command"
        elif first.validator == "not":
            message = "command and env are for kind = 'mcp' only"
        raise InvalidInputError(f"[[foreign]] {where}: {message}")


def foreign_operations(
    source: Mapping[str, Any],
    local: set[str],
    on_close: list[Callable[[], None]] | None = None,
) -> list[Any]:
    """Return the generated resolvers (and, for MCP, mutations) of one ``[[foreign]]`` source.

    An MCP source's session stays open for the calls; its ``close`` is appended to
    ``on_close`` (closed here when loading fails). Raises ``InvalidInputError`` for a table
    against the schema, ``ForeignSourceError`` when the source cannot be read at start.
    """
    check_source(source)
    if source["kind"] == "mcp":
        from ouroboros.plugins.foreign_mcp import McpSession, mcp_operations

        session = McpSession(source)
        try:
            session.start()
            ops = mcp_operations(source, session)
        except BaseException:
            session.close()
            raise
        if on_close is not None:
            on_close.append(session.close)
        return [*ops, *_link_ops(source)]
    client = _Client(source)
    if source["kind"] == "ouroboros":
        ops = _ouroboros_ops(source, client, local)
    else:
        ops = _graphql_ops(source, client)
    return [*ops, *_link_ops(source)]
