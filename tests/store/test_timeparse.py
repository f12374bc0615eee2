"""Times: ISO 8601 and unambiguous human forms read as UTC; ambiguous ones refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ouroboros.errors import InvalidInputError
from ouroboros.store.timeparse import parse_time


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2023-05-08", datetime(2023, 5, 8)),
        ("2023", datetime(2023, 1, 1)),
        ("2023-05", datetime(2023, 5, 1)),
        ("2023-05-08T13:56", datetime(2023, 5, 8, 13, 56)),
        ("2023-05-08 13:56:00Z", datetime(2023, 5, 8, 13, 56)),
        ("2023-05-08T13:56:00+02:00", datetime(2023, 5, 8, 11, 56)),
        ("1:56 pm on 8 May, 2023", datetime(2023, 5, 8, 13, 56)),
        ("10:37 am on 27 June, 2023", datetime(2023, 6, 27, 10, 37)),
        ("12:09 am on 13 September, 2023", datetime(2023, 9, 13, 0, 9)),
        ("8 May, 2023", datetime(2023, 5, 8)),
        ("May 8, 2023", datetime(2023, 5, 8)),
        ("8th of May 2023", datetime(2023, 5, 8)),
        ("May 2023", datetime(2023, 5, 1)),
        ("10 am, 3 Jan 2024", datetime(2024, 1, 3, 10)),
        ("8 May 2023 at 13:56", datetime(2023, 5, 8, 13, 56)),
        ("25/12/2023", datetime(2023, 12, 25)),
        ("12/25/2023", datetime(2023, 12, 25)),
        ("2023/05/08", datetime(2023, 5, 8)),
        ("05/05/2023", datetime(2023, 5, 5)),
    ],
)
def test_accepted(text: str, want: datetime) -> None:
    assert parse_time(text) == want


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("03/04/2023", "ambiguous"),
        ("3/4/23", "four-digit"),
        ("yesterday", "cannot read"),
        ("31 Feb 2023", "no such date"),
        ("13 pm on 8 May 2023", "not a time"),
        ("", "must be"),
        ("x" * 500, "too long"),
    ],
)
def test_refused(text: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        parse_time(text)


def test_datetimes_and_dates() -> None:
    aware = datetime(2023, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_time(aware) == datetime(2023, 1, 1, 17)
    assert parse_time(datetime(2023, 1, 1, tzinfo=UTC)) == datetime(2023, 1, 1)
    assert parse_time(date(2023, 1, 2)) == datetime(2023, 1, 2)
    with pytest.raises(InvalidInputError):
        parse_time(20230101)
