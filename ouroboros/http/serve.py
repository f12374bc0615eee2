"""``serve``: run the HTTP application under uvicorn (what ``ouroboros serve`` calls)."""

from __future__ import annotations

import functools
import sys
from typing import Any

from ouroboros.config import Settings
from ouroboros.http.auth import check_bind, is_loopback

__all__ = ["active_token_count", "auth_mode", "print_startup_lines", "serve"]


def active_token_count(db_path: str) -> int:
    """Return how many unrevoked API tokens the database at ``db_path`` holds."""
    from ouroboros.store import open_store

    store = open_store(db_path, embedder=None)
    try:
        return sum(1 for t in store.token_list() if not t.get("revoked"))
    finally:
        store.close()


def auth_mode(active_tokens: int, host: str) -> str:
    """Say how ``ouroboros serve`` on ``host`` authenticates callers."""
    if active_tokens:
        return (
            f"tokens: every request but /health needs a bearer token "
            f"({active_tokens} active; `ouroboros token list`)"
        )
    if is_loopback(host):
        return (
            "loopback-only: no API tokens, so only loopback clients are served and they hold "
            "every scope (`ouroboros token create` to require tokens)"
        )
    return "tokens: none active yet, so every request but /health is refused"


def print_startup_lines(settings: Settings, service: Any, has_tokens: bool) -> None:
    """Print what the server runs with on stdout (database, roots, git, tools, auth, search)."""
    from ouroboros.startup import startup_lines

    active = sum(1 for t in service.store.token_list() if not t.get("revoked")) if has_tokens else 0
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    where = f"HTTP on http://{host}:{settings.port} (/eql, /graphql, /mcp)"
    lines = startup_lines(service, serving=where, auth=auth_mode(active, settings.host))
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


def serve(settings: Settings, *, log_level: str = "info", **uvicorn_options: Any) -> None:
    """Serve ``create_app(settings)`` on ``settings.host:settings.port`` until interrupted.

    Raises BindRefusedError before binding a non-loopback host while no token exists.
    """
    import uvicorn

    from ouroboros.http.app import create_app

    if not is_loopback(settings.host):
        check_bind(settings.host, active_token_count(settings.db_path) > 0)
    from ouroboros.observe import logs

    logs.configure(level=log_level)  # our format for uvicorn's lines too (ids, redaction)
    app = create_app(settings, on_start=functools.partial(print_startup_lines, settings))
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        log_config=None,
        lifespan="on",
        **uvicorn_options,
    )
