"""The fast schema check agrees with jsonschema (Draft 2020-12) on the keywords it implements,
and steps aside (None) for any schema it does not."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ouroboros.errors import InvalidInputError
from ouroboros.tools import all_tools
from ouroboros.tools.coerce import coerce_arguments, compile_check, is_valid
from tests.profiles import examples

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-5, 5, allow_nan=False)
    | st.sampled_from([1.0, 2.5, "", "a", "abc", "auto", "keyword", "x" * 12]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "name", "n", "extra"]), children, max_size=4)
    ),
    max_leaves=10,
)

leaf_schemas = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(
            ["string", "integer", "number", "boolean", "null", "array", "object"]
        )
        | st.lists(st.sampled_from(["string", "integer", "null", "array"]), min_size=1, max_size=2),
        "enum": st.lists(st.sampled_from(["a", "abc", "auto"]), min_size=1, max_size=3),
        "minimum": st.integers(-3, 3),
        "maximum": st.floats(-3, 3, allow_nan=False),
        "minLength": st.integers(0, 3),
        "maxLength": st.integers(0, 5),
        "description": st.just("documentation only"),
    },
)
schemas = st.recursive(
    leaf_schemas | st.booleans(),
    lambda children: st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["object", "array"]),
            "properties": st.dictionaries(st.sampled_from(["a", "b", "name"]), children),
            "required": st.lists(st.sampled_from(["a", "name"]), max_size=2, unique=True),
            "additionalProperties": children,
            "items": children,
        },
    ),
    max_leaves=6,
)


@settings(max_examples=examples(400), deadline=None)
@given(schemas, json_values)
def test_fast_check_agrees_with_jsonschema(schema: Any, value: Any) -> None:
    check = compile_check(schema)
    assert check is not None
    expected = jsonschema.Draft202012Validator(schema).is_valid(value)
    assert check(value) is expected


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^a"},
        {"anyOf": [{"type": "string"}]},
        {"enum": [1, True]},
        {"type": "object", "properties": {"a": {"format": "email"}}},
        {"type": "array", "prefixItems": [{"type": "string"}]},
    ],
)
def test_unsupported_keywords_step_aside(schema: dict[str, Any]) -> None:
    assert compile_check(schema) is None
    assert is_valid(schema, "anything") is None


def test_every_tool_schema_gives_the_same_answers_as_jsonschema() -> None:
    samples: list[Any] = [
        {},
        {"query": "x"},
        {"query": "x", "limit": 0},
        {"names": ["a", 1]},
        {"entities": [{"name": "a", "entityType": "t", "observations": ["o"]}]},
        {"entities": [{"name": "a"}]},
        {"key": "k", "value": None},
        {"path": "a", "lines": "3"},
        {"unknown": 1},
    ]
    for tool in all_tools():
        for schema in (tool.input_schema, tool.output_schema):
            if schema is None or compile_check(schema) is None:
                continue
            validator = jsonschema.Draft202012Validator(schema)
            for value in samples:
                assert is_valid(schema, value) is validator.is_valid(value), (tool.name, value)


def test_invalid_arguments_still_get_jsonschemas_message() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}}
    assert coerce_arguments({"n": "3"}, schema, tool="t") == {"n": 3}
    with pytest.raises(InvalidInputError) as caught:
        coerce_arguments({"n": 0}, schema, tool="t")
    assert "invalid argument n: 0 is less than the minimum of 1" in str(caught.value)
