"""Agent usage resolvers: ``:agent/usage``, the agent's token use and cost per caller and day.

The agent records one telemetry event per model call of kind ``agent-usage``, named by the
caller's id, with ``{provider, model, input_tokens, output_tokens, cost_usd}`` in its details.
The daily budgets and this attribute both read those events; ``usage_rows`` sums them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ouroboros.resolvers.storeuse import caller_id, count_param, param, params_of, store_of

if TYPE_CHECKING:
    from ouroboros.resolvers.runtime import Runtime

__all__ = ["USAGE_ATTRS", "USAGE_KIND", "operations", "usage_rows"]

USAGE_KIND = "agent-usage"
USAGE_ATTRS = [
    "usage/day",
    "usage/caller",
    "usage/calls",
    "usage/input-tokens",
    "usage/output-tokens",
    "usage/total-tokens",
    "usage/cost-usd",
]
MAX_USAGE_EVENTS = 100_000


def usage_rows(events: Iterable[Mapping[str, Any]], *, since_day: str = "") -> list[dict[str, Any]]:
    """Return per (day, caller) sums of ``agent-usage`` events on or after ``since_day``.

    Rows are ``{day, caller, calls, input_tokens, output_tokens, total_tokens, cost_usd}``,
    newest day first; ``cost_usd`` is None when no call of that row had a price.
    """
    sums: dict[tuple[str, str], dict[str, Any]] = {}
    for event in events:
        day = str(event.get("ts") or "")[:10]
        if day < since_day:
            continue
        details = event.get("details") or {}
        row = sums.setdefault(
            (day, str(event.get("name"))),
            {
                "day": day,
                "caller": str(event.get("name")),
                "calls": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "total_tokens": 0,
                "cost_usd": None,
            },
        )
        row["calls"] += 1
        row["input_tokens"] += int(details.get("input_tokens") or 0)
        row["output_tokens"] += int(details.get("output_tokens") or 0)
        row["total_tokens"] = row["input_tokens"] + row["output_tokens"]
        cost = details.get("cost_usd")
        if cost is not None:
            row["cost_usd"] = round((row["cost_usd"] or 0.0) + float(cost), 8)
    return sorted(sums.values(), key=lambda r: (r["day"], r["caller"]), reverse=True)


ATTRIBUTE_DOCS: dict[str, str] = {
    "agent/usage": "The agent's token use and cost per UTC day and caller (params days, caller).",
    "usage/day": "The UTC day (YYYY-MM-DD).",
    "usage/caller": "Who called the agent.",
    "usage/calls": "How many model calls were made.",
    "usage/input-tokens": "How many input tokens were used.",
    "usage/output-tokens": "How many output tokens were used.",
    "usage/total-tokens": "Input plus output tokens.",
    "usage/cost-usd": "What those tokens cost, in US dollars (by the configured prices).",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the ``:agent/usage`` resolver over ``runtime.store``."""
    from ouroboros import document, resolver

    @resolver(
        name="agent/usage",
        doc="The agent's token use and cost per UTC day and caller, newest first.",
        output=[{"agent/usage": USAGE_ATTRS}],
        params=["days", "caller"],
        types={"agent/usage": list},
        blocking=True,
    )
    def usage_resolver(env: Any, _data: Any) -> dict[str, Any]:
        """The agent's token use and cost per UTC day and caller: ``(:agent/usage {:days 7
        :caller "id"})``, newest first; a caller without the admin scope sees only its own."""
        params = params_of(env)
        days = count_param(param(params, "days"), name="days", default=1, low=1, high=366)
        since = (datetime.now(UTC) - timedelta(days=days - 1)).strftime("%Y-%m-%d")
        context = getattr(env, "context", None) or {}
        caller = context.get("caller")
        who = param(params, "caller")
        if caller is not None and not getattr(caller, "can", lambda _s: True)("admin"):
            who = caller_id(env)
        events = store_of(runtime, env).events(MAX_USAGE_EVENTS, USAGE_KIND, who)
        return {
            "agent/usage": [
                {f"usage/{k.replace('_', '-')}": v for k, v in row.items()}
                for row in usage_rows(events, since_day=since)
            ]
        }

    return document([usage_resolver], ATTRIBUTE_DOCS)
