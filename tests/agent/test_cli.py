"""`ouroboros agent`: one shot, --json, the REPL, --usage and clean errors, over a loopback stand-in
of an OpenAI-compatible server (see conftest.py; the real local model is in test_local_model.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ouroboros.cli import main
from ouroboros.store import open_store

from .conftest import OpenAIStandIn, speakers  # type: ignore[import-not-found]

SEARCH = {"tool_calls": [{"name": "search_nodes", "arguments": json.dumps({"query": "Alice"})}]}


def run(args: list[str], tmp_path: Path, input: str | None = None) -> Any:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "OUROBOROS_LLM_API_KEY": ""}
    return CliRunner().invoke(
        main, [*args, "--db", str(tmp_path / "cli.duckdb")], input=input, env=env
    )


def test_one_shot_json(tmp_path: Path, standin: Any) -> None:
    _server, url = standin(OpenAIStandIn, [SEARCH, {"content": "Nobody is known yet."}])
    out = run(
        [
            "agent",
            "Who is Alice?",
            "--json",
            "--base-url",
            f"{url}/v1",
            "--model",
            "m",
            "--conversation",
            "cli1",
        ],
        tmp_path,
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["answer"] == "Nobody is known yet."
    assert set(data["usage"]) >= {"input_tokens", "output_tokens", "total_tokens", "cost_usd"}
    [call] = data["tool_calls"]
    assert set(call) == {"name", "arguments", "result", "ms"} and call["name"] == "search_nodes"
    store = open_store(str(tmp_path / "cli.duckdb"))
    try:
        assert speakers(store, "cli1") == ["user", "assistant", "tool", "assistant"]
    finally:
        store.close()
    usage = run(["agent", "--usage", "--json"], tmp_path)
    assert json.loads(usage.stdout)[0]["total-tokens"] == data["usage"]["total_tokens"]


def test_one_shot_streams_and_prints_usage(tmp_path: Path, standin: Any) -> None:
    _, url = standin(OpenAIStandIn, [{"content": "Hello there"}])
    out = run(["agent", "hi", "--base-url", f"{url}/v1", "--model", "m"], tmp_path)
    assert out.exit_code == 0, out.output
    assert out.stdout.strip() == "Hello there"
    assert "tokens" in out.stderr


def test_repl_keeps_the_conversation(tmp_path: Path, standin: Any) -> None:
    server, url = standin(OpenAIStandIn, [{"content": "first"}, {"content": "second"}])
    out = run(
        ["agent", "--base-url", f"{url}/v1", "--model", "m"], tmp_path, input="one\n\ntwo\nexit\n"
    )
    assert out.exit_code == 0, out.output
    assert "first" in out.stdout and "second" in out.stdout
    roles = [m["role"] for m in server.requests[1]["body"]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]


def test_errors_are_one_line(tmp_path: Path) -> None:
    out = run(["agent", "hi", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], tmp_path)
    assert out.exit_code == 1
    assert out.stderr.startswith("error: ProviderDownError: provider 'openai:m' is unreachable")
    assert len(out.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text("[[llm.providers]]\nprovider = 'gemini'\n")
    out = run(["agent", "hi", "--config", str(bad), "--json"], tmp_path)
    assert out.exit_code == 1
    assert json.loads(out.stdout)["error"]["details"]["key"] == "llm.providers[0].provider"
