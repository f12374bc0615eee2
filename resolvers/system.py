"""System resolvers: ``:system/*`` attributes and the lifecycle mutations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import ouroboros

if TYPE_CHECKING:
    from ouroboros.resolvers.lifecycle import Lifecycle
    from ouroboros.resolvers.runtime import Runtime

__all__ = ["operations", "system_meta", "system_report"]

ENGINE_NAME = "ouroboros"


def system_meta() -> dict[str, Any]:
    """Return ``{"version", "timestamp", "engine"}`` (``:system/meta``); timestamp is UTC ISO."""
    return {
        "version": ouroboros.__version__,
        "timestamp": datetime.now(UTC).isoformat(),
        "engine": ENGINE_NAME,
    }


def system_report(lifecycle: Lifecycle) -> dict[str, Any]:
    """Return every ``:system/*`` attribute as one map (what the resolvers below return)."""
    return {
        "system/current-state": lifecycle.configuration(),
        "system/status": lifecycle.status(),
        "system/healthy?": lifecycle.healthy,
        "system/meta": system_meta(),
    }


ATTRIBUTE_DOCS: dict[str, str] = {
    "system/current-state": "The lifecycle's active states, innermost first (e.g. running, system).",
    "system/status": "The lifecycle state with running? and ready? flags.",
    "system/healthy?": "Whether the system is running or initializing.",
    "system/meta": "The engine's name and version, and the time now (UTC).",
}
"""One-line descriptions of the attributes these operations give (``ouroboros.document``)."""


def operations(runtime: Runtime) -> list[Any]:
    """Return the system resolvers and lifecycle mutations bound to ``runtime.lifecycle``.

    Resolvers (global, no input): ``:system/current-state`` (active states, innermost first,
    e.g. ``["running", "system"]``), ``:system/status`` (``{"state", "running?", "ready?"}``),
    ``:system/healthy?`` (running or initializing), ``:system/meta``.

    Mutations: ``system/boot!`` (to running, idempotent), ``system/shutdown!`` (to stopped,
    idempotent), and one per event, which raise on an event the state does not accept:
    ``system/initialize!``, ``system/initialized!``, ``system/stop!``. ``system/send-event!``
    takes ``{:event "stop"}``. Each returns ``:system/current-state :system/status
    :system/healthy?``.
    """
    from ouroboros import document, mutation, resolver

    lifecycle = runtime.lifecycle

    @resolver(
        name="system/current-state",
        doc="The lifecycle's active states, innermost first.",
        output=["system/current-state"],
        types={"system/current-state": list},
    )
    def current_state(_input: Any) -> dict[str, Any]:
        return {"system/current-state": lifecycle.configuration()}

    @resolver(
        name="system/status",
        doc="The lifecycle state and whether the system is running and ready.",
        output=["system/status"],
        types={"system/status": dict},
    )
    def status(_input: Any) -> dict[str, Any]:
        return {"system/status": lifecycle.status()}

    @resolver(
        name="system/healthy",
        doc="Whether the system is healthy (running or initializing).",
        output=["system/healthy?"],
        types={"system/healthy?": bool},
    )
    def healthy(_input: Any) -> dict[str, Any]:
        return {"system/healthy?": lifecycle.healthy}

    @resolver(
        name="system/meta",
        doc="The engine's name and version, and the time now.",
        output=["system/meta"],
        types={"system/meta": dict},
    )
    def meta(_input: Any) -> dict[str, Any]:
        return {"system/meta": system_meta()}

    result_attrs = ["system/current-state", "system/status", "system/healthy?"]

    def result() -> dict[str, Any]:
        report = system_report(lifecycle)
        return {k: report[k] for k in result_attrs}

    @mutation(
        name="system/boot!", doc="Bring the lifecycle to running (idempotent).", output=result_attrs
    )
    def boot(_params: Any) -> dict[str, Any]:
        lifecycle.boot()
        return result()

    @mutation(
        name="system/shutdown!",
        doc="Bring the lifecycle to stopped (idempotent).",
        output=result_attrs,
    )
    def shutdown(_params: Any) -> dict[str, Any]:
        lifecycle.shutdown()
        return result()

    @mutation(
        name="system/initialize!",
        doc="Send the lifecycle the initialize event.",
        output=result_attrs,
    )
    def initialize(_params: Any) -> dict[str, Any]:
        lifecycle.send("initialize")
        return result()

    @mutation(
        name="system/initialized!",
        doc="Send the lifecycle the initialized event.",
        output=result_attrs,
    )
    def initialized(_params: Any) -> dict[str, Any]:
        lifecycle.send("initialized")
        return result()

    @mutation(name="system/stop!", doc="Send the lifecycle the stop event.", output=result_attrs)
    def stop(_params: Any) -> dict[str, Any]:
        lifecycle.send("stop")
        return result()

    @mutation(
        name="system/send-event!",
        doc="Send the lifecycle the event named by the event param.",
        output=result_attrs,
        params=["event"],
    )
    def send_event(params: Any) -> dict[str, Any]:
        params = params or {}
        lifecycle.send(params.get("event", params.get("system/event")))
        return result()

    return document(
        [
            current_state,
            status,
            healthy,
            meta,
            boot,
            shutdown,
            initialize,
            initialized,
            stop,
            send_event,
        ],
        ATTRIBUTE_DOCS,
    )
