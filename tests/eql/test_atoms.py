"""Atom decoding: numbers, strings, characters, keywords, symbols, #inst and #uuid."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ouroboros.eql import Keyword, Symbol, parse
from ouroboros.errors import EQLSyntaxError


def value(text: str) -> object:
    return parse(f"[(:k {{:v {text}}})]").children[0].params[Keyword("v")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("-7", -7),
        ("+7", 7),
        ("12N", 12),
        ("1.5", 1.5),
        ("1.", 1.0),
        ("-0.25", -0.25),
        ("1e3", 1000.0),
        ("1E-2", 0.01),
        ("2.5e+2", 250.0),
        ("3.14M", Decimal("3.14")),
        ("7M", Decimal("7")),
        ("##Inf", float("inf")),
        ("##-Inf", float("-inf")),
        (r'"a\tb\nc\rd\\e\"f\bg\fh"', 'a\tb\nc\rd\\e"f\bg\fh'),
        (r'"\u00e9\u20AC"', "é€"),
        (r'"\ud83d\ude00"', "😀"),
        ('"line\nbreak"', "line\nbreak"),
        (r"\a", "a"),
        (r"\newline", "\n"),
        (r"\space", " "),
        (r"\u0041", "A"),
        ("true", True),
        ("false", False),
        ("nil", None),
        (":a.b/c-d?", Keyword("a.b/c-d?")),
        (":>/x", Keyword(">/x")),
        ("ns/op!", Symbol("ns/op!")),
        ("/", Symbol("/")),
        ("...", Symbol("...")),
        ("-", Symbol("-")),
        ("-a", Symbol("-a")),
    ],
)
def test_atoms(text: str, expected: object) -> None:
    result = value(text)
    assert result == expected
    assert type(result) is type(expected)


def test_nan() -> None:
    result = value("##NaN")
    assert isinstance(result, float) and result != result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"1985-04-12T23:20:50.52Z"', datetime(1985, 4, 12, 23, 20, 50, 520000, tzinfo=UTC)),
        (
            '"1985-04-12T23:20:50-05:00"',
            datetime(1985, 4, 12, 23, 20, 50, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ('"1985"', datetime(1985, 1, 1, tzinfo=UTC)),
        ('"1985-04"', datetime(1985, 4, 1, tzinfo=UTC)),
        ('"1985-04-12"', datetime(1985, 4, 12, tzinfo=UTC)),
    ],
)
def test_inst_is_timezone_aware(text: str, expected: datetime) -> None:
    result = value(f"#inst {text}")
    assert result == expected
    assert isinstance(result, datetime) and result.tzinfo is not None


def test_keywords_are_keyword_typed_and_shared() -> None:
    root = parse("[:user/name :user/name]")
    first, second = root.children
    assert first == second
    assert type(first.key) is Keyword and first.key == "user/name"
    assert first.key.namespace == "user" and first.key.name == "name"


def test_parsed_props_cannot_be_mutated_through_shared_params() -> None:
    node = parse("[:shared/prop]").children[0]
    with pytest.raises(TypeError):
        node.params[Keyword("x")] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        node.params.update(x=1)  # type: ignore[attr-defined]
    assert dict(parse("[:shared/prop]").children[0].params) == {}
    assert json.dumps(node.params) == "{}" and isinstance(node.params, dict)


@pytest.mark.parametrize("text", ["1-2", "0x1F", "1e", "1.5.M", "1NN", "08"])
def test_bad_numbers(text: str) -> None:
    with pytest.raises(EQLSyntaxError, match="invalid number"):
        value(text)
