"""Text that is not EQL raises EQLSyntaxError, and only that, pointing at the offending form."""

from __future__ import annotations

import pytest

from ouroboros.eql import parse
from ouroboros.eql.reader import MAX_DEPTH, MAX_LENGTH
from ouroboros.errors import EQLSyntaxError

# (text, line, column, a fragment of the message)
MALFORMED = [
    ("", 1, 1, "found an empty query"),
    ("  \n   ; only a comment", 2, 20, "found an empty query"),
    ("[:a", 1, 4, "expected ']' to close the vector opened at line 1, column 1, found the end"),
    ("[:a}", 1, 4, "expected ']' to close the vector opened at line 1, column 1, found '}'"),
    ("[{:a [:b]]", 1, 10, "expected '}' to close the map opened at line 1, column 2"),
    ("]", 1, 1, "unmatched ']'"),
    (":a", 1, 1, "the query must be a vector [...], found a keyword :a"),
    ("{:a [:b]}", 1, 1, "the query must be a vector [...], found a map"),
    ("[:a] [:b]", 1, 6, "expected one query vector, found a vector [...] after it"),
    ("[{:a [:b] :c [:d]}]", 1, 11, "a join map must have exactly one entry, found 2"),
    ("[{}]", 1, 2, "a join map must have exactly one entry, found 0"),
    ("[{:a}]", 1, 3, "a map needs an even number of forms"),
    ("[(:a 1)]", 1, 6, "params must be a map {...}, found a number 1"),
    ("[(:a [:b])]", 1, 6, "params must be a map {...}, found a vector"),
    ("[(:a {:p 1} {:q 2})]", 1, 13, "one params map after the expression"),
    ("[{:a {1 [:b]}}]", 1, 7, "a union key must be a keyword, found a number 1"),
    ('[{:a {"x" [:b]}}]', 1, 7, 'a union key must be a keyword, found a string "x"'),
    ("[{:a {:b :c}}]", 1, 10, "a union branch must be a query vector [...], found a keyword :c"),
    ("[{:a {:b [:x] :b [:y]}}]", 1, 15, "duplicate union key :b"),
    ("[{:a {}}]", 1, 6, "a union map needs at least one branch"),
    ("[{:a -1}]", 1, 6, "a recursion depth must be 0 or more, found -1"),
    ("[{:a 1.5}]", 1, 6, "a join's value must be a query vector"),
    ("[{:a :b}]", 1, 6, "found a keyword :b"),
    ("[[:a]]", 1, 2, "an ident is [keyword value] (2 items), found 1 item"),
    ("[[:a 1 2]]", 1, 2, "found 3 items"),
    ('[["a" 1]]', 1, 3, 'an ident starts with the attribute keyword, found a string "a"'),
    ('["s"]', 1, 2, 'found a string "s"'),
    ("[1]", 1, 2, "found a number 1"),
    ("[nil]", 1, 2, "found nil"),
    ("[foo/bar]", 1, 2, "a bare symbol foo/bar is not an EQL expression"),
    ("[()]", 1, 2, "an empty list is not EQL"),
    ("[(* {:a 1})]", 1, 3, "the wildcard * takes no parameters"),
    ("[(ns/op {:a 1} {:b 2})]", 1, 16, "a mutation call is (ns/op {params}): one params map"),
    ("[(ns/op 1)]", 1, 9, "params must be a map {...}, found a number 1"),
    ("[{(ns/op) :x}]", 1, 11, "a mutation join selects from the result with a query vector"),
    ('[{"s" [:a]}]', 1, 3, "a join key must be a property :k, an ident [:k v]"),
    ("[{(* ) [:a]}]", 1, 4, "the wildcard * takes no parameters"),
    ("[#{:a}]", 1, 2, "found a set #{...}"),
    ("[:a @]", 1, 5, "unexpected character '@'"),
    ('[:a "abc]', 1, 5, "unterminated string"),
    ('[(:a {:s "x\\qy"})]', 1, 12, "invalid escape \\q in a string"),
    ('[(:a {:s "\\u12"})]', 1, 11, "four hex digits must follow"),
    ('[(:a {:s "\\ud800"})]', 1, 10, "an unpaired surrogate"),
    ("[::a]", 1, 2, "auto-resolved keywords"),
    ("[:a/b/c]", 1, 2, "only one '/' is allowed"),
    ("[:/a]", 1, 2, "namespace and name around '/' must both be present"),
    ("[:]", 1, 2, "a keyword needs a name after ':'"),
    ("[(:a {:n 1.2.3})]", 1, 10, "invalid number 1.2.3"),
    ("[(:a {:n 007})]", 1, 10, "leading zeros are not allowed"),
    ("[(:a {:n 1/2})]", 1, 10, "no hexadecimal or ratio literals"),
    ("[(:a {:n ##Foo})]", 1, 10, "unknown symbolic value ##Foo"),
    ("[(:a {:b 1 :b 2})]", 1, 12, "duplicate map key :b"),
    ("[(:a {:s #{1 1}})]", 1, 14, "duplicate set element 1"),
    ("[(:a {{:x 1} 2})]", 1, 7, "a map cannot be a map key"),
    ("[[:a {:x 1}]]", 1, 6, "a map cannot be a map key, a set element or an ident value"),
    ('[(:a {:t #inst "yesterday"})]', 1, 16, "invalid #inst timestamp 'yesterday'"),
    ('[(:a {:u #uuid "nope"})]', 1, 16, "invalid #uuid 'nope'"),
    ("[(:a {:t #inst 5})]", 1, 16, "#inst takes a string, found a number 5"),
    ("[^:m :a]", 1, 6, "metadata applies to a collection or a symbol, not to a keyword :a"),
    ("[^1 {:a [:b]}]", 1, 3, "metadata must be a map, a keyword, a symbol or a string"),
    ("[:a ^]", 1, 6, "metadata ^ must be followed by a map or keyword"),
    ("[:a #_]", 1, 7, "#_ must be followed by the form it discards"),
    ("[#foo]", 1, 6, "a tag must be followed by the value it tags"),
    ("[# :a]", 1, 2, "'#' must start a set #{...}, a discard #_, or a tag"),
    ("[:a 'b]", 1, 5, "EDN has no quoting"),
    ("[(? :a :b)]", 1, 8, "(? ...) marks one attribute optional"),
    ("[(? (ns/op))]", 1, 5, "a mutation cannot be optional"),
    ("[:a\n :b\n {:c [:d] :e [:f]}]", 3, 11, "a join map must have exactly one entry, found 2"),
    ("[:ok\n\t:fine\t@]", 2, 8, "unexpected character '@'"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), 1, MAX_DEPTH + 1, "nests deeper than 256"),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), MALFORMED)
def test_malformed_input_points_at_the_offending_form(
    text: str, line: int, column: int, message: str
) -> None:
    with pytest.raises(EQLSyntaxError) as info:
        parse(text)
    error = info.value
    assert message in error.reason
    assert (error.line, error.column) == (line, column)
    assert error.details == {"line": line, "column": column}
    assert f"at line {line}, column {column}" in error.message


def test_at_least_thirty_malformed_inputs() -> None:
    assert len(MALFORMED) >= 30


def test_context_shows_the_line_with_a_caret_under_the_spot() -> None:
    with pytest.raises(EQLSyntaxError) as info:
        parse("[:a\n [:user/id 1 2]\n :c]")
    source, caret = info.value.context.split("\n")
    assert source == " [:user/id 1 2]"
    assert caret == " ^"
    assert info.value.message.endswith(info.value.context)


def test_caret_keeps_tabs_so_it_lines_up() -> None:
    with pytest.raises(EQLSyntaxError) as info:
        parse("[\t:a\t@]")
    assert info.value.context == "[\t:a\t@]\n \t  \t^"


def test_context_of_a_long_line_is_a_window_around_the_spot() -> None:
    text = "[" + " ".join(f":k{i}" for i in range(200)) + " @]"
    with pytest.raises(EQLSyntaxError) as info:
        parse(text)
    source, caret = info.value.context.split("\n")
    assert len(source) <= 110
    assert source.startswith("...")
    assert source[caret.index("^")] == "@"


def test_invalid_utf8() -> None:
    with pytest.raises(EQLSyntaxError) as info:
        parse(b"[:a\n :b \xff]")
    assert "not valid UTF-8 (byte 0xff at offset 8)" in info.value.reason
    assert (info.value.line, info.value.column) == (2, 5)


def test_not_text() -> None:
    with pytest.raises(EQLSyntaxError, match="must be str or bytes, not int"):
        parse(12)  # type: ignore[arg-type]


def test_too_long() -> None:
    with pytest.raises(EQLSyntaxError, match="the limit is"):
        parse("[" + " " * MAX_LENGTH + "]")


def test_huge_number_is_refused_not_crashed() -> None:
    with pytest.raises(EQLSyntaxError, match="number too long"):
        parse("[(:a {:n 1" + "0" * 5000 + "})]")


def _from_deep_stack(frames: int, text: str) -> object:
    return _from_deep_stack(frames - 1, text) if frames else parse(text)


def test_max_depth_of_joins_is_accepted_even_from_a_deep_call_stack() -> None:
    joins = (MAX_DEPTH - 1) // 2  # each join adds a map and a vector
    text = "[" + "{:a [" * joins + ":leaf" + "]}" * joins + "]"
    root = _from_deep_stack(150, text)
    node = root.children[0]
    levels = 1
    while node.children and node.children[0].type == "join":
        node = node.children[0]
        levels += 1
    assert levels == joins


def test_max_depth_of_values_is_accepted_even_from_a_deep_call_stack() -> None:
    vectors = MAX_DEPTH - 3  # the query vector, the param list, the params map
    root = _from_deep_stack(150, "[(:a {:v " + "[" * vectors + "]" * vectors + "})]")
    value = root.children[0].params["v"]
    levels = 1
    while value:
        value = value[0]
        levels += 1
    assert levels == vectors


def test_deep_value_nesting_is_refused() -> None:
    with pytest.raises(EQLSyntaxError, match="nests deeper"):
        parse("[(:a {:v " + "[" * 300 + "]" * 300 + "})]")
