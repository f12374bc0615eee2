"""``serve``: run the HTTP application under uvicorn (what ``ouroboros serve`` calls)."""

from __future__ import annotations

from typing import Any

from ouroboros.config import Settings
from ouroboros.http.auth import check_bind, is_loopback

__all__ = ["active_token_count", "serve"]


def active_token_count(db_path: str) -> int:
    """Return how many unrevoked API tokens the database at ``db_path`` holds."""
    from ouroboros.store import open_store

    store = open_store(db_path, embedder=None)
    try:
        return sum(1 for t in store.token_list() if not t.get("revoked"))
    finally:
        store.close()


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
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=log_level,
        log_config=None,
        lifespan="on",
        **uvicorn_options,
    )
