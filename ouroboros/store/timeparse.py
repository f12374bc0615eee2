"""Reading times given by people and programs: ISO 8601 and unambiguous human forms, as UTC.

The store (valid times, ``asOf``/``knownAt``) and the memory package (session times of
transcripts) share this one parser; it lives in ``store`` because the store validates its own
inputs and may not import the packages above it.

Accepted, always giving a naive UTC ``datetime`` (what the TIMESTAMP columns hold):
- ISO 8601: ``2023``, ``2023-05`` (the first day), ``2023-05-08``, ``2023-05-08T13:56``, ``2023-05-08 13:56:00Z``,
  ``2023-05-08T13:56:00+02:00``, ``20230508T135600Z``. No zone means UTC; a bare date means
  midnight UTC.
- A month by name, with an optional clock time before or after: ``8 May 2023``,
  ``8 May, 2023``, ``May 8, 2023``, ``8th of May 2023``, ``1:56 pm on 8 May, 2023``,
  ``May 2023`` (the first of the month), ``10 am, 3 Jan 2024``.
- Numeric dates whose order cannot be misread: ``2023/05/08``, ``2023.05.08``, and
  ``25/12/2023`` or ``12/25/2023`` (one part above 12), or equal day and month.

Refused with ``InvalidInputError`` (never guessed): ``03/04/2023`` (3 April or March 4?),
two-digit years, relative words (``yesterday``), impossible dates, anything else.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from ouroboros.errors import InvalidInputError

__all__ = ["parse_time", "time_arg"]

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}
_MONTH = "(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_AMPM = r"am|pm|a\.m\.|p\.m\."
# A clock time has minutes or am/pm: a bare number next to a date is never read as an hour.
_CLOCK = (
    rf"(?P<hour>\d{{1,2}})(?::(?P<minute>\d{{2}})(?::(?P<second>\d{{2}}))?\s*(?P<ampm>{_AMPM})?"
    rf"|\s*(?P<ampm_only>{_AMPM}))"
)
_DATE_FORMS = [
    rf"{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}",
    rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}",
    rf"{_MONTH},?\s+{_YEAR}",
]
_NUMERIC = re.compile(r"(?P<a>\d{1,4})[/.\-](?P<b>\d{1,2})[/.\-](?P<c>\d{1,4})")
_SEP = r"\s*(?:,|\bon\b|\bat\b)?\s*"
_HUMAN = [
    re.compile(rf"^(?:{_CLOCK}{_SEP})?{form}(?:{_SEP}{_CLOCK.replace('?P<', '?P<t')})?$")
    for form in _DATE_FORMS
]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def _clock(groups: dict[str, str | None], prefix: str, text: str) -> time:
    hour_s = groups.get(prefix + "hour")
    if hour_s is None:
        return time(0, 0)
    hour = int(hour_s)
    minute = int(groups.get(prefix + "minute") or 0)
    second = int(groups.get(prefix + "second") or 0)
    ampm = (groups.get(prefix + "ampm") or groups.get(prefix + "ampm_only") or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidInputError(f"not a time: {text!r} ({hour} {ampm})")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    try:
        return time(hour, minute, second)
    except ValueError:
        raise InvalidInputError(f"not a time of day in {text!r}") from None


def _human(text: str) -> datetime | None:
    low = " ".join(text.casefold().split())
    for pattern in _HUMAN:
        m = pattern.match(low)
        if m is None:
            continue
        g = m.groupdict()
        if g.get("hour") and g.get("thour"):
            raise InvalidInputError(f"two clock times in {text!r}")
        clock = _clock(g, "t" if g.get("thour") else "", text)
        try:
            day = date(int(g["year"]), MONTHS[g["month"]], int(g.get("day") or 1))
        except ValueError:
            raise InvalidInputError(f"no such date: {text!r}") from None
        return datetime.combine(day, clock)
    return None


_REDUCED = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2}))?")


def _numeric(text: str) -> datetime | None:
    reduced = _REDUCED.fullmatch(text.strip())
    if reduced is not None:  # ISO 8601 reduced precision: a year, or a year and month
        try:
            return datetime(int(reduced["year"]), int(reduced["month"] or 1), 1)
        except ValueError:
            raise InvalidInputError(f"no such month: {text!r}") from None
    m = _NUMERIC.fullmatch(text.strip())
    if m is None:
        return None
    a, b, c = m.group("a"), m.group("b"), m.group("c")
    if len(a) == 4:
        year, month, day = int(a), int(b), int(c)
    elif len(c) == 4:
        first, second = int(a), int(b)
        if first > 12 >= second:
            day, month = first, second
        elif second > 12 >= first:
            month, day = first, second
        elif first == second:
            day = month = first
        else:
            raise InvalidInputError(
                f"ambiguous date {text!r}: day/month or month/day? "
                "Give it as ISO 8601 (YYYY-MM-DD) or with the month's name (4 March 2023)"
            )
        year = int(c)
    else:
        raise InvalidInputError(f"ambiguous date {text!r}: give a four-digit year (ISO 8601)")
    try:
        return datetime(year, month, day)
    except ValueError:
        raise InvalidInputError(f"no such date: {text!r}") from None


def parse_time(value: object, what: str = "time") -> datetime:
    """Return ``value`` (an ISO 8601 or unambiguous human time, or a datetime) as naive UTC.

    Raises InvalidInputError naming ``what`` for anything else, including ambiguous dates.
    """
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0))
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} must be a time as text (ISO 8601, e.g. 2024-01-31)")
    text = value.strip()
    if len(text) > 100:
        raise InvalidInputError(f"{what} is too long to be a time")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None:
        return _utc(parsed)
    try:
        found = _numeric(text) or _human(text)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{what}: {exc.message}") from None
    if found is None:
        raise InvalidInputError(
            f"{what}: cannot read {text!r} as a time; give ISO 8601 (2023-05-08T13:56:00Z) "
            "or a date with the month's name (1:56 pm on 8 May, 2023)"
        )
    return found


def time_arg(value: object, what: str) -> datetime | None:
    """Return ``parse_time(value)``, or None when ``value`` is None (an optional argument)."""
    return None if value is None else parse_time(value, what)
