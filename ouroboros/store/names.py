"""Entity identity without an LLM: name normalisation, alias checks and near-duplicate reports.

Deterministic and fast, because this is the write path (no model, no network):

- ``normalise(name)``: NFKC, case-folded, runs of spaces / ``_`` / ``-`` as one space, trailing
  ``.,;:!?`` and surrounding quotes dropped. ``"Ada  Lovelace"``, ``"ada lovelace"`` and
  ``"ADA_LOVELACE."`` are one normalised name. Lookups (``resolve_names``), aliases and
  ``merge_entities`` match names this way; the official tools' writes never do (``alice`` and
  ``Alice`` stay two entities there).
- ``near_duplicates(entities)``: pairs of one entity's observations that say the same thing
  in other words: equal once normalised (score 1.0), or with stemmed-word sets whose Jaccard
  similarity is at least ``NEAR_DUPLICATE`` (0.8; both of at least 3 words). Exact duplicates
  are merged on write; near ones are kept and reported here, never dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from ouroboros.errors import InvalidInputError
from ouroboros.store.analysis import analyze
from ouroboros.store.validate import check_identifier

__all__ = [
    "MAX_COMPARED",
    "NEAR_DUPLICATE",
    "check_merge",
    "mentioned_aliases",
    "near_duplicates",
    "normalise",
]

NEAR_DUPLICATE = 0.8
MAX_COMPARED = 2000  # observations per entity compared pairwise; more are reported as skipped
_SEPARATORS = re.compile(r"[\s_\-]+")
_WORD = re.compile(r"\w+")
_EDGES = "\"'`“”‘’«».,;:!?"


def normalise(name: str) -> str:
    """Return the normalised form of an entity name (see the module docstring)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _SEPARATORS.sub(" ", text).strip()
    return text.strip(_EDGES).strip()


def mentioned_aliases(text: str, rows: Iterable[tuple[str, str, str]]) -> list[dict[str, str]]:
    """Return ``[{"alias", "name"}]`` for the ``(alias, norm, entity name)`` rows whose
    normalised alias occurs in ``text`` as whole words (what recall adds to its query)."""
    words = f" {' '.join(_WORD.findall(normalise(text)))} "
    found: dict[str, dict[str, str]] = {}
    for alias, norm, name in rows:
        needle = " ".join(_WORD.findall(norm))
        if needle and f" {needle} " in words and norm != normalise(name):
            found.setdefault(alias, {"alias": alias, "name": name})
    return list(found.values())


def check_merge(source: Any, into: Any) -> tuple[str, str]:
    """Return ``(from, into)`` checked as names; InvalidInputError when they are one entity's."""
    src = check_identifier(source, "from")
    dst = check_identifier(into, "into")
    if src == dst:
        raise InvalidInputError(
            f"cannot merge {src!r} into itself: give two different entities",
            details={"from": src, "into": dst},
        )
    return src, dst


def near_duplicates(
    entities: Iterable[Mapping[str, Any]], threshold: float = NEAR_DUPLICATE
) -> list[dict[str, Any]]:
    """Return ``[{"entityName", "observation", "similarTo", "score"}]`` for each pair of one
    entity's observations that are near-duplicates (the later one first), best first."""
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise InvalidInputError("threshold must be a number from 0.5 to 1")
    if not 0.5 <= threshold <= 1:
        raise InvalidInputError(f"threshold must be from 0.5 to 1, got {threshold}")
    found: list[dict[str, Any]] = []
    for entity in entities:
        texts = list(entity.get("observations") or [])[:MAX_COMPARED]
        keyed = [(t, normalise(t), frozenset(analyze(t))) for t in texts]
        for i, (text, norm, terms) in enumerate(keyed):
            for earlier, earlier_norm, earlier_terms in keyed[:i]:
                if norm == earlier_norm:
                    score = 1.0
                elif len(terms) >= 3 and len(earlier_terms) >= 3:
                    score = len(terms & earlier_terms) / len(terms | earlier_terms)
                else:
                    continue
                if score >= threshold:
                    found.append(
                        {
                            "entityName": entity["name"],
                            "observation": text,
                            "similarTo": earlier,
                            "score": round(score, 3),
                        }
                    )
    found.sort(key=lambda d: (-d["score"], d["entityName"]))
    return found
