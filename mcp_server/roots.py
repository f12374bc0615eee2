"""The file roots an MCP client offers (``roots/list``), used when the server has none configured.

The official filesystem MCP server does the same: with no roots given on its command line it
asks the client, after ``initialize`` and again on ``notifications/roots/list_changed``, and
only those roots are readable for that session. Roots given by ``--roots`` /
``OUROBOROS_ROOTS`` always win (a client cannot widen them).

Server-to-client requests exist only on handshake-era connections (protocol 2025-11-25 and
before, with a back-channel: stdio, stateful streamable HTTP); the roots capability is
deprecated from 2026-07-28 (SEP-2577). Where the client cannot be asked, it offers no roots and
the file tools say how to configure them.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import anyio
import mcp_types as types
from mcp.shared.message import ServerMessageMetadata

__all__ = [
    "ROOTS_TIMEOUT",
    "ClientRoots",
    "can_ask_outside_a_request",
    "client_roots",
    "file_roots",
    "refresh_client_roots",
]

log = logging.getLogger(__name__)

ROOTS_TIMEOUT = 10.0
"""How long the client may take to answer ``roots/list`` before it is taken as no roots."""

_STATE_KEY = "ouroboros.client_roots"
_ROOTS = types.ClientCapabilities(roots=types.RootsCapability())


def file_roots(roots: list[types.Root]) -> tuple[str, ...]:
    """Return the local directories of the ``file://`` roots in ``roots`` (others are skipped)."""
    found: list[str] = []
    for root in roots:
        uri = urlparse(str(root.uri))
        if uri.scheme != "file" or uri.netloc not in ("", "localhost"):
            log.info("ignoring client root %s: only local file:// roots are used", root.uri)
            continue
        path = url2pathname(unquote(uri.path))
        if not os.path.isabs(path):
            log.info("ignoring client root %s: not an absolute path", root.uri)
            continue
        if path not in found:
            found.append(path)
    return tuple(found)


class ClientRoots:
    """One connection's client roots: fetched once, again after ``list_changed``."""

    def __init__(self) -> None:
        self.roots: tuple[str, ...] | None = None  # None: not fetched (or stale)
        self.generation = 0  # bumped by list_changed, so a fetch that raced it is not kept
        self.lock = anyio.Lock()

    def invalidate(self) -> None:
        """Forget the roots (the client said they changed)."""
        self.generation += 1
        self.roots = None

    async def get(self, ctx: Any) -> tuple[str, ...]:
        """Return the roots, asking the client first when they are not known."""
        async with self.lock:
            for _ in range(3):  # a list_changed during the fetch asks again (bounded)
                if self.roots is not None:
                    break
                generation = self.generation
                fetched = await _fetch(ctx)
                if fetched is None and ctx.request_id is None:
                    return ()  # asked outside a request and failed: the next tool call asks again
                if generation == self.generation:
                    self.roots = fetched or ()
            return self.roots or ()


def _state(ctx: Any) -> ClientRoots | None:
    # The SDK keeps per-connection state on the session's Connection (``Connection.state``);
    # the per-request ServerSession reaches it only through its private ``_connection``.
    connection = getattr(ctx.session, "_connection", None)
    state = getattr(connection, "state", None)
    if not isinstance(state, dict):
        return None
    found = state.get(_STATE_KEY)
    if not isinstance(found, ClientRoots):
        found = state[_STATE_KEY] = ClientRoots()
    return found


def _offers_roots(ctx: Any) -> bool:
    try:
        return bool(ctx.session.check_client_capability(_ROOTS))
    except Exception:  # no connection state to ask (a bare context in a test)
        return False


async def _fetch(ctx: Any) -> tuple[str, ...] | None:
    """Ask the client for its roots; None when that fails (no back-channel, error, timeout)."""
    # ServerSession.list_roots() sends exactly this request but warns (roots are deprecated in
    # 2026-07-28); related to the request being served, so it rides that request's stream.
    metadata = ServerMessageMetadata(related_request_id=ctx.request_id) if ctx.request_id else None
    try:
        with anyio.fail_after(ROOTS_TIMEOUT):
            result = await ctx.session.send_request(
                types.ListRootsRequest(), types.ListRootsResult, metadata=metadata
            )
    except TimeoutError:
        log.warning("the client did not answer roots/list within %gs: no roots", ROOTS_TIMEOUT)
        return None
    except Exception as exc:
        log.info("roots/list failed (%s: %s): no roots", type(exc).__name__, exc)
        return None
    roots = file_roots(result.roots)
    log.info("client roots: %s", ", ".join(roots) or "none")
    return roots


async def client_roots(ctx: Any) -> tuple[str, ...]:
    """Return the file roots the client of ``ctx`` offers (empty when it offers none)."""
    if not _offers_roots(ctx):
        return ()
    state = _state(ctx)
    if state is None:
        return ()
    return await state.get(ctx)


async def refresh_client_roots(ctx: Any, *, ask_now: bool = True) -> None:
    """Forget the roots known for ``ctx``'s connection; ask the client again now if ``ask_now``
    (else at the next tool call)."""
    state = _state(ctx) if _offers_roots(ctx) else None
    if state is None:
        return
    state.invalidate()
    if ask_now:
        await state.get(ctx)


def can_ask_outside_a_request(ctx: Any) -> bool:
    """Whether a server request sent outside any client request reaches the client now.

    On stdio (and in memory) it does. Over streamable HTTP it travels on the standalone GET
    stream, which a client need not open (the SDK's does not answer there in time), so HTTP
    sessions ask within their next tool call instead, on that call's own response stream.
    """
    return getattr(ctx, "request", None) is None
