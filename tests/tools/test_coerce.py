"""JSON arguments from models: strings become numbers/booleans/objects; bad ones are refused."""

from __future__ import annotations

import pytest

from ouroboros.errors import InvalidInputError
from ouroboros.tools.coerce import coerce_arguments

SCHEMA = {
    "type": "object",
    "properties": {
        "n": {"type": "integer", "minimum": 0, "default": 5},
        "ratio": {"type": "number"},
        "flag": {"type": "boolean"},
        "params": {"type": "object", "default": {}},
        "names": {"type": "array", "items": {"type": "string"}},
        "key": {"type": "string", "minLength": 1},
        "value": {},
    },
    "required": ["key"],
    "additionalProperties": False,
}


def test_strings_become_the_declared_types() -> None:
    args = coerce_arguments(
        {
            "key": "k",
            "n": "3",
            "ratio": "0.5",
            "flag": "true",
            "params": '{"a": 1}',
            "names": '["x"]',
        },
        SCHEMA,
        tool="t",
    )
    assert args == {
        "key": "k",
        "n": 3,
        "ratio": 0.5,
        "flag": True,
        "params": {"a": 1},
        "names": ["x"],
    }


def test_defaults_fill_in_and_any_is_untouched() -> None:
    args = coerce_arguments({"key": "k", "value": "42"}, SCHEMA, tool="t")
    assert args == {"key": "k", "value": "42", "n": 5, "params": {}}


def test_integral_floats_become_ints() -> None:
    assert coerce_arguments({"key": "k", "n": 7.0}, SCHEMA, tool="t")["n"] == 7


def test_arguments_as_json_text() -> None:
    assert coerce_arguments('{"key": "k", "n": "2"}', SCHEMA, tool="t")["n"] == 2
    assert coerce_arguments("", {"type": "object", "properties": {}}, tool="t") == {}


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ({"key": "k", "n": "three"}, "n"),
        ({"key": "k", "n": -1}, "n"),
        ({"key": "k", "n": 2.5}, "n"),
        ({"key": "k", "flag": "maybe"}, "flag"),
        ({"key": "k", "nope": 1}, "(arguments)"),
        ({"n": 1}, "(arguments)"),
        ({"key": ""}, "key"),
        ({"key": "k", "names": [1]}, "names.0"),
    ],
)
def test_bad_arguments_name_the_argument(args: dict, where: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        coerce_arguments(args, SCHEMA, tool="t")
    assert info.value.details["argument"] == where
    assert info.value.message.startswith("t: invalid argument")


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", 42])
def test_arguments_that_are_not_an_object(bad) -> None:
    with pytest.raises(InvalidInputError, match="t: arguments"):
        coerce_arguments(bad, SCHEMA, tool="t")
