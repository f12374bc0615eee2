"""Introspection resolvers: the lifecycle chart and its live configuration as ``:introspection/*``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ouroboros
from ouroboros.resolvers.lifecycle import STATES, TRANSITIONS

if TYPE_CHECKING:
    from ouroboros.resolvers.lifecycle import Lifecycle
    from ouroboros.resolvers.runtime import Runtime

__all__ = ["current", "meta", "operations", "states", "transitions"]


def states() -> list[dict[str, Any]]:
    """Return the chart's states as ``{state/id, state/type, state/initial?, state/parent}``."""
    return [
        {
            "state/id": s.id,
            "state/type": s.type,
            "state/initial?": s.initial,
            "state/parent": s.parent,
        }
        for s in STATES
    ]


def transitions() -> list[dict[str, Any]]:
    """Return the chart's transitions as ``{transition/event, transition/target, transition/source}``."""
    return [
        {
            "transition/event": t.event,
            "transition/target": t.target,
            "transition/source": t.source,
        }
        for t in TRANSITIONS
    ]


def current(lifecycle: Lifecycle) -> dict[str, Any]:
    """Return the live configuration attributes (configuration, names, can-stop?, can-initialize?)."""
    configuration = lifecycle.configuration()
    events = lifecycle.available_events()
    return {
        "introspection/configuration": configuration,
        "introspection/state-names": list(configuration),
        "introspection/can-stop?": "stop" in events,
        "introspection/can-initialize?": "initialize" in events,
        "introspection/available-events": events,
    }


def meta() -> dict[str, Any]:
    """Return ``:introspection/meta``."""
    return {
        "introspection/version": ouroboros.__version__,
        "introspection/engine-type": "lifecycle-statechart",
        "introspection/self-aware?": True,
    }


def operations(runtime: Runtime) -> list[Any]:
    """Return the introspection resolvers bound to ``runtime.lifecycle``.

    ``{:introspection/states [:state/id :state/type :state/initial? :state/parent]}``,
    ``{:introspection/transitions [:transition/event :transition/target :transition/source]}``,
    ``:introspection/configuration`` (e.g. ``["running", "system"]``),
    ``:introspection/state-names``, ``:introspection/can-stop?``,
    ``:introspection/can-initialize?``, ``:introspection/available-events`` (``["stop"]`` when
    running) and ``:introspection/meta``.
    """
    from ouroboros import resolver

    lifecycle = runtime.lifecycle

    @resolver(
        name="introspection/states",
        types={"introspection/states": list},
        output=[
            {"introspection/states": ["state/id", "state/type", "state/initial?", "state/parent"]}
        ],
    )
    def states_resolver(_input: Any) -> dict[str, Any]:
        return {"introspection/states": states()}

    @resolver(
        name="introspection/transitions",
        types={"introspection/transitions": list},
        output=[
            {
                "introspection/transitions": [
                    "transition/event",
                    "transition/target",
                    "transition/source",
                ]
            }
        ],
    )
    def transitions_resolver(_input: Any) -> dict[str, Any]:
        return {"introspection/transitions": transitions()}

    @resolver(
        name="introspection/current",
        types={
            "introspection/configuration": list,
            "introspection/state-names": list,
            "introspection/can-stop?": bool,
            "introspection/can-initialize?": bool,
        },
        output=[
            "introspection/configuration",
            "introspection/state-names",
            "introspection/can-stop?",
            "introspection/can-initialize?",
        ],
    )
    def current_resolver(_input: Any) -> dict[str, Any]:
        data = current(lifecycle)
        del data["introspection/available-events"]
        return data

    @resolver(
        name="introspection/events",
        types={"introspection/available-events": list},
        output=["introspection/available-events"],
    )
    def events_resolver(_input: Any) -> dict[str, Any]:
        return {"introspection/available-events": lifecycle.available_events()}

    @resolver(
        name="introspection/meta", types={"introspection/meta": dict}, output=["introspection/meta"]
    )
    def meta_resolver(_input: Any) -> dict[str, Any]:
        return {"introspection/meta": meta()}

    return [states_resolver, transitions_resolver, current_resolver, events_resolver, meta_resolver]
