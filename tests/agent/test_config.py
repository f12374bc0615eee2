"""The agent's configuration: flags win over the environment, which wins over the file; keys hide."""

from __future__ import annotations

from pathlib import Path

import pytest

from ouroboros.agent.config import agent_config
from ouroboros.config_file import ConfigFileError

FILE = {
    "llm": {
        "providers": [
            {
                "name": "local",
                "provider": "openai",
                "base_url": "http://127.0.0.1:8080/v1",
                "model": "small",
                "timeout": 12,
            },
            {"provider": "anthropic", "model": "claude", "api_key_env": "MY_ANTHROPIC"},
        ],
        "pricing": {"gpt-*": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}},
    },
    "agent": {"max_iterations": 3, "tools": ["graph"], "budgets": {"daily_hard_tokens": 9}},
}


def test_the_file_alone() -> None:
    config = agent_config(FILE, environ={"MY_ANTHROPIC": "sk-ant-xyz-12345678"})
    first, second = config.providers
    assert (first.name, first.base_url, first.model, first.timeout) == (
        "local",
        "http://127.0.0.1:8080/v1",
        "small",
        12,
    )
    assert second.kind == "anthropic" and second.api_key is not None
    assert second.api_key.reveal() == "sk-ant-xyz-12345678"
    assert "xyz" not in repr(config) and "xyz" not in str(second.api_key)
    assert config.max_iterations == 3 and config.tools == ("graph",)
    assert config.budgets.limits_for("anyone") == (0, 9)
    assert config.price_for("gpt-4o") is not None and config.price_for("claude") is None


def test_environment_wins_over_the_file_and_flags_over_both() -> None:
    env = {
        "OUROBOROS_LLM_MODEL": "env-model",
        "OUROBOROS_LLM_BASE_URL": "http://127.0.0.1:1/v1",
        "OUROBOROS_LLM_API_KEY": "sk-env-000000000",
        "OUROBOROS_LLM_TOOL_CHOICE": "none",
    }
    config = agent_config(FILE, environ=env)
    first = config.providers[0]
    assert (first.name, first.model, first.base_url, first.timeout) == (
        "local",
        "env-model",
        "http://127.0.0.1:1/v1",
        12,
    )
    assert first.api_key is not None and first.api_key.reveal() == "sk-env-000000000"
    assert config.tool_choice == "none"
    config = agent_config(FILE, environ=env, model="flag-model", tool_choice="auto")
    assert config.providers[0].model == "flag-model" and config.tool_choice == "auto"
    assert len(config.providers) == 2  # the second provider stays for failover


def test_another_provider_kind_goes_first() -> None:
    config = agent_config(FILE, environ={}, provider="anthropic", model="claude-x")
    assert [p.kind for p in config.providers] == ["anthropic", "openai", "anthropic"]
    assert config.providers[0].base_url == "https://api.anthropic.com"


def test_no_file_no_environment() -> None:
    [only] = agent_config({}, environ={}).providers
    assert only.kind == "openai" and only.base_url == "https://api.openai.com/v1" and not only.model


def test_a_secrets_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("sk-file-987654321\n")
    file = {"llm": {"providers": [{"provider": "openai", "model": "m", "api_key_file": str(key)}]}}
    assert agent_config(file, environ={}).providers[0].api_key.reveal() == "sk-file-987654321"  # type: ignore[union-attr]
    file["llm"]["providers"][0]["api_key_file"] = str(tmp_path / "missing")
    with pytest.raises(ConfigFileError, match="api_key_file"):
        agent_config(file, environ={})
