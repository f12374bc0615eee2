"""The identity operations both backends answer alike (names, aliases, merges).

``IdentityFront`` is mixed into ``LocalStore`` (DuckDB) and ``PgStore``: each supplies
``identity`` (``Identity`` / ``PgIdentity``), ``db.transaction()``, ``_audited`` and
``_entities_for_duplicates``; the rest is written once here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ouroboros.store.names import NEAR_DUPLICATE, near_duplicates

__all__ = ["IdentityFront"]


class IdentityFront:
    identity: Any
    db: Any
    _audited: Callable[..., Any]  # (audit, write, *args): write in one transaction with audit
    _entities_for_duplicates: Callable[[Any], list[dict[str, Any]]]  # all, or those names

    def resolve_names(self, names: Any) -> list[dict[str, Any]]:
        return self.identity.resolve_names(names)

    def aliases_of(self, name: Any) -> dict[str, Any]:
        return self.identity.aliases_of(name)

    def aliases_in(self, text: Any) -> list[dict[str, str]]:
        return self.identity.aliases_in(text)

    def add_aliases(self, name: Any, aliases: Any, audit: Any = None) -> dict[str, Any]:
        return self._audited(audit, self.identity.add_aliases, name, aliases)

    def merge_entities(self, source: Any, into: Any, audit: Any = None) -> dict[str, Any]:
        # A merge is always audited (who, what into what, how much moved), in its transaction.
        record = dict(audit) if isinstance(audit, Mapping) else {"actor": "store"}
        record.setdefault("action", "merge_entities")
        record.setdefault("outcome", "ok")
        with self.db.transaction():
            merged = self.identity.merge_entities(source, into)
            record["target"] = f"{merged['from']} -> {merged['into']}"[:200]
            record["details"] = {k: v for k, v in merged.items() if k != "aliases"}
            return self._audited(record, lambda: merged)

    def near_duplicates(self, names: Any = None, threshold: float = NEAR_DUPLICATE) -> Any:
        return near_duplicates(self._entities_for_duplicates(names), threshold)
