"""The lifecycle machine: transitions, refusals, idempotent boot, restart, thread safety."""

from __future__ import annotations

import threading

import pytest

from ouroboros.errors import ConflictError, InvalidInputError
from ouroboros.resolvers import introspection
from ouroboros.resolvers.lifecycle import Lifecycle
from ouroboros.resolvers.system import system_meta, system_report


def test_starts_uninitialized_with_system_in_configuration() -> None:
    lc = Lifecycle()
    assert lc.state == "uninitialized"
    assert lc.configuration() == ["uninitialized", "system"]
    assert lc.available_events() == ["initialize"]
    assert not lc.healthy
    assert lc.status() == {"state": ["uninitialized", "system"], "running?": False, "ready?": False}


def test_valid_transitions_walk_the_chart() -> None:
    lc = Lifecycle()
    assert lc.send("initialize") == ["initializing", "system"]
    assert lc.healthy and not lc.running
    assert lc.available_events() == ["initialized"]
    assert lc.send("initialized") == ["running", "system"]
    assert lc.healthy and lc.running
    assert lc.available_events() == ["stop"]
    assert lc.send("stop") == ["stopped", "system"]
    assert not lc.healthy
    assert lc.available_events() == ["initialize"]


def test_stopped_accepts_initialize_again() -> None:
    lc = Lifecycle()
    lc.boot()
    lc.send("stop")
    assert lc.state == "stopped"  # observable, unlike the original
    assert lc.boot() == ["running", "system"]


def test_invalid_event_in_state_is_a_conflict_naming_what_is_available() -> None:
    lc = Lifecycle()
    with pytest.raises(ConflictError) as info:
        lc.send("stop")
    assert "'stop'" in info.value.message and "uninitialized" in info.value.message
    assert info.value.details["available"] == ["initialize"]
    assert lc.state == "uninitialized"  # nothing changed


@pytest.mark.parametrize("event", ["explode", "", None, 3, "STOP"])
def test_unknown_event_is_invalid_input(event: object) -> None:
    with pytest.raises(InvalidInputError, match="unknown lifecycle event"):
        Lifecycle().send(event)  # type: ignore[arg-type]


def test_boot_is_idempotent_from_every_state() -> None:
    lc = Lifecycle()
    assert lc.boot() == ["running", "system"]
    assert lc.boot() == ["running", "system"]
    lc2 = Lifecycle()
    lc2.send("initialize")
    assert lc2.boot() == ["running", "system"]


def test_shutdown_is_idempotent_and_leaves_a_never_started_system_alone() -> None:
    lc = Lifecycle()
    assert lc.shutdown() == ["uninitialized", "system"]
    lc.boot()
    assert lc.shutdown() == ["stopped", "system"]
    assert lc.shutdown() == ["stopped", "system"]


def test_listeners_see_each_transition() -> None:
    lc = Lifecycle()
    seen: list[tuple[str, str, str]] = []
    lc.on_transition(lambda *t: seen.append(t))
    lc.boot()
    assert seen == [
        ("initialize", "uninitialized", "initializing"),
        ("initialized", "initializing", "running"),
    ]


def test_concurrent_boots_make_exactly_two_transitions() -> None:
    lc = Lifecycle()
    count: list[int] = []
    lc.on_transition(lambda *t: count.append(1))
    threads = [threading.Thread(target=lc.boot) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lc.state == "running"
    assert len(count) == 2


def test_system_report_and_meta() -> None:
    lc = Lifecycle()
    lc.boot()
    report = system_report(lc)
    assert set(report) == {
        "system/current-state",
        "system/status",
        "system/healthy?",
        "system/meta",
    }
    assert report["system/healthy?"] is True
    assert set(report["system/status"]) == {"state", "running?", "ready?"}
    meta = system_meta()
    assert set(meta) == {"version", "timestamp", "engine"}
    assert meta["timestamp"].endswith("+00:00")


def test_introspection_of_chart_and_configuration() -> None:
    ids = {s["state/id"]: s for s in introspection.states()}
    assert set(ids) == {"system", "uninitialized", "initializing", "running", "stopped"}
    assert ids["uninitialized"]["state/initial?"] is True
    assert ids["running"]["state/parent"] == "system"
    assert ids["system"]["state/parent"] is None
    edges = {
        (t["transition/source"], t["transition/event"], t["transition/target"])
        for t in introspection.transitions()
    }
    assert ("running", "stop", "stopped") in edges
    assert ("stopped", "initialize", "initializing") in edges
    lc = Lifecycle()
    lc.boot()
    current = introspection.current(lc)
    assert current["introspection/configuration"] == ["running", "system"]
    assert current["introspection/available-events"] == ["stop"]
    assert current["introspection/can-stop?"] is True
    assert current["introspection/can-initialize?"] is False
    lc.send("stop")
    assert introspection.current(lc)["introspection/can-initialize?"] is True
    assert introspection.meta()["introspection/self-aware?"] is True
