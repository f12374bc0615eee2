"""Unknown attributes name their closest known neighbours ("did you mean ...?")."""

from __future__ import annotations

import pytest

from ouroboros import Engine, resolver
from ouroboros.connect.suggest import did_you_mean
from ouroboros.errors import UnreachableError


@resolver(output=["system/healthy?", {"git/commits": ["git/subject", "git/hash"]}])
def _status(_: dict) -> dict:
    """A stand-in with the names the issue's examples misspell."""
    return {"system/healthy?": True, "git/commits": [{"git/subject": "s", "git/hash": "h"}]}


def test_did_you_mean() -> None:
    known = ["system/healthy?", "git/subject", "git/hash"]
    assert did_you_mean("system/healthy", known) == "; did you mean :system/healthy??"
    assert did_you_mean("git/subjct", known) == "; did you mean :git/subject?"
    assert did_you_mean("zzz/qqq", known) == ""


@pytest.mark.parametrize(
    ("query", "suggested"),
    [("[:system/healthy]", ":system/healthy?"), ("[{:git/commits [:git/subjct]}]", ":git/subject")],
)
def test_unreachable_error_suggests(query: str, suggested: str) -> None:
    engine = Engine([_status])
    with pytest.raises(UnreachableError) as caught:
        engine.process(query)
    assert f"did you mean {suggested}?" in str(caught.value)
    (reason,) = caught.value.details["unreachable"].values()
    assert f"did you mean {suggested}?" in reason
    lenient = engine.process(query, lenient=True)
    assert "did you mean" in str(lenient)
