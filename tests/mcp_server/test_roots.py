"""File roots over MCP: none unless configured or offered by the client (MCP roots/list).

Issue 9 item 13: the default used to be the working directory, and MCP clients often start
servers in ``/``, so ``file_read /etc/hostname`` worked. Now the file tools have no roots until
``--roots`` / ``OUROBOROS_ROOTS`` name some or the client offers its roots, as the official
filesystem MCP server does.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from ouroboros.config import Settings
from ouroboros.mcp_server import build_mcp_server
from ouroboros.service import open_service

pytestmark = pytest.mark.anyio

OUROBOROS = Path(sys.executable).with_name("ouroboros")


def payload(result: Any) -> Any:
    return json.loads(result.content[0].text)


@pytest.fixture
def two_dirs(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "in-a.txt").write_text("from a\n")
    (b / "in-b.txt").write_text("from b\n")
    return a, b


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Any]:
    settings = Settings(db_path=str(tmp_path / "kb.duckdb"), rate_limit_per_minute=0)
    assert settings.roots == () and settings.repo_root is None
    with open_service(settings) as opened:
        yield opened


class OfferedRoots:
    """A client's roots/list callback: answers with ``dirs``, counts and signals each call."""

    def __init__(self, *dirs: Path) -> None:
        self.dirs = list(dirs)
        self.calls = 0
        self.asked = anyio.Event()

    async def __call__(self, context: Any) -> types.ListRootsResult:
        self.calls += 1
        self.asked.set()
        return types.ListRootsResult(
            roots=[types.Root(uri=d.as_uri(), name=d.name) for d in self.dirs]
            + [types.Root(uri="file://fileserver/share")]  # not local: skipped
        )


def assert_no_roots_error(result: Any) -> None:
    assert result.is_error
    error = payload(result)["error"]
    assert error["type"] == "PermissionDeniedError"
    assert "no file roots are configured" in error["message"]
    assert "--roots" in error["message"] and "OUROBOROS_ROOTS" in error["message"]
    assert error["details"]["reason"] == "no roots configured"


async def test_without_roots_file_tools_say_how_to_configure_them(service: Any) -> None:
    async with Client(build_mcp_server(service.tools), mode="legacy") as client:
        for name, args in [
            ("file_read", {"path": "/etc/hostname"}),
            ("file_list", {"dir": "/"}),
            ("file_list", {}),
            ("file_search", {"pattern": "*"}),
        ]:
            assert_no_roots_error(await client.call_tool(name, args))
        git = await client.call_tool("git_status", {})
        assert git.is_error
        message = payload(git)["error"]["message"]
        assert "no git repository is configured" in message
        assert "OUROBOROS_GIT_ROOT" in message and "--git-root" in message


async def test_client_roots_are_used_and_refetched_on_list_changed(
    service: Any, two_dirs: tuple[Path, Path]
) -> None:
    a, b = two_dirs
    offered = OfferedRoots(a)
    server = build_mcp_server(service.tools)
    async with Client(server, mode="legacy", list_roots_callback=offered) as client:
        got = await client.call_tool("file_read", {"path": str(a / "in-a.txt")})
        assert not got.is_error, got.content
        assert got.structured_content["content"] == "from a\n"
        relative = await client.call_tool("file_read", {"path": "in-a.txt"})
        assert relative.structured_content["content"] == "from a\n"
        outside = await client.call_tool("file_read", {"path": "/etc/hostname"})
        assert outside.is_error
        assert payload(outside)["error"]["type"] == "PermissionDeniedError"
        assert "outside the roots" in payload(outside)["error"]["message"]
        listed = await client.call_tool("file_list", {})
        assert [f["name"] for f in listed.structured_content["files"]] == ["in-a.txt"]
        assert offered.calls == 1  # asked once (after initialize), not once a call

        offered.dirs = [b]
        offered.asked = anyio.Event()
        await client.session.send_notification(types.RootsListChangedNotification())
        with anyio.fail_after(30):
            await offered.asked.wait()
        got = await client.call_tool("file_read", {"path": str(b / "in-b.txt")})
        assert not got.is_error, got.content
        assert got.structured_content["content"] == "from b\n"
        gone = await client.call_tool("file_read", {"path": str(a / "in-a.txt")})
        assert gone.is_error
        assert "outside the roots" in payload(gone)["error"]["message"]


async def test_configured_roots_win_over_the_clients(
    tmp_path: Path, two_dirs: tuple[Path, Path]
) -> None:
    a, b = two_dirs
    settings = Settings(db_path=str(tmp_path / "kb.duckdb"), roots=(str(a),))
    offered = OfferedRoots(b)
    with open_service(settings) as service:
        server = build_mcp_server(service.tools)
        async with Client(server, mode="legacy", list_roots_callback=offered) as client:
            mine = await client.call_tool("file_read", {"path": "in-a.txt"})
            assert mine.structured_content["content"] == "from a\n"
            theirs = await client.call_tool("file_read", {"path": str(b / "in-b.txt")})
            assert theirs.is_error
            assert "outside the roots" in payload(theirs)["error"]["message"]
    assert offered.calls == 0


async def test_a_client_root_is_the_git_root_too(service: Any, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    await anyio.run_process(["git", "init", "-q", "-b", "trunk", str(repo)])
    async with Client(
        build_mcp_server(service.tools), mode="legacy", list_roots_callback=OfferedRoots(repo)
    ) as client:
        status = await client.call_tool("git_status", {})
    assert not status.is_error, status.content
    assert status.structured_content["branch"] == "trunk"


def stdio_params(tmp_path: Path, *args: str, cwd: str = "/") -> StdioServerParameters:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "OUROBOROS_RATE_LIMIT": "0",
    }
    db = str(tmp_path / "kb.duckdb")
    return StdioServerParameters(
        command=str(OUROBOROS), args=["mcp", "--db", db, *args], env=env, cwd=cwd
    )


@pytest.mark.slow
async def test_started_from_slash_without_roots_reads_nothing(tmp_path: Path) -> None:
    """The reproduction of item 13: a client starts the server in / and asks for system files."""
    with open(tmp_path / "stderr.txt", "w") as errlog:
        async with Client(
            stdio_client(stdio_params(tmp_path), errlog=errlog), mode="legacy"
        ) as client:
            assert_no_roots_error(await client.call_tool("file_read", {"path": "/etc/hostname"}))
            assert_no_roots_error(await client.call_tool("file_list", {}))
            assert_no_roots_error(await client.call_tool("file_list", {"dir": "/root"}))
            query = await client.call_tool(
                "query_eql", {"query": '[{[:dir/path "/"] [:knowledge/files]}]'}
            )
    assert query.is_error
    assert "no file roots are configured" in json.dumps(payload(query))


@pytest.mark.slow
async def test_stdio_client_roots_from_slash(tmp_path: Path, two_dirs: tuple[Path, Path]) -> None:
    a, _ = two_dirs
    with open(tmp_path / "stderr.txt", "w") as errlog:
        async with Client(
            stdio_client(stdio_params(tmp_path), errlog=errlog),
            mode="legacy",
            list_roots_callback=OfferedRoots(a),
        ) as client:
            got = await client.call_tool("file_read", {"path": "in-a.txt"})
            outside = await client.call_tool("file_read", {"path": "/etc/hostname"})
    assert not got.is_error, (got.content, (tmp_path / "stderr.txt").read_text())
    assert got.structured_content["content"] == "from a\n"
    assert outside.is_error and "outside the roots" in payload(outside)["error"]["message"]


@pytest.mark.slow
async def test_client_roots_over_streamable_http(
    tmp_path: Path, two_dirs: tuple[Path, Path], serve_uvicorn, service_host_app
) -> None:
    """Over HTTP the server asks within the tool call (on its response stream)."""
    a, b = two_dirs
    offered = OfferedRoots(a)
    with serve_uvicorn(service_host_app(tmp_path / "kb.duckdb")) as http:
        async with Client(f"{http.url}/mcp", mode="legacy", list_roots_callback=offered) as client:
            got = await client.call_tool("file_read", {"path": "in-a.txt"})
            assert not got.is_error, got.content
            assert got.structured_content["content"] == "from a\n"
            outside = await client.call_tool("file_read", {"path": str(b / "in-b.txt")})
            assert outside.is_error and "outside the roots" in payload(outside)["error"]["message"]
        assert offered.calls == 1  # asked within the first tool call, then kept for the session
        # the 2026-07-28 protocol has no server-to-client requests: no roots, the clear error
        async with Client(f"{http.url}/mcp", list_roots_callback=offered) as modern:
            assert_no_roots_error(await modern.call_tool("file_read", {"path": "in-a.txt"}))
