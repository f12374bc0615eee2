"""The EDN reader: forms with offsets, the scanner, the fast LALR driver and its fallback."""

from __future__ import annotations

import sys

import pytest

from ouroboros.eql import parse, to_edn
from ouroboros.eql import reader as reader_module
from ouroboros.eql.reader import Form, ReadError, Token, locate, read
from ouroboros.errors import EQLSyntaxError


def test_forms_keep_tokens_and_offsets() -> None:
    (vector,) = read("[:a {:b 1}]")
    assert isinstance(vector, Form) and vector.kind == "vector" and vector.pos == 0
    keyword, join = vector.items
    assert isinstance(keyword, Token)
    assert (keyword.type, str(keyword), keyword.start_pos) == ("KEYWORD", ":a", 1)
    assert join.kind == "map" and join.pos == 4
    assert [str(t) for t in join.items] == [":b", "1"]


def test_discard_drops_the_next_form_and_nests() -> None:
    (vector,) = read("[#_ :a :b #_ #_ :c :d :e #_ [:f]]")
    assert [str(t) for t in vector.items] == [":b", ":e"]


def test_metadata_and_tags_are_forms() -> None:
    (meta,) = read('^:m [#inst "2020"]')
    assert meta.kind == "meta"
    flag, target = meta.items
    assert str(flag) == ":m" and target.kind == "vector"
    (tagged,) = target.items
    assert tagged.kind == "tagged" and str(tagged.items[0]) == "#inst"


def test_scanner_is_linear_on_long_whitespace_before_a_bad_character() -> None:
    with pytest.raises(ReadError) as info:
        read("[" + " " * 200_000 + "@]")
    assert info.value.pos == 200_001


def test_import_does_not_build_the_parser() -> None:
    import subprocess

    code = (
        "import ouroboros.eql, ouroboros.eql.reader as r; print(r._lark is None, r._tables is None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True
    )
    assert out.stdout.strip() == "True True"


def test_fast_driver_is_active() -> None:
    parse("[:a]")
    assert reader_module._fast_tables() is not None


SAMPLES = [
    "[:a {:b [:c]} (:d {:p 1}) [:user/id 1] {:u {:x/id [:x] :y/id [:y]}} {:r ...} (x/y! {}) *]",
    '^{:m 1} [#_ :gone ^:f {:j [:k]} (:t {:at #inst "2020-01-01T00:00:00Z" :s #{1 2}})]',
]
BAD = ["[:a", "[:a}", "]", "[:a ^]", "[:a #_]", "[#foo]", "[{:a [:b] :c [:d]}]", "[:a] :b", ""]


def test_fallback_to_lark_parse_gives_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [parse(text) for text in SAMPLES]
    fast_errors = []
    for text in BAD:
        with pytest.raises(EQLSyntaxError) as info:
            parse(text)
        fast_errors.append(str(info.value))
    monkeypatch.setattr(reader_module, "_tables", None)
    monkeypatch.setattr(reader_module, "_tables_failed", True)
    assert [parse(text) for text in SAMPLES] == fast
    for text, expected in zip(BAD, fast_errors, strict=True):
        with pytest.raises(EQLSyntaxError) as info:
            parse(text)
        assert str(info.value) == expected
    assert to_edn(parse(SAMPLES[0])) == to_edn(fast[0])


@pytest.mark.parametrize(
    ("text", "pos", "expected"),
    [
        ("abc", 0, (1, 1, "abc\n^")),
        ("abc", 3, (1, 4, "abc\n   ^")),
        ("a\nbc\nd", 3, (2, 2, "bc\n ^")),
        ("a\r\nbc", 4, (2, 2, "bc\n ^")),
        ("", 0, (1, 1, "\n^")),
    ],
)
def test_locate(text: str, pos: int, expected: tuple[int, int, str]) -> None:
    assert locate(text, pos) == expected
