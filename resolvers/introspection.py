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


ATTRIBUTE_DOCS: dict[str, str] = {
    "introspection/states": "Every state of the lifecycle state machine.",
    "state/id": "The state's name.",
    "state/type": "The state's kind: atomic, compound or final.",
    "state/initial?": "Whether the state is its parent's initial state.",
    "state/parent": "The name of the enclosing state (nil at the top).",
    "introspection/transitions": "Every transition of the lifecycle state machine.",
    "transition/event": "The event that fires the transition.",
    "transition/source": "The state the transition leaves.",
    "transition/target": "The state the transition enters.",
    "introspection/configuration": "The active states now, innermost first.",
    "introspection/state-names": "The names of every state of the lifecycle.",
    "introspection/can-stop?": "Whether the lifecycle accepts the stop event now.",
    "introspection/can-initialize?": "Whether the lifecycle accepts the initialize event now.",
    "introspection/available-events": "The events the lifecycle accepts in its current state.",
    "introspection/meta": "The introspection engine's version and kind.",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the introspection resolvers bound to ``runtime.lifecycle``.

    ``{:introspection/states [:state/id :state/type :state/initial? :state/parent]}``,
    ``{:introspection/transitions [:transition/event :transition/target :transition/source]}``,
    ``:introspection/configuration`` (e.g. ``["running", "system"]``),
    ``:introspection/state-names``, ``:introspection/can-stop?``,
    ``:introspection/can-initialize?``, ``:introspection/available-events`` (``["stop"]`` when
    running) and ``:introspection/meta``.
    """
    from ouroboros import document, resolver

    lifecycle = runtime.lifecycle

    @resolver(
        name="introspection/states",
        doc="The lifecycle state machine's states.",
        types={"introspection/states": list},
        output=[
            {"introspection/states": ["state/id", "state/type", "state/initial?", "state/parent"]}
        ],
    )
    def states_resolver(_input: Any) -> dict[str, Any]:
        return {"introspection/states": states()}

    @resolver(
        name="introspection/transitions",
        doc="The lifecycle state machine's transitions.",
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
        doc="Where the lifecycle is now: its configuration and what it can do next.",
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
        doc="The events the lifecycle accepts in its current state.",
        types={"introspection/available-events": list},
        output=["introspection/available-events"],
    )
    def events_resolver(_input: Any) -> dict[str, Any]:
        return {"introspection/available-events": lifecycle.available_events()}

    @resolver(
        name="introspection/meta",
        doc="The introspection engine's version and kind.",
        types={"introspection/meta": dict},
        output=["introspection/meta"],
    )
    def meta_resolver(_input: Any) -> dict[str, Any]:
        return {"introspection/meta": meta()}

    return document(
        [states_resolver, transitions_resolver, current_resolver, events_resolver, meta_resolver],
        ATTRIBUTE_DOCS,
    )
