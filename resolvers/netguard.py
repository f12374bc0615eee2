"""Netguard: the SSRF policy for outbound HTTP — which URLs and resolved addresses may be reached."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from ouroboros.errors import InvalidInputError, NotFoundError, PermissionDeniedError

__all__ = ["AllowList", "IPAddress", "Target", "blocked_reason", "check_url", "resolve_host"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks outbound HTTP may reach even when they are private.

    Entries (``settings.http_allow``): an exact host name (``localhost``), a wildcard
    (``*.corp.example``), an IP (``127.0.0.1``, ``::1``) or a CIDR (``10.0.0.0/8``); ``*`` allows
    everything. A host name entry trusts whatever that name resolves to.
    """

    hosts: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()
    everything: bool = False

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Return the allow-list for ``entries``; raises ``InvalidInputError`` for a blank entry."""
        hosts: set[str] = set()
        suffixes: list[str] = []
        networks: list[IPNetwork] = []
        everything = False
        for raw in entries:
            entry = str(raw).strip().lower()
            if not entry:
                raise InvalidInputError("an http allow-list entry must not be empty")
            if entry == "*":
                everything = True
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if entry.startswith("*."):
                suffixes.append("." + normalise_host(entry[2:]))
            else:
                hosts.add(normalise_host(entry))
        return cls(frozenset(hosts), tuple(suffixes), tuple(networks), everything)

    def allows_host(self, host: str) -> bool:
        """True when host name ``host`` (normalised) is listed, exactly or by wildcard."""
        return self.everything or host in self.hosts or any(host.endswith(s) for s in self.suffixes)

    def allows_ip(self, ip: IPAddress) -> bool:
        """True when ``ip`` (or the IPv4 address it embeds) lies in a listed network."""
        if self.everything:
            return True
        candidates = [ip, *_embedded_ipv4(ip)]
        return any(
            c in net for c in candidates for net in self.networks if c.version == net.version
        )


def normalise_host(host: str) -> str:
    """Return ``host`` lower-cased, without a trailing dot, IDNA-encoded (``bücher.de`` → ``xn--…``)."""
    host = host.strip().rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidInputError(f"invalid host name {host!r}") from exc


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """Return the IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    # The deprecated IPv4-compatible form ::a.b.c.d (not :: or ::1 themselves).
    if int(ip) >> 32 == 0 and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip)))
    return found


def blocked_reason(ip: IPAddress) -> str | None:
    """Return why ``ip`` may not be reached by default ("loopback", "private", ...), or None.

    An IPv6 address that carries an IPv4 address (mapped, 6to4, NAT64, ...) is judged by it.
    """
    candidates: list[IPAddress] = [*_embedded_ipv4(ip)] or [ip]
    for candidate in candidates:
        if candidate.is_unspecified:
            return "unspecified"
        if candidate.is_loopback:
            return "loopback"
        if candidate.is_link_local:
            return "link-local"
        if candidate.is_multicast:
            return "multicast"
        if isinstance(candidate, ipaddress.IPv6Address) and candidate.is_site_local:
            return "site-local"
        if candidate.is_private:
            return "private"
        if candidate.is_reserved:
            return "reserved"
        if not candidate.is_global:
            return "not globally routable"
    return None


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Return the addresses ``host`` resolves to (an IP literal resolves to itself), in order.

    Raises ``NotFoundError`` when the name does not resolve.
    """
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise NotFoundError(f"host {host!r} could not be resolved", details={"host": host}) from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    return addresses


@dataclass(frozen=True, kw_only=True)
class Target:
    """A checked outbound URL: where to connect (``addresses``) and what to ask for."""

    url: str
    scheme: str
    host: str
    port: int
    target: str  # path + query, what goes on the request line
    addresses: tuple[IPAddress, ...]


def split_url(url: str) -> tuple[str, str, int, str]:
    """Return ``(scheme, host, port, path+query)`` of an http(s) URL.

    Raises ``InvalidInputError`` (not a string, no host, bad port, credentials in the URL) and
    ``PermissionDeniedError`` (a scheme other than http/https).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidInputError("a URL must be a non-empty string")
    url = url.strip()
    if any(c in url for c in "\x00\r\n\t "):
        raise InvalidInputError(f"URL {url!r} contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInputError(f"invalid URL {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise PermissionDeniedError(
            f"URL scheme {parts.scheme or '(none)'!r} is refused; only http and https are allowed",
            details={"url": url, "reason": "scheme"},
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidInputError(
            "credentials in the URL are refused; send them in an Authorization header"
        )
    if not parts.hostname:
        raise InvalidInputError(f"URL {url!r} has no host")
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return scheme, normalise_host(parts.hostname), port or SCHEMES[scheme], target


def check_url(url: str, allow: AllowList) -> Target:
    """Return the checked ``Target`` for ``url``, resolving its host once.

    Only addresses that are public, or permitted by ``allow``, are kept; connect to those and
    nothing else (so a DNS answer that changes after the check is never used). Raises
    ``PermissionDeniedError`` naming the host and why, ``InvalidInputError``, ``NotFoundError``.
    """
    scheme, host, port, target = split_url(url)
    addresses = resolve_host(host, port)
    if allow.allows_host(host):
        permitted = addresses
    else:
        permitted = [ip for ip in addresses if blocked_reason(ip) is None or allow.allows_ip(ip)]
    if not permitted:
        reasons = sorted({f"{ip} is {blocked_reason(ip)}" for ip in addresses})
        raise PermissionDeniedError(
            f"outbound request to {host!r} is refused: {'; '.join(reasons) or 'no address'} "
            "(add the host, IP or network to the http allow-list to permit it)",
            details={"host": host, "addresses": [str(ip) for ip in addresses], "reason": "ssrf"},
        )
    return Target(
        url=url.strip(),
        scheme=scheme,
        host=host,
        port=port,
        target=target,
        addresses=tuple(permitted),
    )
