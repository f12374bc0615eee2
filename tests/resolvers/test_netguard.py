"""The SSRF policy: which addresses are blocked, how the allow-list permits, URL checks."""

from __future__ import annotations

import ipaddress

import pytest

from ouroboros.errors import InvalidInputError, PermissionDeniedError
from ouroboros.resolvers.netguard import AllowList, blocked_reason, check_url, split_url

NOBODY = AllowList()


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.5.5.5", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "private"),
        ("100.64.0.1", "not globally routable"),  # carrier-grade NAT
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "private"),
        ("255.255.255.255", "private"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("ff02::1", "multicast"),
        ("fec0::1", "site-local"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 around 10.0.0.1
        ("::127.0.0.1", "loopback"),  # IPv4-compatible
    ],
)
def test_blocked_addresses(ip: str, reason: str) -> None:
    assert blocked_reason(ipaddress.ip_address(ip)) == reason


@pytest.mark.parametrize(
    "ip", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(ip: str) -> None:
    assert blocked_reason(ipaddress.ip_address(ip)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8080/x",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f.0.0.1/",
        "http://0/",
        "https://[fe80::1]/",
    ],
)
def test_check_url_refuses_internal_targets(url: str) -> None:
    with pytest.raises(PermissionDeniedError, match="refused") as info:
        check_url(url, NOBODY)
    assert info.value.details["reason"] == "ssrf"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/",
        "gopher://127.0.0.1:25/",
        "javascript:alert(1)",
        "//example.com/",
        "example.com",
    ],
)
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(PermissionDeniedError, match="only http and https"):
        split_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "http://",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://user:pw@example.com/",
        "http://a\r\nb/",
    ],
)
def test_malformed_urls_are_invalid_input(url: str) -> None:
    with pytest.raises(InvalidInputError):
        split_url(url)


def test_split_url() -> None:
    assert split_url("HTTPS://Example.COM./a/b?q=1#frag") == (
        "https",
        "example.com",
        443,
        "/a/b?q=1",
    )
    assert split_url("http://[::1]:8080") == ("http", "::1", 8080, "/")


def test_allow_list_by_ip_cidr_host_and_wildcard() -> None:
    allow = AllowList.parse(["127.0.0.1", "10.0.0.0/8", "LocalHost", "*.corp.example", "[::1]"])
    assert allow.allows_ip(ipaddress.ip_address("127.0.0.1"))
    assert allow.allows_ip(ipaddress.ip_address("::ffff:127.0.0.1"))  # mapped form of a listed IP
    assert allow.allows_ip(ipaddress.ip_address("10.9.8.7"))
    assert allow.allows_ip(ipaddress.ip_address("::1"))
    assert not allow.allows_ip(ipaddress.ip_address("127.0.0.2"))
    assert not allow.allows_ip(ipaddress.ip_address("192.168.0.1"))
    assert allow.allows_host("localhost")
    assert allow.allows_host("api.corp.example")
    assert not allow.allows_host("corp.example.evil.com")
    assert AllowList.parse(["*"]).allows_ip(ipaddress.ip_address("10.0.0.1"))
    with pytest.raises(InvalidInputError):
        AllowList.parse([" "])


def test_check_url_with_allow_list_pins_the_checked_address() -> None:
    target = check_url("http://127.0.0.1:8080/x?y=1", AllowList.parse(["127.0.0.1"]))
    assert target.addresses == (ipaddress.ip_address("127.0.0.1"),)
    assert (target.host, target.port, target.target) == ("127.0.0.1", 8080, "/x?y=1")
    with pytest.raises(PermissionDeniedError):
        check_url("http://127.0.0.2/", AllowList.parse(["127.0.0.1"]))


def test_allowed_host_name_trusts_its_addresses() -> None:
    target = check_url("http://localhost/", AllowList.parse(["localhost"]))
    assert all(blocked_reason(ip) == "loopback" for ip in target.addresses)
