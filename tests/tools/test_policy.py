"""Tool governance: sets, allow/deny, caller scopes, the sliding-window rate limiter."""

from __future__ import annotations

import pytest

from ouroboros.errors import InvalidInputError, RateLimitedError
from ouroboros.tools.policy import (
    AGENT_TOOLS,
    CHAT_SAFE_TOOLS,
    CORE_TOOLS,
    Caller,
    RateLimiter,
    resolve_tool_names,
)


def test_sets_match_the_original() -> None:
    assert len(CORE_TOOLS) == 13
    assert len(CHAT_SAFE_TOOLS) == 11
    assert "openapi_call" not in CHAT_SAFE_TOOLS and "openapi_bootstrap" not in CHAT_SAFE_TOOLS
    assert len(AGENT_TOOLS) == 6 and set(AGENT_TOOLS) <= set(CORE_TOOLS)


def test_resolve_names_sets_and_deny() -> None:
    names = resolve_tool_names(["chat-safe"], ["query_eql"], CORE_TOOLS)
    assert "query_eql" not in names and "file_read" in names and len(names) == 10
    assert resolve_tool_names(["all"], [], ["a", "b"]) == ("a", "b")
    assert resolve_tool_names(["b"], [], ["a", "b"]) == ("b",)


@pytest.mark.parametrize("bad", [["nope"], ["chat_safe"]])
def test_unknown_selection_is_refused(bad: list[str]) -> None:
    with pytest.raises(InvalidInputError, match="unknown tool or tool set"):
        resolve_tool_names(bad, [], CORE_TOOLS)


def test_caller_scopes() -> None:
    assert Caller().can("write")
    reader = Caller(id="r", scopes=frozenset({"read"}))
    assert reader.can("read") and not reader.can("write")
    assert Caller(scopes=frozenset({"admin"})).can("write")


def test_rate_limiter_sliding_window() -> None:
    now = [1000.0]
    limiter = RateLimiter(3, window=60.0, clock=lambda: now[0])
    assert [limiter.check("a") for _ in range(3)] == [2, 1, 0]
    with pytest.raises(RateLimitedError) as info:
        limiter.check("a")
    assert info.value.details["limit"] == 3
    assert 59.0 <= info.value.details["retry_after"] <= 60.0
    assert limiter.check("b") == 2  # per caller
    now[0] += 60.5  # the window slides: old calls fall out
    assert limiter.check("a") == 2


def test_rate_limiter_zero_disables() -> None:
    limiter = RateLimiter(0)
    for _ in range(1000):
        limiter.check("x")
