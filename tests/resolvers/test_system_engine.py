"""System and introspection resolvers through the engine: the original's acceptance behaviours."""

from __future__ import annotations

import pytest

pytest.importorskip("ouroboros.connect.interface", reason="the engine core has not landed yet")

from ouroboros.config import Settings
from ouroboros.errors import ConflictError, InvalidInputError
from tests.resolvers.engine_support import make_engine, raises


@pytest.fixture
def booted(tmp_path):
    engine, runtime = make_engine(Settings(roots=(str(tmp_path),)))
    runtime.lifecycle.boot()
    return engine, runtime


def test_after_boot_state_has_running_and_system_and_healthy(booted) -> None:
    engine, _ = booted
    result = engine.process("[:system/status :system/healthy?]")
    status = result["system/status"]
    assert set(status) == {"state", "running?", "ready?"}
    assert {"running", "system"} <= set(status["state"])
    assert status["running?"] is True
    assert result["system/healthy?"] is True


@pytest.mark.parametrize(
    "attr", ["system/status", "system/healthy?", "system/current-state", "system/meta"]
)
def test_each_system_attribute_answers(booted, attr: str) -> None:
    engine, _ = booted
    assert attr in engine.process(f"[:{attr}]")


def test_system_report_query(booted) -> None:
    engine, _ = booted
    result = engine.process("[:system/current-state :system/status :system/healthy? :system/meta]")
    assert result["system/current-state"] == ["running", "system"]
    assert set(result["system/meta"]) == {"version", "timestamp", "engine"}


def test_configuration_and_available_events(booted) -> None:
    engine, _ = booted
    result = engine.process("[:introspection/configuration :introspection/available-events]")
    assert result["introspection/configuration"] == ["running", "system"]
    assert result["introspection/available-events"] == ["stop"]


def test_introspection_joins_select_sub_attributes(booted) -> None:
    engine, _ = booted
    result = engine.process(
        "[{:introspection/states [:state/id :state/initial?]}"
        " {:introspection/transitions [:transition/event]}"
        " :introspection/can-stop? :introspection/meta]"
    )
    assert {"state/id": "uninitialized", "state/initial?": True} in result["introspection/states"]
    assert all(set(s) == {"state/id", "state/initial?"} for s in result["introspection/states"])
    assert {"transition/event": "stop"} in result["introspection/transitions"]
    assert result["introspection/can-stop?"] is True
    assert result["introspection/meta"]["introspection/self-aware?"] is True


def test_lifecycle_mutations(tmp_path) -> None:
    engine, runtime = make_engine(Settings(roots=(str(tmp_path),)))
    assert engine.process("[:system/healthy?]")["system/healthy?"] is False
    booted = engine.process("[(system/boot!)]")["system/boot!"]
    assert booted["system/current-state"] == ["running", "system"]
    assert (
        engine.process("[(system/boot!)]")["system/boot!"]["system/healthy?"] is True
    )  # idempotent
    stopped = engine.process("[{(system/stop!) [:system/healthy? :system/current-state]}]")
    assert stopped["system/stop!"] == {
        "system/healthy?": False,
        "system/current-state": ["stopped", "system"],
    }
    assert (
        engine.process("[:introspection/can-initialize?]")["introspection/can-initialize?"] is True
    )
    engine.process('[(system/send-event! {:event "initialize"})]')
    assert runtime.lifecycle.state == "initializing"
    engine.process("[(system/initialized!)]")
    assert runtime.lifecycle.running


def test_lifecycle_mutation_refusals(tmp_path) -> None:
    engine, _ = make_engine(Settings(roots=(str(tmp_path),)))
    err = raises(ConflictError, engine, "[(system/stop!)]")
    assert "not accepted in state 'uninitialized'" in err.message
    raises(InvalidInputError, engine, '[(system/send-event! {:event "explode"})]')
