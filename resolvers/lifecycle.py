"""Lifecycle: the system state machine (uninitialized → initializing → running → stopped)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ouroboros.errors import ConflictError, InvalidInputError

__all__ = ["EVENTS", "STATES", "TRANSITIONS", "Lifecycle", "StateDef", "TransitionDef"]

ROOT = "system"


@dataclass(frozen=True, kw_only=True)
class StateDef:
    """One state of the chart: its id, kind, whether it is its parent's initial child, parent."""

    id: str
    type: str  # "compound" (has children) or "atomic"
    initial: bool
    parent: str | None


@dataclass(frozen=True, kw_only=True)
class TransitionDef:
    """One transition: on ``event`` while ``source`` is active, go to ``target``."""

    event: str
    source: str
    target: str


STATES: tuple[StateDef, ...] = (
    StateDef(id=ROOT, type="compound", initial=False, parent=None),
    StateDef(id="uninitialized", type="atomic", initial=True, parent=ROOT),
    StateDef(id="initializing", type="atomic", initial=False, parent=ROOT),
    StateDef(id="running", type="atomic", initial=False, parent=ROOT),
    StateDef(id="stopped", type="atomic", initial=False, parent=ROOT),
)

TRANSITIONS: tuple[TransitionDef, ...] = (
    TransitionDef(event="initialize", source="uninitialized", target="initializing"),
    TransitionDef(event="initialized", source="initializing", target="running"),
    TransitionDef(event="stop", source="running", target="stopped"),
    # Unlike the original, `stopped` is observable and the system can start again from it.
    TransitionDef(event="initialize", source="stopped", target="initializing"),
)

EVENTS: tuple[str, ...] = ("initialize", "initialized", "stop")

Listener = Callable[[str, str, str], None]
"""Called after every transition with ``(event, source, target)``."""


class Lifecycle:
    """The system's lifecycle machine; thread-safe, one instance per running Ouroboros.

    The active configuration is the current atomic state plus its ancestor ``"system"``.
    ``send`` raises ``InvalidInputError`` for an unknown event and ``ConflictError`` for an event
    the current state does not accept; ``boot`` and ``shutdown`` are idempotent.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._state = next(s.id for s in STATES if s.initial)
        self._listeners: list[Listener] = []

    # --- reading --------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """Return the active atomic state (``"uninitialized"``, ``"running"``, ...)."""
        with self._lock:
            return self._state

    def configuration(self) -> list[str]:
        """Return the active states, innermost first: e.g. ``["running", "system"]``."""
        with self._lock:
            return [self._state, ROOT]

    def available_events(self) -> list[str]:
        """Return the events the active configuration accepts, in chart order, without repeats."""
        active = set(self.configuration())
        seen: list[str] = []
        for t in TRANSITIONS:
            if t.source in active and t.event not in seen:
                seen.append(t.event)
        return seen

    @property
    def running(self) -> bool:
        """True when the system is running."""
        return self.state == "running"

    @property
    def healthy(self) -> bool:
        """True when the system is running or on its way there (initializing)."""
        return self.state in {"running", "initializing"}

    # --- changing -------------------------------------------------------------------------

    def send(self, event: str) -> list[str]:
        """Apply ``event`` and return the new configuration.

        Raises ``InvalidInputError`` (unknown event) or ``ConflictError`` (not accepted now).
        """
        if not isinstance(event, str) or event not in EVENTS:
            raise InvalidInputError(
                f"unknown lifecycle event {event!r}; events are {', '.join(EVENTS)}",
                details={"event": str(event), "events": list(EVENTS)},
            )
        with self._lock:
            source = self._state
            for t in TRANSITIONS:
                if t.event == event and t.source == source:
                    self._state = t.target
                    listeners = list(self._listeners)
                    break
            else:
                raise ConflictError(
                    f"lifecycle event {event!r} is not accepted in state {source!r}; "
                    f"available: {', '.join(self.available_events()) or 'none'}",
                    details={
                        "event": event,
                        "state": source,
                        "available": self.available_events(),
                    },
                )
            configuration = [self._state, ROOT]
        for listener in listeners:
            listener(event, source, t.target)
        return configuration

    def boot(self) -> list[str]:
        """Bring the system to ``running`` from any state (idempotent); return the configuration."""
        with self._lock:
            if self._state in {"uninitialized", "stopped"}:
                self.send("initialize")
            if self._state == "initializing":
                self.send("initialized")
            return self.configuration()

    def shutdown(self) -> list[str]:
        """Bring a running system to ``stopped`` (idempotent otherwise); return the configuration.

        A system that never started stays where it is: there is nothing to stop.
        """
        with self._lock:
            if self._state == "initializing":
                self.send("initialized")
            if self._state == "running":
                self.send("stop")
            return self.configuration()

    def on_transition(self, listener: Listener) -> None:
        """Register ``listener`` to be called after each transition (e.g. for telemetry)."""
        with self._lock:
            self._listeners.append(listener)

    def status(self) -> dict[str, object]:
        """Return ``{"state": [...], "running?": bool, "ready?": bool}`` (``:system/status``)."""
        with self._lock:
            return {
                "state": self.configuration(),
                "running?": self._state == "running",
                "ready?": self._state == "running",
            }
