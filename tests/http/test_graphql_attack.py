"""GraphQL denial-of-service documents: linear validation work, refused cleanly, off the loop."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from graphql import ValidationRule, parse
from graphql.language import Lexer, Source, TokenKind

from ouroboros.http.graphql.cost import CostLimits, cost_errors, measure_document
from ouroboros.http.graphql.schema import GraphQLLimits, build_schema
from ouroboros.http.graphql.validation import count_tokens
from ouroboros.http.graphql.view import GraphQLView

GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


def doubling(depth: int, tag: str = "") -> str:
    """F{i} spreads F{i+1} twice: about 40 bytes a level, 2^depth fields once expanded."""
    parts = [f"query{{...F{tag}0}}"]
    for i in range(depth):
        parts.append(f"fragment F{tag}{i} on Query{{...F{tag}{i + 1} ...F{tag}{i + 1}}}")
    parts.append(f"fragment F{tag}{depth} on Query{{people__count}}")
    return " ".join(parts)


@pytest.mark.parametrize("depth", [10, 20, 30, 200])
def test_each_fragment_is_walked_once(depth: int) -> None:
    costs, stats = measure_document(parse(doubling(depth)))
    # linear: one walk per fragment body, one per selection set in the document
    assert stats.fragments_walked == depth + 1
    assert stats.selection_sets_walked == depth + 2
    (cost,) = costs.values()
    assert cost.fields == min(2**depth, 1 << 40)
    assert cost.repeats == min(2**depth, 1 << 40)
    assert cost.depth == 0


def test_costs_count_nesting_aliases_and_inline_fragments() -> None:
    document = parse(
        "query Q { a: people__count ...P ... on Query { b: people__count } "
        'person(name: "x") { friends { name } } } '
        "fragment P on Query { people__count people__count }"
    )
    costs, stats = measure_document(document)
    cost = costs["Q"]
    assert (cost.aliases, cost.fields, cost.depth) == (2, 7, 2)
    assert cost.repeats == 2  # people__count twice, from P
    assert stats.fragments_walked == 1


def test_a_fragment_cycle_is_left_to_graphql_core() -> None:
    document = parse("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    _, stats = measure_document(document)
    assert stats.fragments_walked == 2
    assert cost_errors(document, CostLimits()) == []


def test_limits_are_reported_per_kind() -> None:
    errors = cost_errors(parse(doubling(30)), CostLimits())
    kinds = {e.extensions["details"]["limit"] for e in errors}  # type: ignore[index]
    assert kinds == {"fields", "repeats"}
    assert all(e.extensions["type"] == "QueryLimitError" for e in errors)  # type: ignore[index]


def _lexer_tokens(text: str) -> int:
    lexer, count = Lexer(Source(text)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


@pytest.mark.parametrize(
    "text",
    [
        '{ a(x: "b c \\" d", y: """e "" f \\""" g""") @g ...H ... on T { i } } # j k',
        "query($v: [Int!] = [1, -2.5e3]) { a(x: $v) }",
        '{ a(x: """\n multi\n \\ line\n""") }',
    ],
)
def test_token_count_matches_the_lexer(text: str) -> None:
    assert count_tokens(text, stop_after=1000) == _lexer_tokens(text)


def test_token_count_is_linear_on_unterminated_strings() -> None:
    for text in ['"""' * 20000, '\\"' * 30000, '"\\' * 30000]:
        assert count_tokens(text, stop_after=10**6) < len(text)
    assert count_tokens("{ a }" * 1000, stop_after=10) == 11  # stops early


@pytest.mark.parametrize("depth", [16, 20, 30])
def test_fragment_doubling_is_refused(client, depth: int) -> None:
    r = client.post("/graphql", json={"query": doubling(depth, tag=f"d{depth}_")})
    body = r.json()
    assert body["data"] is None
    messages = " ".join(e["message"] for e in body["errors"])
    assert "fields once its fragments are expanded" in messages
    bad = client.post(
        "/graphql", json={"query": doubling(depth, tag="again")}, headers=GRAPHQL_RESPONSE
    )
    assert bad.status_code == 400 and "data" not in bad.json()
    assert client.post("/graphql", json={"query": "{ people__count }"}).json() == {
        "data": {"people__count": 3}
    }


def test_repeated_field_and_size_limits(client) -> None:
    many = "{" + " people__count" * 40 + "}"
    body = client.post("/graphql", json={"query": many}).json()
    assert "selects one field 40 times" in body["errors"][0]["message"]
    fine = "{" + " people__count" * 20 + "}"
    assert client.post("/graphql", json={"query": fine}).json() == {"data": {"people__count": 3}}
    huge = "{ people__count } # " + "x" * (70 * 1024)
    body = client.post("/graphql", json={"query": huge}).json()
    assert "characters long" in body["errors"][0]["message"]


class _Gate:
    """A validation rule that waits on an event: stands in for a slow validation."""

    entered = threading.Event()
    release = threading.Event()
    finished = threading.Event()


class _BlockingRule(ValidationRule):
    def __init__(self, context: Any) -> None:
        super().__init__(context)
        _Gate.entered.set()
        _Gate.release.wait(timeout=60)
        _Gate.finished.set()


def test_validation_does_not_hold_the_event_loop(service, client_for) -> None:
    """While one document is being validated, /health still answers (validation runs in a
    worker thread; on the loop, the /health request would wait for the release)."""
    _Gate.entered.clear()
    _Gate.release.clear()
    _Gate.finished.clear()
    with client_for(service) as client:
        app_state = client.app.state  # type: ignore[attr-defined]
        model = app_state.graphql.model
        limits = GraphQLLimits(extra_rules=[_BlockingRule])
        app_state.graphql = GraphQLView(build_schema(model, service, limits), service=service)
        answers: list[Any] = []
        slow = threading.Thread(
            target=lambda: answers.append(
                client.post("/graphql", json={"query": "{ people__count }"}).json()
            )
        )
        slow.start()
        try:
            assert _Gate.entered.wait(timeout=60)
            health = client.get("/health")
            assert health.status_code == 200
            assert not _Gate.finished.is_set()  # /health answered during the validation
        finally:
            _Gate.release.set()
            slow.join(timeout=60)
        assert answers == [{"data": {"people__count": 3}}]
