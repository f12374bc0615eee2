"""The one redaction list: every name from issue #9 item 15, case-insensitively, on every form."""

from __future__ import annotations

import pytest

from ouroboros.observe.redact import (
    REDACTED,
    is_sensitive,
    redact_headers,
    redact_mapping,
    redact_text,
    redact_url,
)

ISSUE_NAMES = [
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "api_key",
    "apikey",
    "key",
    "secret",
    "client_secret",
    "password",
    "sig",
    "signature",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "code",
]
R = "%5Bredacted%5D"


@pytest.mark.parametrize("name", ISSUE_NAMES)
@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_every_listed_query_name_is_redacted_in_urls_and_text(name: str, case) -> None:
    n = case(name)
    url = f"https://h.example/p?a=1&{n}=s3cr3t&b=2"
    assert redact_url(url) == f"https://h.example/p?a=1&{n}={R}&b=2"
    line = f'127.0.0.1:5 - "GET /graphql?{n}=s3cr3t&x=1 HTTP/1.1" 200'
    assert "s3cr3t" not in redact_text(line)
    assert "x=1" in redact_text(line)


def test_authorization_header_and_friends() -> None:
    assert redact_headers({"Authorization": "Bearer x", "Accept": "a", "X-Api-Key": "k"}) == {
        "authorization": REDACTED,
        "accept": "a",
        "x-api-key": REDACTED,
    }
    assert redact_headers([(b"cookie", b"c=1"), (b"host", b"h")]) == {
        "cookie": REDACTED,
        "host": "h",
    }
    assert "abc.def" not in redact_text("Authorization: Bearer abc.def")
    assert "hunter2" not in redact_text("password=hunter2 user=bob")
    assert "user=bob" in redact_text("password=hunter2 user=bob")


def test_plain_urls_and_names_are_left_alone() -> None:
    plain = "https://h.example/search?q=alice&page=2#top"
    assert redact_url(plain) == plain
    assert redact_text("GET /eql HTTP/1.1 200") == "GET /eql HTTP/1.1 200"
    assert not is_sensitive("query") and not is_sensitive("author")
    assert is_sensitive("x-auth-token") and is_sensitive("DB_PASSWORD")


def test_userinfo_is_dropped_or_masked_and_fragments_redacted() -> None:
    assert redact_url("https://u:p@h.example/x") == "https://h.example/x"
    assert redact_url("https://bob:pw@h/x", userinfo="mask") == "https://bob:***@h/x"
    assert (
        redact_url("https://h/cb#access_token=abc&state=1")
        == f"https://h/cb#access_token={R}&state=1"
    )
    assert redact_url("http://[::1") == "[unparseable url]"


def test_mapping_redacts_keys_and_nested_text() -> None:
    data = {"Password": "x", "nested": [{"url": "https://h/?sig=abc"}], "n": 1}
    assert redact_mapping(data) == {
        "Password": REDACTED,
        "nested": [{"url": f"https://h/?sig={R}"}],
        "n": 1,
    }
