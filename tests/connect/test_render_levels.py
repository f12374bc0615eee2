"""Plan pictures (DOT, Mermaid) draw every level: joins and idents as nested subgraphs."""

from __future__ import annotations

from ouroboros import Engine, resolver


@resolver(input=["user/id"], output=["user/name", {"user/friends": ["user/id"]}])
def _user(data: dict) -> dict:
    """A user's name and friends (no body needed: only planned)."""
    return {}


@resolver(input=["user/id"], output=["user/email"])
def _email(data: dict) -> dict:
    """A user's email."""
    return {}


QUERY = "[{[:user/id 1] [:user/name {:user/friends [:user/email {:user/friends [:user/name]}]}]}]"


def test_mermaid_nests_ident_and_join_levels() -> None:
    text = Engine([_user, _email]).explain(QUERY, fmt="mermaid")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    subgraphs = [line.strip() for line in lines if line.strip().startswith("subgraph")]
    assert subgraphs == [
        'subgraph l1["[:user/id 1]"]',
        'subgraph l2[":user/friends"]',
        'subgraph l3[":user/friends"]',
    ]
    assert lines.count("  end") == 1 and text.count("end") >= 3
    assert "l1_n1" in text and "resolver" in text and "user/email" in text  # nested levels drawn
    # nested: the innermost subgraph is indented inside the others
    assert any(line.startswith("      subgraph l3") for line in lines)


def test_dot_nests_clusters() -> None:
    text = Engine([_user, _email]).explain(QUERY, fmt="dot")
    assert text.startswith("digraph plan {") and text.rstrip().endswith("}")
    assert text.count("subgraph cluster_") == 3
    assert 'label="[:user/id 1]";' in text
    assert "l2_n1" in text and "user/email" in text
    assert text.count("{") == text.count("}")


def test_an_empty_level_says_so() -> None:
    text = Engine([_user]).explain("[:user/name]", ["user/id", "user/name"], fmt="mermaid")
    assert '["(nothing to run)"]' in text
