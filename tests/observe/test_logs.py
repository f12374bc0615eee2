"""Structured logs: formats, request and trace ids on every line, redaction, ``--log-format``."""

from __future__ import annotations

import io
import json
import logging

import click
import pytest
from click.testing import CliRunner

from ouroboros.cli import main
from ouroboros.errors import InvalidInputError
from ouroboros.observe import logs, tracing
from ouroboros.observe.context import reset_request_id, set_request_id


def _line(fmt: str, record: logging.LogRecord) -> str:
    stream = io.StringIO()
    handler = logs.make_handler(fmt, stream)
    handler.handle(record)
    return stream.getvalue().strip()


def _access_record() -> logging.LogRecord:
    # The record uvicorn's access logger makes: (client, method, path with query, version, status)
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/graphql?query=x&token=s3cr3t&api_key=k3y", "1.1", 200),
        None,
    )


def test_json_lines_carry_request_and_trace_ids_and_redact_query_strings() -> None:
    token = set_request_id("req-1")
    try:
        with tracing.request_span("GET /graphql"):
            trace_id = tracing.current_trace_id()
            line = json.loads(_line("json", _access_record()))
    finally:
        reset_request_id(token)
    assert line["request_id"] == "req-1"
    assert line["trace_id"] == trace_id and len(trace_id) == 32
    assert "s3cr3t" not in json.dumps(line) and "k3y" not in json.dumps(line)
    assert line["http"]["path"].startswith("/graphql?query=x&token=%5Bredacted%5D")
    assert line["logger"] == "uvicorn.access" and line["level"] == "INFO"


def test_text_lines_show_ids_or_dashes() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "password=%s", ("hunter2",), None)
    line = _line("text", record)
    assert "[req=- trace=-]" in line and "hunter2" not in line and "WARNING" in line


def test_unknown_format_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInputError):
        logs.make_handler("xml")
    monkeypatch.setenv("OUROBOROS_LOG_FORMAT", "yaml")
    monkeypatch.setitem(logs._state, "format", None)
    with pytest.raises(InvalidInputError, match="OUROBOROS_LOG_FORMAT"):
        logs.current_format()


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in group.commands.items():
        out.append((prefix + name, command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, prefix + name + " "))
    return out


def test_every_subcommand_takes_log_format() -> None:
    commands = _commands(main)
    assert len(commands) > 10
    for name, command in commands:
        options = [o for p in command.params for o in getattr(p, "opts", [])]
        assert "--log-format" in options, name


def test_log_format_flag_and_env_configure_the_root_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logs._state["format"]
    try:
        result = CliRunner().invoke(main, ["parse", "[:a]", "--log-format", "json"])
        assert result.exit_code == 0, result.output
        assert isinstance(root.handlers[0].formatter, logs.JsonFormatter)
        monkeypatch.setenv("OUROBOROS_LOG_FORMAT", "text")
        result = CliRunner().invoke(main, ["parse", "[:a]"])
        assert result.exit_code == 0
        assert isinstance(root.handlers[0].formatter, logs.TextFormatter)
        bad = CliRunner().invoke(main, ["parse", "[:a]", "--log-format", "xml"])
        assert bad.exit_code == 2 and "xml" in bad.output
    finally:
        root.handlers[:], level, logs._state["format"] = saved[0], saved[1], saved[2]
        root.setLevel(level)
