"""Tool governance: who is calling, which tools are enabled, scopes, and per-caller rate limits."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ouroboros.errors import InvalidInputError, RateLimitedError

__all__ = [
    "AGENT_TOOLS",
    "CHAT_SAFE_TOOLS",
    "CORE_TOOLS",
    "GRAPH_TOOLS",
    "SCOPES",
    "TOOL_SETS",
    "Caller",
    "RateLimiter",
    "resolve_tool_names",
]

CORE_TOOLS: tuple[str, ...] = (
    "system_status",
    "system_report",
    "git_commits",
    "git_status",
    "file_read",
    "file_search",
    "file_list",
    "memory_get",
    "memory_set",
    "http_get",
    "openapi_bootstrap",
    "openapi_call",
    "query_eql",
)
# The original's "chat-safe" set: every core tool except the two OpenAPI tools.
CHAT_SAFE_TOOLS: tuple[str, ...] = tuple(
    t for t in CORE_TOOLS if t not in {"openapi_bootstrap", "openapi_call"}
)
# The original agent's default enabled tools.
AGENT_TOOLS: tuple[str, ...] = (
    "file_read",
    "git_status",
    "system_status",
    "http_get",
    "memory_get",
    "query_eql",
)
# The official MCP memory server's 9 tools, then what it lacks.
GRAPH_TOOLS: tuple[str, ...] = (
    "create_entities",
    "create_relations",
    "add_observations",
    "delete_entities",
    "delete_observations",
    "delete_relations",
    "read_graph",
    "search_nodes",
    "open_nodes",
    "rename_entity",
    "graph_neighbours",
    "graph_path",
)
TOOL_SETS: dict[str, tuple[str, ...]] = {
    "core": CORE_TOOLS,
    "chat-safe": CHAT_SAFE_TOOLS,
    "agent": AGENT_TOOLS,
    "graph": GRAPH_TOOLS,
    "memory": GRAPH_TOOLS[:9],
    # recall, ingest, invalidate_*, entity_history, purge, identity (ouroboros.tools.memory_pack)
    "recall": (
        "recall",
        "ingest",
        "invalidate_observations",
        "invalidate_relations",
        "entity_history",
        "purge",
        "resolve_names",
        "add_aliases",
        "merge_entities",
        "near_duplicates",
    ),
}

SCOPES: tuple[str, ...] = ("read", "write", "admin")


def resolve_tool_names(
    selection: Iterable[str], deny: Iterable[str], available: Iterable[str]
) -> tuple[str, ...]:
    """Return the enabled tool names: named sets and names in ``selection``, minus ``deny``.

    ``"all"`` means every available tool. An unknown set or tool name is an InvalidInputError
    (a typo in configuration should not silently disable a tool).
    """
    known = list(available)
    known_set = set(known)
    chosen: set[str] = set()
    for item in selection:
        if item == "all":
            chosen.update(known)
        elif item in TOOL_SETS:
            chosen.update(n for n in TOOL_SETS[item] if n in known_set)
        elif item in known_set:
            chosen.add(item)
        else:
            raise InvalidInputError(
                f"unknown tool or tool set {item!r}; sets: {', '.join(['all', *TOOL_SETS])}"
            )
    for item in deny:
        if item in TOOL_SETS:
            chosen.difference_update(TOOL_SETS[item])
        elif item in known_set:
            chosen.discard(item)
        else:
            raise InvalidInputError(f"unknown tool or tool set {item!r} in the deny list")
    return tuple(n for n in known if n in chosen)


@dataclass(frozen=True)
class Caller:
    """Who is calling: an id for rate limits and audit, and the scopes the caller holds.

    Local callers (stdio MCP, the CLI, a loopback server without tokens) hold every scope.
    """

    id: str = "local"
    scopes: frozenset[str] = field(default_factory=lambda: frozenset(SCOPES))
    transport: str = "local"

    def can(self, scope: str) -> bool:
        """Return whether the caller holds ``scope`` (``admin`` implies every scope)."""
        return scope in self.scopes or "admin" in self.scopes


class RateLimiter:
    """A sliding-window limiter: at most ``limit`` calls per ``window`` seconds per key."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 0:
            raise InvalidInputError("rate limit must be >= 0 (0 disables it)")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> int:
        """Record one call for ``key``; return the calls left, or raise RateLimitedError."""
        if self.limit == 0:
            return -1
        now = self._clock()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            horizon = now - self.window
            while calls and calls[0] <= horizon:
                calls.popleft()
            if len(calls) >= self.limit:
                retry_after = max(0.0, calls[0] + self.window - now)
                raise RateLimitedError(
                    f"rate limit exceeded for {key!r}: {self.limit} calls per "
                    f"{self.window:g} s; retry after {retry_after:.1f} s",
                    details={"limit": self.limit, "retry_after": round(retry_after, 3)},
                )
            calls.append(now)
            return self.limit - len(calls)
