"""Start-up lines: what a server is running with (database, roots, git, tools, auth, search).

``ouroboros serve`` prints them on stdout once the service is open; ``ouroboros mcp`` writes
them to stderr (its stdout carries only the protocol). Nothing secret is shown (a database
URL's password is redacted, token secrets never appear).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ouroboros.service import Service

__all__ = ["NO_ROOTS_LINE", "startup_lines"]

NO_ROOTS_LINE = "none: file tools disabled, set --roots/OUROBOROS_ROOTS"
NO_GIT_LINE = "none: git tools disabled, set --git-root/OUROBOROS_GIT_ROOT or --roots"


def _dir(path: str) -> str:
    return path if os.path.isdir(path) else f"{path} (not a directory!)"


def startup_lines(
    service: Service, *, serving: str, auth: str, client_roots: bool = False
) -> list[str]:
    """Return the lines that say what ``service`` runs with.

    ``serving`` says where (``"HTTP on http://127.0.0.1:8000"``), ``auth`` the auth mode;
    ``client_roots``: the MCP client may offer roots when none are configured.
    """
    from ouroboros import __version__
    from ouroboros.store.location import redact

    settings = service.settings
    if settings.roots:
        roots = ", ".join(_dir(r) for r in settings.roots)
    else:
        roots = NO_ROOTS_LINE + (" (or the client's MCP roots/list)" if client_roots else "")
    if settings.git_root:
        git = _dir(settings.git_root)
    elif settings.roots:
        git = f"{_dir(settings.roots[0])} (the first root)"
    else:
        git = NO_GIT_LINE + (" (or the client's first root)" if client_roots else "")
    chosen = ",".join(settings.tools) or "all"
    denied = f", deny {','.join(settings.tools_deny)}" if settings.tools_deny else ""
    note = service.semantic_note
    search = note if note else "semantic and keyword (an embedding model is loaded)"
    return [
        f"ouroboros {__version__}: serving {serving}",
        f"  database: {redact(str(settings.db_path))}",
        f"  roots:    {roots}",
        f"  git root: {git}",
        f"  tools:    {chosen}{denied} ({len(service.tools)} enabled)",
        f"  auth:     {auth}",
        f"  search:   {search}",
    ]
