"""Recall: the passages that answer a question, ranked, deduplicated and packed into a budget.

Steps, each deterministic:

1. **Retrieve.** The store's search (keyword BM25 over stems, fused with semantic search by
   reciprocal rank when an embedding model is installed) returns the best ``DEPTH`` entities;
   with ``asOf`` the search runs over the graph as valid then. An alias the question mentions
   (a merged-away name, one given with ``add_aliases``) adds the name of the entity it stands
   for to the search. Each hit is scored by reciprocal rank, ``1 / (RRF_K + rank)``.
2. **Expand.** The turns or chunks right before and after each of the first ``EXPAND`` hits in
   their document (a question's answer is often the next turn) join with a share
   ``NEIGHBOUR_WEIGHT`` of their neighbour's score, unless they rank higher on their own.
3. **Describe.** Every item gets its source: ``id`` (a turn's own id, ``D1:3``; a chunk's
   ``<path>#L<a>-<b>``; an entity's name for plain observations), ``document``, ``kind``
   (``turn``, ``chunk``, ``observation``), ``time`` (the valid-from of a turn or chunk) and
   ``speaker``.
4. **Filter** by ``kind``, ``source`` (the document) and a time window ``from``/``to``
   (half-open, on the item's time; items without a time are left out when a window is given).
5. **Pack.** Items in score order, each text once, are added while their tokens (the offline
   tokenizer of ``tokenizer``) fit ``budget_tokens`` and ``limit`` is not reached; an item too
   big for what is left is skipped for smaller ones. ``truncated`` says whether anything that
   matched was left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ouroboros.errors import InvalidInputError
from ouroboros.memory.ingest import CHUNK, CONVERSATION, DOCUMENT, TURN
from ouroboros.memory.tokenizer import count_tokens
from ouroboros.store import Store
from ouroboros.store.timeparse import parse_time

__all__ = ["DEFAULT_BUDGET", "KINDS", "recall"]

DEFAULT_BUDGET = 1000
MAX_BUDGET = 100_000
MAX_LIMIT = 200
MAX_QUERY_CHARS = 4000
DEPTH = 60
RRF_K = 60
EXPAND = 10
NEIGHBOUR_WEIGHT = 0.9
KINDS = ("turn", "chunk", "observation")
FILTER_KEYS = frozenset({"kind", "source", "from", "to"})


def _check(
    query: Any, limit: Any, budget_tokens: Any, filters: Any
) -> tuple[str, int | None, int, dict[str, Any]]:
    if not isinstance(query, str) or not query.strip():
        raise InvalidInputError("recall query must be a non-empty string")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInputError(f"recall query is longer than {MAX_QUERY_CHARS} characters")
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT
    ):
        raise InvalidInputError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    if (
        isinstance(budget_tokens, bool)
        or not isinstance(budget_tokens, int)
        or not 1 <= budget_tokens <= MAX_BUDGET
    ):
        raise InvalidInputError(f"budget_tokens must be an integer from 1 to {MAX_BUDGET}")
    if filters is None:
        filters = {}
    if not isinstance(filters, Mapping):
        raise InvalidInputError("filters must be an object {kind?, source?, from?, to?}")
    unknown = set(filters) - FILTER_KEYS
    if unknown:
        raise InvalidInputError(
            f"unknown filter {sorted(unknown)[0]!r}; filters are kind, source, from, to"
        )
    out: dict[str, Any] = {}
    kind = filters.get("kind")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else kind
        if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
            raise InvalidInputError(f"filters.kind must be one of {', '.join(KINDS)} (or a list)")
        out["kind"] = set(kinds)
    source = filters.get("source")
    if source is not None:
        if not isinstance(source, str) or not source:
            raise InvalidInputError("filters.source must be a document path or conversation id")
        out["source"] = source
    for key in ("from", "to"):
        if filters.get(key) is not None:
            out[key] = parse_time(filters[key], f"filters.{key}")
    return query, limit, budget_tokens, out


def _kind(entity_type: str) -> str:
    return entity_type if entity_type in (TURN, CHUNK) else "observation"


def _text(entity: Mapping[str, Any]) -> str:
    observations = entity.get("observations") or []
    if _kind(entity["entityType"]) != "observation":
        return "\n".join(observations)
    if not observations:
        return ""
    return f"{entity['name']} ({entity['entityType']}): " + "; ".join(observations)


def _document_of(name: str) -> str:
    return name.rsplit("#", 1)[0] if "#" in name else name


def recall(
    store: Store,
    query: str,
    *,
    limit: int | None = None,
    budget_tokens: int = DEFAULT_BUDGET,
    as_of: Any = None,
    filters: Mapping[str, Any] | None = None,
    mode: str = "auto",
) -> dict[str, Any]:
    """Return ``{"items": [{"text", "score", "source": {"id", "document", "kind", "time"?,
    "speaker"?}}], "tokens", "truncated", "mode"}`` for ``query`` (see the module docstring).

    Raises InvalidInputError for a bad query, limit, budget, time or filter.
    """
    query, limit, budget, flt = _check(query, limit, budget_tokens, filters)
    depth = DEPTH if not flt else DEPTH * 4
    # An alias in the question ("Robert") also searches for the entity it names ("Bob").
    named = [a["name"] for a in store.aliases_in(query)]
    searched = " ".join([query, *dict.fromkeys(named)]) if named else query
    if as_of is not None:
        found = store.search_at(searched, depth, as_of=as_of)
    else:
        found = store.search(searched, depth, mode=mode)
    entities: dict[str, dict[str, Any]] = {}
    scores: dict[str, float] = {}
    for rank, hit in enumerate(found["results"], 1):
        if hit["entityType"] in (CONVERSATION, DOCUMENT):
            continue
        entities[hit["name"]] = hit
        scores[hit["name"]] = 1.0 / (RRF_K + rank)

    _expand(store, entities, scores)
    names = [n for n in scores if _text(entities[n])]
    meta = _metadata(store, [n for n in names if _kind(entities[n]["entityType"]) != "observation"])

    candidates = []
    for name in names:
        ent = entities[name]
        kind = _kind(ent["entityType"])
        source: dict[str, Any] = {"id": name, "document": name, "kind": kind}
        info = meta.get(name, {})
        if kind != "observation":
            document = info.get("document") or _document_of(name)
            source["document"] = document
            prefix = document + "#"
            if kind == TURN and name.startswith(prefix):
                source["id"] = name[len(prefix) :]
            if info.get("time"):
                source["time"] = info["time"]
            speaker = info.get("speaker") or (speaker_of(_text(ent)) if kind == TURN else None)
            if speaker:
                source["speaker"] = speaker
        if not _passes(source, info.get("at"), flt):
            continue
        candidates.append((scores[name], name, _text(ent), source))
    candidates.sort(key=lambda c: (-c[0], c[1]))

    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    used = 0
    truncated = False
    for score, _name, text, source in candidates:
        key = " ".join(text.split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        if limit is not None and len(items) >= limit:
            truncated = True
            break
        cost = count_tokens(text)
        if used + cost > budget:
            truncated = True
            continue
        used += cost
        items.append({"text": text, "score": round(score, 6), "source": source})
    return {"items": items, "tokens": used, "truncated": truncated, "mode": found["mode"]}


def _passes(source: Mapping[str, Any], at: datetime | None, flt: Mapping[str, Any]) -> bool:
    if "kind" in flt and source["kind"] not in flt["kind"]:
        return False
    if "source" in flt and source["document"] != flt["source"]:
        return False
    if "from" in flt or "to" in flt:
        if at is None:
            return False
        if "from" in flt and at < flt["from"]:
            return False
        if "to" in flt and at >= flt["to"]:
            return False
    return True


def _expand(store: Store, entities: dict[str, Any], scores: dict[str, float]) -> None:
    """Add the neighbours (in their document's order) of the first EXPAND turn/chunk hits."""
    top = [n for n in scores if _kind(entities[n]["entityType"]) != "observation"][:EXPAND]
    if not top:
        return
    orders: dict[str, dict[str, int]] = {}
    lists: dict[str, list[str]] = {}
    wanted: dict[str, float] = {}
    for name in top:
        document = _document_of(name)
        if document not in lists:
            lists[document], orders[document] = _order(store, document)
        pos = orders[document].get(name)
        if pos is None:
            continue
        for j in (pos - 1, pos + 1):
            if 0 <= j < len(lists[document]):
                nb = lists[document][j]
                share = scores[name] * NEIGHBOUR_WEIGHT
                if share > max(scores.get(nb, 0.0), wanted.get(nb, 0.0)):
                    wanted[nb] = share
    missing = [n for n in wanted if n not in entities]
    if missing:
        entities.update(store.get_entities(missing))
    for nb, share in wanted.items():
        if nb in entities:
            scores[nb] = max(scores.get(nb, 0.0), share)


# (store, document) -> (digest and ingest time, chunk names in order, their positions): the
# order is re-read only when the document was ingested again. Bounded.
_ORDERS: dict[tuple[int, str], tuple[tuple[str, str], list[str], dict[str, int]]] = {}
_ORDERS_MAX = 256


def _order(store: Store, document: str) -> tuple[list[str], dict[str, int]]:
    head = store.source_get(document, with_chunks=False)
    if head is None:
        return [], {}
    stamp = (head["digest"], head["ingested_at"] or "")
    key = (id(store), document)
    cached = _ORDERS.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1], cached[2]
    record = store.source_get(document)
    names = list(record["chunks"]) if record else []
    if len(_ORDERS) >= _ORDERS_MAX:
        _ORDERS.clear()
    _ORDERS[key] = (stamp, names, {n: i for i, n in enumerate(names)})
    return names, _ORDERS[key][2]


def _metadata(store: Store, names: list[str]) -> dict[str, dict[str, Any]]:
    """Return ``{name: {"time", "at", "speaker", "document"}}`` for turns and chunks."""
    if not names:
        return {}
    out: dict[str, dict[str, Any]] = {n: {} for n in names}
    for name, start in store.valid_from(names).items():
        if start:
            out[name]["time"] = start
            out[name]["at"] = parse_time(start)
    wanted = set(names)
    for rel in store.relations_of(names, "out"):
        src = rel["from"]
        if src not in wanted:
            continue
        if rel["relationType"] == "spoken_by":
            out[src]["speaker"] = rel["to"]
        elif rel["relationType"] == "part_of":
            out[src]["document"] = rel["to"]
    return out


_SPEAKER = re.compile(r"^(?:\[[^\]\n]*\] )?([^:\n\[]{1,80}): ")


def speaker_of(text: str) -> str | None:
    """Return the speaker written at the start of a turn's text (``[time] who: ...``)."""
    m = _SPEAKER.match(text)
    return m.group(1) if m else None
