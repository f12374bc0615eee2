"""Entity identity on DuckDB: lookups through aliases and normalised names, and merges.

``resolve_names`` finds each asked name as an exact name, else as an alias (by normalised
form), else as the normalised form of exactly one entity's name (several: ambiguous, with the
candidates). ``add_aliases`` records other names of an entity. ``merge_entities(from, into)``
moves every version of ``from``'s observations and relations to ``into`` (their record and
valid times kept, so ``entity_history`` and ``asOf`` / ``knownAt`` reads still see them; exact
duplicates of what ``into`` holds now are merged away), records ``from``'s name and aliases as
aliases of ``into``, and deletes ``from``; ``LocalStore`` audits it in the same transaction.
See ``names.py`` for the normalisation.
"""

from __future__ import annotations

from typing import Any

from ouroboros.errors import ConflictError, InvalidInputError
from ouroboros.store.clock import iso, utcnow
from ouroboros.store.database import Database
from ouroboros.store.graph import KnowledgeGraph, _missing_error
from ouroboros.store.graphstate import GraphState
from ouroboros.store.names import check_merge, mentioned_aliases, normalise
from ouroboros.store.validate import check_identifier, check_names, require_list

__all__ = ["Identity", "ambiguous_error", "resolution"]


def resolution(
    query: str, name: str | None, match: str | None, candidates: list[str]
) -> dict[str, Any]:
    """Return one ``resolve_names`` answer (``candidates`` only when ambiguous)."""
    out: dict[str, Any] = {"query": query, "name": name, "match": match}
    if name is None and candidates:
        out["candidates"] = candidates
    return out


def ambiguous_error(query: str, candidates: list[str]) -> InvalidInputError:
    """The error for a name whose normalised form fits several entities."""
    return InvalidInputError(
        f"{query!r} matches several entities once normalised ({', '.join(candidates[:10])}); "
        "give the exact name",
        details={"name": query, "candidates": candidates},
    )


class Identity:
    """Aliases, normalised lookups and merges over the graph tables and the in-memory model."""

    def __init__(self, db: Database, state: GraphState, graph: KnowledgeGraph) -> None:
        self.db = db
        self.state = state
        self.graph = graph
        self._norms: dict[str, list[int]] | None = None
        graph.listeners.append(self._forget_norms)

    def _forget_norms(self, _changed: set[int], _removed: set[int]) -> None:
        self._norms = None

    def _norm_index(self) -> dict[str, list[int]]:
        """Return ``{normalised name: [ids]}`` (rebuilt after any entity changed)."""
        norms = self._norms
        if norms is None:
            norms = {}
            with self.state.lock:
                for eid, rec in self.state.entities.items():
                    norms.setdefault(normalise(rec.name), []).append(eid)
            self._norms = norms
        return norms

    # --- reads ---------------------------------------------------------------------------

    def resolve_names(self, names: Any) -> list[dict[str, Any]]:
        """Return ``[{"query", "name", "match", "candidates"?}]`` per asked name: ``match``
        is ``exact``, ``alias`` or ``normalised`` (``name`` None when nothing or several fit)."""
        wanted = check_names(names, "entity name")
        st = self.state
        norms = {n: normalise(n) for n in wanted}
        aliases = dict(
            self.db.cursor()
            .execute(
                "SELECT norm, entity_id FROM aliases WHERE norm IN (SELECT unnest(?::VARCHAR[]))",
                [list(set(norms.values()))],
            )
            .fetchall()
        )
        index = self._norm_index()
        out = []
        with st.lock:
            for name in wanted:
                if name in st.by_name:
                    out.append(resolution(name, name, "exact", []))
                    continue
                eid = aliases.get(norms[name])
                if eid is not None and eid in st.entities:
                    out.append(resolution(name, st.entities[eid].name, "alias", []))
                    continue
                ids = [i for i in index.get(norms[name], []) if i in st.entities]
                if len(ids) == 1:
                    out.append(resolution(name, st.entities[ids[0]].name, "normalised", []))
                else:
                    found = sorted(st.entities[i].name for i in ids)
                    out.append(resolution(name, None, None, found))
        return out

    def aliases_of(self, name: Any) -> dict[str, Any]:
        """Return ``{"name", "aliases": [...]}`` of an entity (found as ``resolve_names`` does).

        Raises NotFoundError for an unknown name."""
        eid, canonical = self._one(name, "list the aliases of")
        rows = (
            self.db.cursor()
            .execute(
                "SELECT alias FROM aliases WHERE entity_id = ? ORDER BY created_at, alias", [eid]
            )
            .fetchall()
        )
        return {"name": canonical, "aliases": [r[0] for r in rows]}

    def aliases_in(self, text: Any) -> list[dict[str, str]]:
        """Return ``[{"alias", "name"}]``: the aliases ``text`` mentions (whole words, once
        normalised) and the entities they stand for."""
        if not isinstance(text, str):
            raise InvalidInputError("text must be a string")
        rows = (
            self.db.cursor()
            .execute(
                "SELECT a.alias, a.norm, e.name FROM aliases a JOIN entities e "
                "ON e.id = a.entity_id"
            )
            .fetchall()
        )
        return mentioned_aliases(text, rows)

    def _one(self, name: Any, action: str) -> tuple[int, str]:
        query = check_identifier(name, "entity name")
        (found,) = self.resolve_names([query])
        if found["name"] is None:
            if found.get("candidates"):
                raise ambiguous_error(query, found["candidates"])
            raise _missing_error([query], action)
        with self.state.lock:
            return self.state.by_name[found["name"]], found["name"]

    # --- writes --------------------------------------------------------------------------

    def add_aliases(self, name: Any, aliases: Any) -> dict[str, Any]:
        """Record other names of an entity; return ``{"name", "aliases"}`` (all of them).

        Raises NotFoundError for an unknown entity, ConflictError when an alias is another
        entity's name or alias (merge them instead)."""
        items = require_list(aliases, "aliases")
        given = [check_identifier(a, f"aliases[{i}]") for i, a in enumerate(items)]
        if not given:
            raise InvalidInputError("aliases must name at least one alias")
        with self.db.transaction() as cur:
            eid, canonical = self._one(name, "add aliases to")
            norms = {normalise(a): a for a in given}
            taken = dict(
                cur.execute(
                    "SELECT norm, entity_id FROM aliases WHERE norm IN "
                    "(SELECT unnest(?::VARCHAR[]))",
                    [list(norms)],
                ).fetchall()
            )
            with self.state.lock:
                for norm, alias in norms.items():
                    owner = self.state.by_name.get(alias)
                    other = taken.get(norm)
                    if (owner is not None and owner != eid) or (
                        other is not None and other != eid and other in self.state.entities
                    ):
                        holder = alias if owner not in (None, eid) else f"an alias of id {other}"
                        raise ConflictError(
                            f"{alias!r} is already {holder!r}'s name or alias; use "
                            "merge_entities to make them one entity",
                            details={"alias": alias},
                        )
            new = [(a, n) for n, a in norms.items() if taken.get(n) != eid]
            if new:
                cur.execute(
                    "DELETE FROM aliases WHERE norm IN (SELECT unnest(?::VARCHAR[]))",
                    [[n for _, n in new]],
                )
                cur.execute(
                    "INSERT INTO aliases SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), ?, ?",
                    [[a for a, _ in new], [n for _, n in new], eid, utcnow()],
                )
            rows = cur.execute(
                "SELECT alias FROM aliases WHERE entity_id = ? ORDER BY created_at, alias", [eid]
            ).fetchall()
        return {"name": canonical, "aliases": [r[0] for r in rows]}

    def merge_entities(self, source: Any, into: Any) -> dict[str, Any]:
        """Merge ``source`` into ``into`` (see the module docstring); return ``{"from",
        "into", "movedObservations", "mergedDuplicates", "movedRelations", "aliases"}``.

        Raises InvalidInputError for one entity twice (after resolving names), NotFoundError
        for an unknown one."""
        src_q, dst_q = check_merge(source, into)
        st = self.state
        now = utcnow()
        with self.db.transaction() as cur:
            src, src_name = self._one(src_q, "merge")
            dst, dst_name = self._one(dst_q, "merge into")
            if src == dst:
                raise InvalidInputError(
                    f"cannot merge {src_q!r} into itself: {dst_q!r} is the same entity "
                    f"({dst_name!r})",
                    details={"from": src_q, "into": dst_q},
                )
            with st.lock:
                dup_texts = sorted(
                    set(st.entities[src].observations) & set(st.entities[dst].observations)
                )
                moved_rels: list[tuple[int, str, int]] = []
                dup_rels: list[tuple[int, str, int]] = []
                seen: set[tuple[int, str, int]] = set()
                moved_rels += [(src, rtype, d) for rtype, d in st.out.get(src, {})]
                moved_rels += [(s, rtype, src) for rtype, s in st.inc.get(src, {})]
                moved_rels = list(dict.fromkeys(moved_rels))  # a self-relation is in both
                for key in moved_rels:
                    s, rtype, d = key
                    new = (dst if s == src else s, rtype, dst if d == src else d)
                    if st.has_relation(new) or new in seen:
                        dup_rels.append(key)
                    seen.add(new)
            if dup_texts:
                cur.execute(
                    "DELETE FROM observations WHERE entity_id = ? AND expired_at IS NULL "
                    "AND content IN (SELECT unnest(?::VARCHAR[]))",
                    [src, dup_texts],
                )
            row = cur.execute(
                "SELECT count(*) FROM observations WHERE entity_id = ?", [src]
            ).fetchone()
            moved_obs = int(row[0]) if row else 0
            cur.execute("UPDATE observations SET entity_id = ? WHERE entity_id = ?", [dst, src])
            for s, rtype, d in dup_rels:
                cur.execute(
                    "DELETE FROM relations WHERE src = ? AND relation_type = ? AND dst = ? "
                    "AND expired_at IS NULL",
                    [s, rtype, d],
                )
            cur.execute("UPDATE relations SET src = ? WHERE src = ?", [dst, src])
            cur.execute("UPDATE relations SET dst = ? WHERE dst = ?", [dst, src])
            cur.execute("UPDATE aliases SET entity_id = ? WHERE entity_id = ?", [dst, src])
            norm = normalise(src_name)
            cur.execute("DELETE FROM aliases WHERE norm = ?", [norm])
            cur.execute("INSERT INTO aliases VALUES (?, ?, ?, ?)", [src_name, norm, dst, now])
            cur.execute("DELETE FROM embeddings WHERE entity_id = ?", [src])
            cur.execute("DELETE FROM entities WHERE id = ?", [src])
            cur.execute("UPDATE entities SET updated_at = ? WHERE id = ?", [now, dst])
            aliases = [
                r[0]
                for r in cur.execute(
                    "SELECT alias FROM aliases WHERE entity_id = ? ORDER BY created_at, alias",
                    [dst],
                ).fetchall()
            ]

            def apply() -> None:
                self._reload_after_merge(src, dst, now)

            self.db.on_commit(apply)
        return {
            "from": src_name,
            "into": dst_name,
            "movedObservations": moved_obs,
            "mergedDuplicates": len(dup_texts),
            "movedRelations": len(moved_rels) - len(dup_rels),
            "aliases": aliases,
        }

    def _reload_after_merge(self, src: int, dst: int, now: Any) -> None:
        """Update the in-memory model after a merge commits: ``src`` gone, ``dst`` re-read."""
        st = self.state
        cur = self.db.cursor()
        obs = cur.execute(
            "SELECT content, created_at, valid_from, valid_to FROM observations "
            "WHERE entity_id = ? AND expired_at IS NULL AND (valid_to IS NULL OR valid_to > ?) "
            "ORDER BY seq",
            [dst, now],
        ).fetchall()
        rels = cur.execute(
            "SELECT src, dst, relation_type, created_at FROM relations "
            "WHERE (src = $1 OR dst = $1) AND expired_at IS NULL "
            "AND (valid_to IS NULL OR valid_to > $2) ORDER BY created_at",
            [dst, now],
        ).fetchall()
        with st.lock:
            st.remove_entity(src)
            rec = st.entities[dst]
            rec.observations = {}
            rec.validity = None
            for content, created, vfrom, vto in obs:
                rec.observations[content] = iso(created) or ""
                if vfrom is not None or vto is not None:
                    rec.set_validity(content, iso(vfrom), iso(vto))
            rec.updated_at = iso(now) or ""
            st.reindex(rec)
            for s, d, rtype, created in rels:
                if s in st.entities and d in st.entities:
                    st.add_relation((s, rtype, d), iso(created) or "")
        self.graph._changed([dst], [src])
