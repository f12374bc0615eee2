"""Entity identity on PostgreSQL: the same lookups, aliases and merges as ``identity.py``.

The ``aliases`` table holds one row per normalised alias (its primary key), so two instances
adding one alias race at the key and the loser's retry sees the winner's row. A merge locks
both entity rows (``FOR UPDATE``) and runs in one transaction with its audit row. There is one
row per observation text here (no versions on PostgreSQL yet), so a merge moves each row with
its record time; texts ``into`` already holds are merged away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ouroboros.errors import ConflictError, InvalidInputError
from ouroboros.store.clock import utcnow
from ouroboros.store.graph import _missing_error
from ouroboros.store.identity import ambiguous_error, resolution
from ouroboros.store.names import check_merge, mentioned_aliases, normalise
from ouroboros.store.validate import check_identifier, check_names, require_list

if TYPE_CHECKING:
    from ouroboros.store.pgdatabase import PgCursor
    from ouroboros.store.pgstore import PgStore

__all__ = ["PgIdentity"]


class PgIdentity:
    """``resolve_names``, ``aliases_of``, ``add_aliases`` and ``merge_entities`` on PgStore."""

    def __init__(self, store: PgStore) -> None:
        self.store = store
        self.db = store.db

    def resolve_names(self, names: Any, cur: PgCursor | None = None) -> list[dict[str, Any]]:
        """See ``identity.Identity.resolve_names``. A name found neither exactly nor as an
        alias is compared with every entity's normalised name (one scan of the names)."""
        wanted = check_names(names, "entity name")
        norms = {n: normalise(n) for n in wanted}

        def rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
            if cur is not None:
                return cur.execute(sql, params).fetchall()
            return self.db.fetchall(sql, params)

        exact = {
            r[0] for r in rows("SELECT name FROM entities WHERE name = ANY(?)", [list(set(wanted))])
        }
        aliased = dict(
            rows(
                "SELECT a.norm, e.name FROM aliases a JOIN entities e ON e.id = a.entity_id "
                "WHERE a.norm = ANY(?)",
                [list(set(norms.values()))],
            )
        )
        rest = [n for n in wanted if n not in exact and norms[n] not in aliased]
        by_norm: dict[str, list[str]] = {}
        if rest:
            wanted_norms = {norms[n] for n in rest}
            for (name,) in rows("SELECT name FROM entities", []):
                norm = normalise(name)
                if norm in wanted_norms:
                    by_norm.setdefault(norm, []).append(name)
        out = []
        for name in wanted:
            if name in exact:
                out.append(resolution(name, name, "exact", []))
            elif norms[name] in aliased:
                out.append(resolution(name, aliased[norms[name]], "alias", []))
            else:
                found = sorted(by_norm.get(norms[name], []))
                if len(found) == 1:
                    out.append(resolution(name, found[0], "normalised", []))
                else:
                    out.append(resolution(name, None, None, found))
        return out

    def aliases_in(self, text: Any) -> list[dict[str, str]]:
        """See ``identity.Identity.aliases_in``."""
        if not isinstance(text, str):
            raise InvalidInputError("text must be a string")
        rows = self.db.fetchall(
            "SELECT a.alias, a.norm, e.name FROM aliases a JOIN entities e ON e.id = a.entity_id"
        )
        return mentioned_aliases(text, [(a, n, e) for a, n, e in rows])

    def _one(self, cur: PgCursor, name: Any, action: str) -> tuple[int, str]:
        query = check_identifier(name, "entity name")
        (found,) = self.resolve_names([query], cur)
        if found["name"] is None:
            if found.get("candidates"):
                raise ambiguous_error(query, found["candidates"])
            raise _missing_error([query], action)
        row = cur.execute(
            "SELECT id FROM entities WHERE name = ? FOR UPDATE", [found["name"]]
        ).fetchone()
        if row is None:  # deleted by another instance a moment ago
            raise _missing_error([query], action)
        return int(row[0]), str(found["name"])

    @staticmethod
    def _aliases(cur: PgCursor, eid: int) -> list[str]:
        return [
            r[0]
            for r in cur.execute(
                "SELECT alias FROM aliases WHERE entity_id = ? ORDER BY created_at, alias", [eid]
            ).fetchall()
        ]

    def aliases_of(self, name: Any) -> dict[str, Any]:
        """Return ``{"name", "aliases"}``; NotFoundError for an unknown entity."""
        with self.db.transaction() as cur:
            eid, canonical = self._one(cur, name, "list the aliases of")
            return {"name": canonical, "aliases": self._aliases(cur, eid)}

    def add_aliases(self, name: Any, aliases: Any) -> dict[str, Any]:
        """See ``identity.Identity.add_aliases``."""
        items = require_list(aliases, "aliases")
        given = [check_identifier(a, f"aliases[{i}]") for i, a in enumerate(items)]
        if not given:
            raise InvalidInputError("aliases must name at least one alias")
        with self.db.transaction() as cur:
            eid, canonical = self._one(cur, name, "add aliases to")
            norms = {normalise(a): a for a in given}
            owners = dict(
                cur.execute(
                    "SELECT name, id FROM entities WHERE name = ANY(?)", [list(norms.values())]
                ).fetchall()
            )
            taken = dict(
                cur.execute(
                    "SELECT norm, entity_id FROM aliases WHERE norm = ANY(?)", [list(norms)]
                ).fetchall()
            )
            for norm, alias in norms.items():
                owner, other = owners.get(alias), taken.get(norm)
                if (owner is not None and owner != eid) or (other is not None and other != eid):
                    raise ConflictError(
                        f"{alias!r} is already another entity's name or alias; use "
                        "merge_entities to make them one entity",
                        details={"alias": alias},
                    )
            now = utcnow()
            for norm, alias in norms.items():
                if taken.get(norm) != eid:
                    cur.execute("INSERT INTO aliases VALUES (?, ?, ?, ?)", [norm, alias, eid, now])
            return {"name": canonical, "aliases": self._aliases(cur, eid)}

    def merge_entities(self, source: Any, into: Any) -> dict[str, Any]:
        """See ``identity.Identity.merge_entities``."""
        src_q, dst_q = check_merge(source, into)
        now = utcnow()
        with self.db.transaction() as cur:
            src, src_name = self._one(cur, src_q, "merge")
            dst, dst_name = self._one(cur, dst_q, "merge into")
            if src == dst:
                raise InvalidInputError(
                    f"cannot merge {src_q!r} into itself: {dst_q!r} is the same entity "
                    f"({dst_name!r})",
                    details={"from": src_q, "into": dst_q},
                )
            dups = cur.execute(
                "DELETE FROM observations o WHERE o.entity_id = ? AND o.content IN "
                "(SELECT content FROM observations WHERE entity_id = ?) RETURNING o.content",
                [src, dst],
            ).fetchall()
            moved = cur.execute(
                "UPDATE observations SET entity_id = ? WHERE entity_id = ?", [dst, src]
            ).raw.rowcount
            rels = cur.execute(
                "SELECT src, relation_type, dst FROM relations WHERE src = ? OR dst = ?",
                [src, src],
            ).fetchall()
            existing = {
                (s, t, d)
                for s, t, d in cur.execute(
                    "SELECT src, relation_type, dst FROM relations WHERE src = ? OR dst = ?",
                    [dst, dst],
                ).fetchall()
            }
            kept = 0
            for s, t, d in rels:
                new = (dst if s == src else s, t, dst if d == src else d)
                if new in existing:
                    cur.execute(
                        "DELETE FROM relations WHERE src = ? AND relation_type = ? AND dst = ?",
                        [s, t, d],
                    )
                    continue
                cur.execute(
                    "UPDATE relations SET src = ?, dst = ? "
                    "WHERE src = ? AND relation_type = ? AND dst = ?",
                    [new[0], new[2], s, t, d],
                )
                existing.add(new)
                kept += 1
            cur.execute("UPDATE aliases SET entity_id = ? WHERE entity_id = ?", [dst, src])
            cur.execute(
                "INSERT INTO aliases VALUES (?, ?, ?, ?) ON CONFLICT (norm) DO UPDATE "
                "SET alias = EXCLUDED.alias, entity_id = EXCLUDED.entity_id, "
                "created_at = EXCLUDED.created_at",
                [normalise(src_name), src_name, dst, now],
            )
            doc_len = cur.execute("SELECT doc_len FROM entities WHERE id = ?", [src]).fetchone()
            cur.execute("DELETE FROM entities WHERE id = ?", [src])  # its postings cascade
            cur.execute("UPDATE entities SET updated_at = ? WHERE id = ?", [now, dst])
            self.store._stats(
                cur,
                n_entities=-1,
                n_observations=-len(dups),
                n_relations=-(len(rels) - kept),
                total_len=-int(doc_len[0] if doc_len else 0),
            )
            self.store._reindex(cur, [dst])
            aliases = self._aliases(cur, dst)
        return {
            "from": src_name,
            "into": dst_name,
            "movedObservations": int(moved),
            "mergedDuplicates": len(dups),
            "movedRelations": kept,
            "aliases": aliases,
        }
