"""The configuration file ``ouroboros.toml``: found, parsed with tomllib, and validated.

Where it is looked for, first match wins:

1. the ``path`` argument (the ``--config`` flag);
2. ``$OUROBOROS_CONFIG``;
3. ``$XDG_CONFIG_HOME/ouroboros/ouroboros.toml`` (``~/.config/...`` when unset).

A file named by 1 or 2 must exist; the default location may be absent (an empty configuration).
Tables the file may hold (anything else is refused, so a typo does not pass silently)::

    [[llm.providers]]          # several, tried in order (failover)
    name = "local"             # how errors, logs and usage name it (default: provider[:model])
    provider = "openai"        # "openai" (any OpenAI-compatible server) or "anthropic"
    base_url = "http://127.0.0.1:8080/v1"
    model = "smollm2"
    api_key_env = "OPENAI_API_KEY"   # the key comes from this variable ...
    api_key_file = "~/.config/ouroboros/openai.key"   # ... or from this secrets file
    timeout = 30               # seconds per model call (also bounds a hanging server)
    max_retries = 2            # on 429 / 5xx / connection errors, honouring retry-after
    tool_choice = "auto"       # auto | required | none | a tool name
    max_output_tokens = 1024
    headers = { "X-Extra" = "value" }

    [llm.pricing."gpt-4o-mini"]      # USD per million tokens, for the cost estimate
    input_per_mtok = 0.15
    output_per_mtok = 0.60

    [agent]                    # the loop's bounds and tools
    max_iterations = 8
    max_seconds = 120
    max_tokens = 50000
    tools = ["agent"]
    deny = []
    recall_budget_tokens = 600
    system_prompt = "..."

    [agent.budgets]            # per caller, per UTC day
    daily_soft_tokens = 200000 # warn past this
    daily_hard_tokens = 500000 # refuse the next call past this
    [agent.budgets.callers."token:bot"]
    daily_hard_tokens = 10000

    [agent.callers."token:bot"]      # per-caller tool allow/deny (deny wins)
    tools = ["chat-safe"]
    deny = ["http_get"]

    [chat]                     # the chat adapters' table (validated by ouroboros.chat)
    [[foreign]]                # foreign sources (validated by ouroboros.plugins)

Errors are ``ConfigFileError`` (an ``InvalidInputError``) naming the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ouroboros.errors import InvalidInputError

__all__ = [
    "ConfigFileError",
    "config_file_path",
    "load_config_file",
    "section",
]

PROVIDER_KINDS = ("openai", "anthropic")

Check = Callable[[Any], str | None]
"""A field check: returns what is wrong with a value, or None when it is fine."""


class ConfigFileError(InvalidInputError):
    """A configuration file that cannot be read or does not validate; names the file and key."""

    def __init__(self, file: str | os.PathLike[str], key: str | None, message: str) -> None:
        where = f"{file}: {key}: " if key else f"{file}: "
        details: dict[str, Any] = {"file": str(file)}
        if key:
            details["key"] = key
        super().__init__(where + message, details=details)
        self.file = str(file)
        self.key = key


def config_file_path(
    path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Path, bool]:
    """Return ``(path, explicit)``: where the configuration file is, and whether it was named."""
    env = os.environ if environ is None else environ
    if path:
        return Path(path).expanduser(), True
    if env.get("OUROBOROS_CONFIG"):
        return Path(env["OUROBOROS_CONFIG"]).expanduser(), True
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "ouroboros" / "ouroboros.toml", False


def load_config_file(
    path: str | os.PathLike[str] | None = None, *, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return the validated configuration file as a dict (``{}`` when the default file is absent).

    Raises ConfigFileError when a named file is missing or unreadable, is not valid TOML, or
    holds an unknown table or key or a value of the wrong type.
    """
    where, explicit = config_file_path(path, environ)
    try:
        raw = where.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigFileError(where, None, "no such configuration file") from None
        return {}
    except OSError as exc:
        raise ConfigFileError(where, None, f"cannot read it: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigFileError(where, None, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(where, None, f"not valid TOML: {exc}") from None
    _validate(data, where)
    return data


def section(config: Mapping[str, Any], dotted: str) -> dict[str, Any]:
    """Return the table at ``dotted`` (``"agent.budgets"``) in a loaded configuration, or ``{}``."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return {}
        node = node.get(part, {})
    return dict(node) if isinstance(node, Mapping) else {}


# --- validation ----------------------------------------------------------------------------


def _is_str(v: Any) -> str | None:
    return None if isinstance(v, str) and v else "must be a non-empty string"


def _is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _positive(v: Any) -> str | None:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
    return None if ok else "must be a positive number"


def _count(v: Any) -> str | None:
    ok = isinstance(v, int) and not isinstance(v, bool) and v >= 0
    return None if ok else "must be a whole number >= 0"


def _non_negative(v: Any) -> str | None:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
    return None if ok else "must be a number >= 0"


def _str_list(v: Any) -> str | None:
    ok = isinstance(v, list) and all(isinstance(x, str) and x for x in v)
    return None if ok else "must be a list of strings"


def _str_table(v: Any) -> str | None:
    ok = isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
    return None if ok else "must be a table of strings"


def _provider_kind(v: Any) -> str | None:
    return None if v in PROVIDER_KINDS else f"must be one of {', '.join(PROVIDER_KINDS)}"


PROVIDER_FIELDS: dict[str, Check] = {
    "name": _is_str,
    "provider": _provider_kind,
    "base_url": _is_str,
    "model": _is_str,
    "api_key_env": _is_str,
    "api_key_file": _is_str,
    "timeout": _positive,
    "connect_timeout": _positive,
    "max_retries": _count,
    "tool_choice": _is_str,
    "max_output_tokens": _count,
    "temperature": _non_negative,
    "headers": _str_table,
    "stream": _is_bool,
    "enabled": _is_bool,
    "anthropic_version": _is_str,
}
PRICE_FIELDS: dict[str, Check] = {"input_per_mtok": _non_negative, "output_per_mtok": _non_negative}
AGENT_FIELDS: dict[str, Check] = {
    "max_iterations": _count,
    "max_seconds": _positive,
    "max_tokens": _count,
    "tools": _str_list,
    "deny": _str_list,
    "recall_budget_tokens": _count,
    "system_prompt": _is_str,
    "store_conversations": _is_bool,
}
BUDGET_FIELDS: dict[str, Check] = {"daily_soft_tokens": _count, "daily_hard_tokens": _count}
CALLER_FIELDS: dict[str, Check] = {"tools": _str_list, "deny": _str_list}
TOP_LEVEL = ("llm", "agent", "chat", "foreign")


def _fields(table: Any, fields: Mapping[str, Check], key: str, where: Path) -> None:
    if not isinstance(table, dict):
        raise ConfigFileError(where, key, "must be a table")
    for name, value in table.items():
        check = fields.get(name)
        if check is None:
            raise ConfigFileError(
                where, f"{key}.{name}", f"unknown key (known: {', '.join(fields)})"
            )
        problem = check(value)
        if problem:
            raise ConfigFileError(where, f"{key}.{name}", problem)


def _table(value: Any, key: str, where: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigFileError(where, key, "must be a table")
    return value


def _validate(data: dict[str, Any], where: Path) -> None:
    for name in data:
        if name not in TOP_LEVEL:
            raise ConfigFileError(where, name, f"unknown table (known: {', '.join(TOP_LEVEL)})")
    if "llm" in data:
        _validate_llm(_table(data["llm"], "llm", where), where)
    if "agent" in data:
        _validate_agent(_table(data["agent"], "agent", where), where)
    if "chat" in data:
        _table(data["chat"], "chat", where)
    if "foreign" in data:
        foreign = data["foreign"]
        if not isinstance(foreign, list) or not all(isinstance(f, dict) for f in foreign):
            raise ConfigFileError(where, "foreign", "must be an array of tables ([[foreign]])")


def _validate_llm(llm: dict[str, Any], where: Path) -> None:
    for name in llm:
        if name not in ("providers", "pricing"):
            raise ConfigFileError(where, f"llm.{name}", "unknown key (known: providers, pricing)")
    providers = llm.get("providers", [])
    if not isinstance(providers, list):
        raise ConfigFileError(where, "llm.providers", "must be an array of tables")
    seen: set[str] = set()
    for i, entry in enumerate(providers):
        key = f"llm.providers[{i}]"
        _fields(entry, PROVIDER_FIELDS, key, where)
        name = entry.get("name")
        if name is not None:
            if name in seen:
                raise ConfigFileError(where, f"{key}.name", f"duplicate provider name {name!r}")
            seen.add(name)
    pricing = _table(llm.get("pricing", {}), "llm.pricing", where)
    for model, price in pricing.items():
        _fields(price, PRICE_FIELDS, f"llm.pricing.{model}", where)


def _validate_agent(agent: dict[str, Any], where: Path) -> None:
    for name, value in agent.items():
        if name == "budgets":
            budgets = _table(value, "agent.budgets", where)
            callers = budgets.get("callers", {})
            _fields(
                {k: v for k, v in budgets.items() if k != "callers"},
                BUDGET_FIELDS,
                "agent.budgets",
                where,
            )
            for caller, limits in _table(callers, "agent.budgets.callers", where).items():
                _fields(limits, BUDGET_FIELDS, f"agent.budgets.callers.{caller}", where)
        elif name == "callers":
            for caller, rules in _table(value, "agent.callers", where).items():
                _fields(rules, CALLER_FIELDS, f"agent.callers.{caller}", where)
        else:
            _fields({name: value}, AGENT_FIELDS, "agent", where)
