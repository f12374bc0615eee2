"""`ouroboros serve` refusing unsafe binds, and `ouroboros token create|list|revoke`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ouroboros.cli import main
from ouroboros.http.auth import BindRefusedError, check_bind, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2", "[::1]"])
def test_loopback_hosts_bind_without_tokens(host: str) -> None:
    assert is_loopback(host)
    check_bind(host, has_tokens=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_other_hosts_need_tokens(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(BindRefusedError, match="refusing to bind"):
        check_bind(host, has_tokens=False)
    check_bind(host, has_tokens=True)


def test_serve_refuses_a_public_bind_without_tokens(tmp_path) -> None:
    db = str(tmp_path / "db.duckdb")
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "1", "--db", db])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: BindRefusedError: refusing to bind 0.0.0.0")


def test_token_commands(tmp_path) -> None:
    db = str(tmp_path / "db.duckdb")
    runner = CliRunner()
    created = runner.invoke(
        main, ["token", "create", "ci", "--scope", "read", "--scope", "write", "--db", db]
    )
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("ouro_") and len(secret) > 32
    assert "not shown again" in created.stderr

    listed = runner.invoke(main, ["token", "list", "--db", db])
    assert listed.exit_code == 0
    assert "ci" in listed.stdout and "read,write" in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout

    bad = runner.invoke(main, ["token", "create", "x", "--scope", "root", "--db", db])
    assert bad.exit_code == 2  # click refuses an unknown scope

    dup = runner.invoke(main, ["token", "create", "ci", "--scope", "read", "--db", db])
    assert dup.exit_code == 1
    assert dup.stderr.startswith("error: ConflictError")

    revoked = runner.invoke(main, ["token", "revoke", "ci", "--db", db])
    assert revoked.exit_code == 0
    again = runner.invoke(main, ["token", "revoke", "ci", "--db", db])
    assert again.exit_code == 1
    listed = runner.invoke(main, ["token", "list", "--json", "--db", db])
    assert '"revoked": true' in listed.stdout


def test_serve_binds_publicly_once_a_token_exists(tmp_path, monkeypatch) -> None:
    """With a token the bind check passes and uvicorn is started (stubbed here)."""
    db = str(tmp_path / "db.duckdb")
    runner = CliRunner()
    assert (
        runner.invoke(main, ["token", "create", "ops", "--scope", "admin", "--db", db]).exit_code
        == 0
    )
    started = {}

    def fake_run(app, **kw):
        started.update(kw)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = runner.invoke(main, ["serve", "--host", "0.0.0.0", "--port", "8123", "--db", db])
    assert result.exit_code == 0, result.output
    assert started["host"] == "0.0.0.0" and started["port"] == 8123
