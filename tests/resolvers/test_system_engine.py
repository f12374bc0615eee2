"""System and introspection resolvers through the engine: the original's acceptance behaviours."""

from __future__ import annotations

import pytest

from ouroboros.config import Settings
from ouroboros.errors import ConflictError, InvalidInputError
from tests.resolvers.engine_support import STORELESS_DOMAINS, make_engine, raises


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


def test_every_domain_registers_in_one_engine(tmp_path) -> None:
    from ouroboros.resolvers import DOMAINS, all_operations
    from ouroboros.resolvers.runtime import Runtime

    assert set(STORELESS_DOMAINS) <= set(DOMAINS)
    ops = all_operations(Runtime(settings=Settings(roots=(str(tmp_path),))), STORELESS_DOMAINS)
    names = [str(op.name) for op in ops]
    assert len(names) == len(set(names))
    assert {"system/boot!", "api/request!", "openapi/bootstrap!", "openapi/call!"} <= set(names)


def test_lenient_mode_returns_what_it_could_with_errors(tmp_path) -> None:
    from ouroboros import Engine
    from ouroboros.resolvers import all_operations
    from ouroboros.resolvers.runtime import Runtime

    runtime = Runtime(settings=Settings(roots=(str(tmp_path),)))
    runtime.lifecycle.boot()
    engine = Engine(all_operations(runtime, STORELESS_DOMAINS), lenient=True)
    result = engine.process('[:system/healthy? {[:file/path "../x"] [:file/size]}]')
    assert result["system/healthy?"] is True
    errors = result[("file/path", "../x")]["ouroboros/errors"]
    assert errors["file/size"]["cause"] == "node-exception"
    assert "'..' is not allowed" in errors["file/size"]["message"]


def test_async_processing_runs_blocking_resolvers(repo) -> None:
    import asyncio

    engine, runtime = make_engine(Settings(roots=(str(repo),)))
    runtime.lifecycle.boot()
    result = asyncio.run(
        engine.process_async(
            "[:system/healthy? :git/status {(:git/commits {:n 1}) [:git/subject]}]"
        )
    )
    assert result["system/healthy?"] is True
    assert result["git/status"]["status/branch"] == "main"
    assert result["git/commits"] == [{"git/subject": "commit number 3"}]


def test_declared_attribute_types_hold_under_validation(repo, server) -> None:
    from ouroboros import Engine
    from ouroboros.resolvers import all_operations
    from ouroboros.resolvers.runtime import Runtime

    settings = Settings(roots=(str(repo),), http_allow=("127.0.0.1",))
    runtime = Runtime(settings=settings)
    runtime.lifecycle.boot()
    engine = Engine(all_operations(runtime, STORELESS_DOMAINS), validate=True)
    assert engine.attributes["git/commits"].type is list
    url = server.url("/hello")
    result = engine.process(
        "[:system/current-state :system/status :system/healthy? :system/meta"
        " :introspection/configuration :introspection/state-names :introspection/can-stop?"
        " :introspection/can-initialize? :introspection/available-events :introspection/meta"
        " {:introspection/states [:state/id]} {:introspection/transitions [:transition/event]}"
        " {:git/commits [:git/hash]} :git/status {:git/branches [:branch/name]} :git/meta"
        " {:knowledge/project [:project/name]} :api/meta {:openapi/clients [:openapi/name]}"
        ' {[:file/path "f1.txt"] [:file/name :file/extension :file/size :file/directory?'
        "   :file/regular-file? :file/symlink? :file/hidden? :file/last-modified :file/content"
        "   :file/content-preview]}"
        ' {[:dir/path "."] [{:knowledge/files [:file/name]}]}'
        ' {[:search/pattern "*.txt"] [{:knowledge/search [:file/name]}]}'
        f' {{[:api/url "{url}"] [:api/status :api/body :api/headers :api/success? :api/error'
        "   :api/url :api/truncated?]}]"
    )
    assert result[("file/path", "f1.txt")]["file/content"] == "file 1\n"
    assert result[("api/url", url)]["api/status"] == 200
