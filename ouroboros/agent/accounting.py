"""Accounting: token use and cost per model call, and per-caller daily budgets (soft, hard).

Each model call is recorded in the store as an ``agent-usage`` telemetry event named by the
caller (see ``ouroboros.resolvers.agent``), so ``:agent/usage``, the CLI and the budgets all
read one record. The ledger reads a caller's spend for the UTC day from the store once, then
keeps counting in memory; another process's calls are seen at its next day or restart (the
store is the record, this cache only saves reading it before every call).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ouroboros.agent.config import AgentConfig
from ouroboros.agent.messages import Usage
from ouroboros.errors import BudgetExceededError
from ouroboros.resolvers.agent import MAX_USAGE_EVENTS, USAGE_KIND, usage_rows

__all__ = ["UsageLedger", "utc_day"]

log = logging.getLogger(__name__)


def utc_day() -> str:
    """Return today's UTC date as ``YYYY-MM-DD``."""
    return datetime.now(UTC).strftime("%Y-%m-%d")


class UsageLedger:
    """Per-caller daily token spend: checked before each model call, added after it."""

    def __init__(
        self, store: Any, config: AgentConfig, *, today: Callable[[], str] = utc_day
    ) -> None:
        self.store = store
        self.config = config
        self._today = today
        self._spent: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def spent(self, caller_id: str) -> int:
        """Return the tokens ``caller_id`` has used today."""
        day = self._today()
        with self._lock:
            if (day, caller_id) in self._spent:
                return self._spent[(day, caller_id)]
        total = 0
        if self.store is not None:
            events = self.store.events(MAX_USAGE_EVENTS, USAGE_KIND, caller_id)
            total = sum(
                r["total_tokens"] for r in usage_rows(events, since_day=day) if r["day"] == day
            )
        with self._lock:
            return self._spent.setdefault((day, caller_id), total)

    def check(self, caller_id: str) -> str | None:
        """Return a warning past the soft limit; raise BudgetExceededError at the hard limit."""
        soft, hard = self.config.budgets.limits_for(caller_id)
        if not soft and not hard:
            return None
        spent = self.spent(caller_id)
        if hard and spent >= hard:
            raise BudgetExceededError(
                f"the daily token budget of {caller_id!r} is spent: {spent} of {hard} tokens "
                "today (UTC); the next model call is refused",
                details={"caller": caller_id, "spent": spent, "hard_limit": hard},
            )
        if soft and spent >= soft:
            message = f"{caller_id!r} has used {spent} tokens today, past the soft limit of {soft}"
            log.warning("%s", message)
            return message
        return None

    def cost(self, model: str, usage: Usage) -> float | None:
        """Return the estimated cost in USD of ``usage`` on ``model`` (None: no price known)."""
        price = self.config.price_for(model)
        if price is None:
            return None
        return round(price.cost(usage.input_tokens, usage.output_tokens), 8)

    def record(
        self, caller_id: str, *, provider: str, model: str, usage: Usage, ms: float
    ) -> float | None:
        """Record one model call's usage for ``caller_id``; return its cost estimate."""
        cost = self.cost(model, usage)
        day = self._today()
        self.spent(caller_id)
        with self._lock:
            key = (day, caller_id)
            self._spent[key] = self._spent.get(key, 0) + usage.total_tokens
        if self.store is not None:
            try:
                self.store.record_event(
                    USAGE_KIND,
                    caller_id,
                    True,
                    ms,
                    {
                        "provider": provider,
                        "model": model,
                        "input_tokens": usage.input_tokens,
                        "output_tokens": usage.output_tokens,
                        "estimated": usage.estimated,
                        "cost_usd": cost,
                    },
                )
            except Exception:  # accounting must not break the answer; the log says why
                log.warning("could not record agent usage for %s", caller_id, exc_info=True)
        return cost
