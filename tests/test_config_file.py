"""The configuration file: found by flag, environment or XDG; validated with errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ouroboros.config_file import ConfigFileError, config_file_path, load_config_file, section

GOOD = """
[[llm.providers]]
name = "local"
provider = "openai"
base_url = "http://127.0.0.1:8080/v1"
model = "smollm2"
timeout = 20

[[llm.providers]]
provider = "anthropic"
model = "claude-x"
api_key_env = "ANTHROPIC_API_KEY"

[llm.pricing."gpt-4o-mini"]
input_per_mtok = 0.15
output_per_mtok = 0.6

[agent]
max_iterations = 4
tools = ["agent"]

[agent.budgets]
daily_soft_tokens = 10
daily_hard_tokens = 20

[agent.budgets.callers."token:bot"]
daily_hard_tokens = 5

[agent.callers."token:bot"]
deny = ["http_get"]

[chat]
anything = "the chat adapters decide"

[[foreign]]
name = "other"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ouroboros.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    cfg = load_config_file(write(tmp_path, GOOD))
    assert [p["provider"] for p in cfg["llm"]["providers"]] == ["openai", "anthropic"]
    assert section(cfg, "agent.budgets")["daily_hard_tokens"] == 20
    assert section(cfg, "chat") == {"anything": "the chat adapters decide"}
    assert cfg["foreign"] == [{"name": "other"}]
    assert section(cfg, "no.such") == {}


def test_lookup_order(tmp_path: Path) -> None:
    env = {"OUROBOROS_CONFIG": str(tmp_path / "env.toml"), "XDG_CONFIG_HOME": str(tmp_path)}
    assert config_file_path("flag.toml", env) == (Path("flag.toml"), True)
    assert config_file_path(None, env) == (tmp_path / "env.toml", True)
    assert config_file_path(None, {"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "ouroboros" / "ouroboros.toml",
        False,
    )


def test_default_location_may_be_absent_but_a_named_file_may_not(tmp_path: Path) -> None:
    assert load_config_file(environ={"XDG_CONFIG_HOME": str(tmp_path)}) == {}
    (tmp_path / "ouroboros").mkdir()
    write(tmp_path / "ouroboros", GOOD)
    assert (
        load_config_file(environ={"XDG_CONFIG_HOME": str(tmp_path)})["agent"]["max_iterations"] == 4
    )
    with pytest.raises(ConfigFileError, match="no such configuration file") as info:
        load_config_file(environ={"OUROBOROS_CONFIG": str(tmp_path / "missing.toml")})
    assert info.value.details["file"].endswith("missing.toml")


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("[llm\n", None, "not valid TOML"),
        ("[nonsense]\n", "nonsense", "unknown table"),
        ("[[llm.providers]]\nprovider = 'gemini'\n", "llm.providers[0].provider", "must be one of"),
        ("[[llm.providers]]\ntimeout = -1\n", "llm.providers[0].timeout", "positive"),
        ("[[llm.providers]]\nmodle = 'x'\n", "llm.providers[0].modle", "unknown key"),
        (
            "[[llm.providers]]\nname='a'\n[[llm.providers]]\nname='a'\n",
            "llm.providers[1].name",
            "duplicate",
        ),
        ("[llm.pricing.m]\ninput_per_mtok = 'cheap'\n", "llm.pricing.m.input_per_mtok", ">= 0"),
        ("[agent]\nmax_iterations = true\n", "agent.max_iterations", "whole number"),
        ("[agent.budgets]\ndaily_hard = 3\n", "agent.budgets.daily_hard", "unknown key"),
        ("[agent.callers.bob]\ntools = 'all'\n", "agent.callers.bob.tools", "list of strings"),
        ("chat = 3\n", "chat", "must be a table"),
        ("foreign = 3\n", "foreign", "array of tables"),
    ],
)
def test_bad_files_name_the_file_and_key(
    tmp_path: Path, text: str, key: str | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigFileError, match=message) as info:
        load_config_file(path)
    assert info.value.key == key
    assert str(path) in info.value.message
    assert info.value.to_dict()["type"] == "ConfigFileError"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(b"\xff\xfe[llm]")
    with pytest.raises(ConfigFileError, match="UTF-8"):
        load_config_file(path)
