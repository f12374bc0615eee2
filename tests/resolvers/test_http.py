"""Outbound HTTP against a real loopback server: blocked by default, allowed by the allow-list."""

from __future__ import annotations

import json
import logging

import pytest

from ouroboros.config import Settings
from ouroboros.errors import InvalidInputError, PermissionDeniedError
from ouroboros.resolvers import http as h
from tests.resolvers.conftest import LocalServer

BLOCKED = Settings(roots=("/nonexistent",))
ALLOWED = Settings(roots=("/nonexistent",), http_allow=("127.0.0.1",))


def test_loopback_is_blocked_by_default(server: LocalServer) -> None:
    with pytest.raises(PermissionDeniedError, match=r"127\.0\.0\.1.*loopback"):
        h.fetch(server.url("/hello"), settings=BLOCKED)


def test_allowed_get_returns_status_body_and_redacted_headers(server: LocalServer) -> None:
    result = h.fetch(server.url("/hello"), settings=ALLOWED)
    assert result["api/status"] == 200
    assert result["api/success?"] is True
    assert result["api/error"] is None
    assert result["api/body"] == "hello world"
    assert result["api/headers"]["x-test"] == "yes"
    assert result["api/headers"]["content-type"] == "text/plain"
    assert result["api/headers"]["set-cookie"] == h.REDACTED
    assert result["api/truncated?"] is False
    assert "s3cr3t" not in json.dumps(result)


def test_error_status_is_data_not_an_exception(server: LocalServer) -> None:
    result = h.fetch(server.url("/status/404"), settings=ALLOWED)
    assert result["api/status"] == 404
    assert result["api/success?"] is False
    assert "404" in result["api/error"]
    assert result["api/body"] == "status 404"


def test_request_sends_method_headers_json_body_and_host(server: LocalServer) -> None:
    result = h.fetch(
        server.url("/echo?q=1"),
        settings=ALLOWED,
        method="post",
        headers={"X-Trace": "abc"},
        body={"a": [1, 2]},
    )
    echo = json.loads(result["api/body"])
    assert echo["method"] == "POST"
    assert echo["path"] == "/echo?q=1"
    assert echo["headers"]["x-trace"] == "abc"
    assert echo["headers"]["content-type"] == "application/json"
    assert echo["headers"]["host"] == f"127.0.0.1:{server.port}"
    assert json.loads(echo["body"]) == {"a": [1, 2]}


def test_redirect_within_the_allowed_server_is_followed(server: LocalServer) -> None:
    result = h.fetch(server.url(f"/redirect?to={server.url('/hello')}"), settings=ALLOWED)
    assert result["api/status"] == 200 and result["api/body"] == "hello world"
    assert result["api/url"] == server.url("/hello")


def test_redirect_303_turns_post_into_get(server: LocalServer) -> None:
    result = h.fetch(
        server.url("/redirect?code=303&to=/echo"), settings=ALLOWED, method="POST", body="x"
    )
    assert json.loads(result["api/body"])["method"] == "GET"


def test_redirect_to_a_blocked_address_is_refused(server: LocalServer) -> None:
    # Allowed: the server at 127.0.0.1. Its redirect to another loopback address / metadata IP is not.
    for target in (
        "http://127.0.0.2/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
    ):
        with pytest.raises(PermissionDeniedError, match="refused"):
            h.fetch(server.url(f"/redirect?to={target}"), settings=ALLOWED)


def test_redirect_to_a_non_http_scheme_is_refused(server: LocalServer) -> None:
    with pytest.raises(PermissionDeniedError, match="scheme"):
        h.fetch(server.url("/redirect?to=file:///etc/passwd"), settings=ALLOWED)


def test_redirect_loops_are_bounded(server: LocalServer) -> None:
    loop = server.url("/redirect?to=/redirect%3Fto%3D/redirect%253Fto%253D/hello")
    assert h.fetch(loop, settings=ALLOWED)["api/status"] == 200  # 2 hops: fine
    with pytest.raises(InvalidInputError, match="redirects"):
        h.request(
            "GET",
            server.url("/redirect?to=/redirect%3Fto%3D/hello"),
            settings=ALLOWED,
            max_redirects=1,
        )


def test_oversize_bodies_are_capped(server: LocalServer) -> None:
    settings = ALLOWED.with_(http_max_bytes=1000)
    result = h.fetch(server.url("/big?size=50000"), settings=settings)
    assert len(result["api/body"]) == 1000
    assert result["api/truncated?"] is True
    small = h.fetch(server.url("/big?size=1000"), settings=settings)
    assert small["api/truncated?"] is False and len(small["api/body"]) == 1000


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://[fe80::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://169.254.169.254/",
    ],
)
def test_private_literals_are_refused_even_with_loopback_allowed(url: str) -> None:
    with pytest.raises(PermissionDeniedError):
        h.fetch(url, settings=ALLOWED)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/"])
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(PermissionDeniedError, match="scheme"):
        h.fetch(url, settings=ALLOWED)


def test_connection_refused_is_data(server: LocalServer) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = h.fetch(f"http://127.0.0.1:{port}/", settings=ALLOWED)
    assert result["api/success?"] is False and result["api/status"] is None
    assert "Connection" in result["api/error"] or "refused" in result["api/error"]


def test_unresolvable_host_is_data() -> None:
    result = h.fetch("http://does-not-exist.invalid/", settings=ALLOWED)
    assert result["api/success?"] is False and "could not be resolved" in result["api/error"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "TRACE"}, "not supported"),
        ({"headers": {"Host": "evil"}}, "set from the URL"),
        ({"headers": {"X-A": "1\r\nX-B: 2"}}, "line break"),
        ({"headers": {"bad header": "1"}}, "invalid header name"),
        ({"headers": "nope"}, "map"),
        ({"body": object()}, "request body"),
    ],
)
def test_bad_request_input(server: LocalServer, kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        h.fetch(server.url("/echo"), settings=ALLOWED, **kwargs)


def test_secrets_never_in_results_or_logs(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ouroboros.resolvers.http")
    result = h.fetch(
        server.url("/echo?api_key=topsecret&page=2"),
        settings=ALLOWED,
        headers={"Authorization": "Bearer hunter2"},
    )
    assert result["api/url"] == server.url(
        f"/echo?api_key={h.REDACTED.replace('[', '%5B').replace(']', '%5D')}&page=2"
    )
    assert "topsecret" not in caplog.text and "hunter2" not in caplog.text
    assert "topsecret" not in result["api/url"]


def test_authorization_is_dropped_on_cross_origin_redirect(server: LocalServer) -> None:
    other = server.url("/echo").replace("127.0.0.1", "localhost")
    settings = ALLOWED.with_(http_allow=("127.0.0.1", "localhost"))
    result = h.fetch(
        server.url(f"/redirect?to={other}"),
        settings=settings,
        headers={"Authorization": "Bearer hunter2", "X-Keep": "1"},
    )
    echo = json.loads(result["api/body"])
    assert "authorization" not in echo["headers"]
    assert echo["headers"]["x-keep"] == "1"


def test_redaction_helpers() -> None:
    assert h.redact_headers(
        {"Authorization": "x", "X-Api-Key": "k", "Cookie": "c", "Accept": "a"}
    ) == {
        "authorization": h.REDACTED,
        "x-api-key": h.REDACTED,
        "cookie": h.REDACTED,
        "accept": "a",
    }
    assert (
        h.redact_url("https://u:p@h.example/x?token=1&a=2")
        == "https://h.example/x?token=%5Bredacted%5D&a=2"
    )


def test_api_meta() -> None:
    meta = h.api_meta(ALLOWED)
    assert meta["api/methods"][0] == "GET" and meta["api/max-bytes"] == ALLOWED.http_max_bytes


# --- TLS: certificate checked against the host name while the socket goes to the pinned IP ----


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory):
    import shutil
    import ssl
    import subprocess
    import threading

    from tests.resolvers.conftest import _Handler, _QuietServer

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], cert
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_tls_certificates_are_verified(tls_server) -> None:
    port, _cert = tls_server
    result = h.fetch(
        f"https://localhost:{port}/hello", settings=ALLOWED.with_(http_allow=("localhost",))
    )
    assert result["api/success?"] is False and "CERTIFICATE_VERIFY_FAILED" in result["api/error"]


def test_tls_to_pinned_address_checks_the_host_name(
    tls_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    port, cert = tls_server

    def trusting() -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(cert))

    monkeypatch.setattr(h, "tls_context", trusting)
    ok = h.fetch(
        f"https://localhost:{port}/hello", settings=ALLOWED.with_(http_allow=("localhost",))
    )
    assert ok["api/status"] == 200 and ok["api/body"] == "hello world"
    # Same server, same IP, but the certificate does not name 127.0.0.1: refused.
    wrong = h.fetch(f"https://127.0.0.1:{port}/hello", settings=ALLOWED)
    assert wrong["api/success?"] is False and "CERTIFICATE_VERIFY_FAILED" in wrong["api/error"]


def test_dns_is_resolved_once_and_the_checked_address_is_used(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a second answer (private) must never be used after the check."""
    import socket

    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "10.0.0.1", "10.0.0.1"])
    asked: list[str] = []

    def fake(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        ip = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    url = f"http://rebind.test:{server.port}/echo"
    result = h.fetch(url, settings=ALLOWED)  # 127.0.0.1 is allowed; 10.0.0.1 is not
    assert result["api/status"] == 200
    assert json.loads(result["api/body"])["headers"]["host"] == f"rebind.test:{server.port}"
    assert asked == ["rebind.test"]
    with pytest.raises(PermissionDeniedError, match=r"10\.0\.0\.1 is private"):
        h.fetch(url, settings=ALLOWED)  # the next answer is checked, and refused
