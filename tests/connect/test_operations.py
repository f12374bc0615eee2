"""Operations: declarations from EQL text and Python data, records, direct calls, factories."""

from __future__ import annotations

import pytest

from ouroboros import Engine, mutation, optional, resolver
from ouroboros.connect.env import Env
from ouroboros.connect.factories import alias, constant, equivalence, static_table
from ouroboros.errors import RegistrationError


def test_input_and_output_from_eql_text():
    @resolver(input="[:user/id (? :user/x)]", output="[:user/name {:user/friends [:user/id]}]")
    def user(inp):
        return {}

    assert user.input.required == ("user/id",)
    assert user.input.optionals == ("user/x",)
    assert list(user.output) == ["user/name", "user/friends"]
    assert list(user.output["user/friends"]) == ["user/id"]
    assert user.output.to_edn() == "[:user/name {:user/friends [:user/id]}]"


def test_input_and_output_from_python_data():
    @resolver(
        input=["user/id", optional("user/x")], output=[":user/name", {"user/friends": ["user/id"]}]
    )
    def user(inp):
        return {}

    assert user.input.to_edn() == "[:user/id (? :user/x)]"
    assert user.output.to_edn() == "[:user/name {:user/friends [:user/id]}]"


def test_record_fields_and_defaults():
    @resolver(
        output=["a"],
        name="my/a",
        priority=3,
        batch=True,
        cache=False,
        timeout=1.5,
        batch_chunk_size=10,
        blocking=True,
    )
    def a(inputs):
        """Docstring becomes doc."""
        return [{"a": 1} for _ in inputs]

    assert (a.name, a.priority, a.batch, a.cache, a.timeout, a.batch_chunk_size, a.blocking) == (
        "my/a",
        3,
        True,
        False,
        1.5,
        10,
        True,
    )
    assert a.doc == "Docstring becomes doc."
    with pytest.raises(AttributeError):
        a.name = "other"  # frozen


def test_callable_directly_with_and_without_env():
    @resolver(input=["a"], output=["b"])
    def one(inp):
        return {"b": inp["a"]}

    @resolver(input=["a"], output=["b"])
    def two(env, inp):
        return {"b": (inp["a"], dict(env.params))}

    assert one({"a": 1}) == {"b": 1}
    assert two({"a": 1}) == {"b": (1, {})}
    assert two(Env.detached(limit=2), {"a": 1}) == {"b": (1, {"limit": 2})}


def test_async_function_is_detected():
    @resolver(output=["a"])
    async def a(_):
        return {"a": 1}

    assert a.is_async


def test_duplicate_names_are_refused():
    @resolver(output=["a"], name="same")
    def a1(_):
        return {}

    @resolver(output=["b"], name="same")
    def a2(_):
        return {}

    with pytest.raises(RegistrationError, match="duplicate resolver name 'same'"):
        Engine([a1, a2])

    @mutation(name="m/x")
    def m1(p):
        return {}

    with pytest.raises(RegistrationError, match="duplicate mutation"):
        Engine([m1, m1])


def test_bad_declarations_are_refused():
    with pytest.raises(RegistrationError, match="declares no output"):
        resolver(lambda i: {}, output=[])
    with pytest.raises(RegistrationError, match="must take"):
        resolver(lambda a, b, c: {}, output=["a"])
    with pytest.raises(RegistrationError, match="bad output"):
        resolver(lambda i: {}, output=[{"a": ["b"], "c": ["d"]}])
    with pytest.raises(RegistrationError, match="not a resolver"):
        Engine([lambda i: i])


def test_mutation_record():
    @mutation(name="user/create", output=["user/id"], params=["user/name"])
    def create(params):
        return {"user/id": 1}

    assert create.name == "user/create"
    assert create.output.to_edn() == "[:user/id]"
    assert create({"user/name": "x"}) == {"user/id": 1}


def test_constant_alias_equivalence_static_table():
    table = static_table("user/id", {1: {"user/name": "Ann", "user/email": "a@x"}})
    ops = [
        constant("app/version", "1.0"),
        alias("user/name", "user/display"),
        table,
        *equivalence("user/email", "user/mail"),
    ]
    engine = Engine(ops)
    assert engine.process("[:app/version]") == {"app/version": "1.0"}
    out = engine.process("[:user/display :user/mail]", {"user/id": 1})
    assert out == {"user/display": "Ann", "user/mail": "a@x"}
    assert engine.process("[:user/email]", {"user/mail": "m"}) == {"user/email": "m"}
    assert table.output.to_edn() == "[:user/name :user/email]"


def test_nested_operation_lists_are_flattened():
    @resolver(output=["a"])
    def a(_):
        return {"a": 1}

    @resolver(output=["b"])
    def b(_):
        return {"b": 2}

    assert Engine([[a], (b,)]).process("[:a :b]") == {"a": 1, "b": 2}
