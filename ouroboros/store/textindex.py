"""Ranked keyword search: a Unicode tokenizer and an incremental in-memory BM25 index.

The index lives in the owner process (the only process that touches the database file), is
rebuilt from DuckDB at open and updated write-through after each commit, so a search sees every
committed write at once. An in-memory index was chosen over a term table in DuckDB by
measurement: any DuckDB query costs 0.2–0.6 ms before it does work, and a posting-table join
grows with the table, while a dict lookup per query term stays in the microseconds at 100k
entities (see bench/RESULTS.md).

Query semantics: documents and queries go through the analyzer (``analysis``: Unicode words,
case folding, English Snowball stems, query stop-words, exact phrases; no prefix matching).
Matching is OR over the query's stems, ranked so that documents containing *all* of them come
first, then by BM25 score (k1=1.2, b=0.75), then by ascending document id. Name words count
three times, so a name hit outranks a mention. A query with a quoted phrase only matches the
documents the caller's ``accept`` check passes (the index keeps no positions; the searcher checks
the phrase against the document's text), scored exhaustively over the documents that hold every
phrase stem.

Top-k evaluation (``search``), exact — the same documents in the same order, with bit-identical
scores, as scoring every matching document (``search_exhaustive``, the reference):

The prefix-expansion machinery below (groups of terms per query word) is kept general although
each word now expands to at most its own stem.

* Every term keeps, besides ``doc -> tf``, its postings in *impact order*: one bucket per
  distinct tf, sorted by (document length, doc id). Within a bucket the BM25 contribution falls
  as the length grows for any corpus statistics, so merging the buckets' heads yields the
  postings by descending contribution without re-sorting when avgdl/idf move. Writes append;
  the first read after an out-of-order append sorts the bucket (see ``_Bucket``).
* Multi-word queries first compute the exact set of documents containing *all* words, driven by
  the word with the fewest postings (set intersection in C). Those rank first; if there are at
  least ``limit`` of them nothing else is looked at.
* The rest (or a one-word query) is Fagin's threshold algorithm: pop postings best-first across
  all lists, score each new document exactly by random access, stop when the k-th best key
  (words matched, score, -doc) beats any unseen document's bound (words still possible, sum of
  the list heads). A word's prefix expansions are bounded by the sum of only the top-M heads,
  where M is the most expansion terms any one document holds (cached per prefix, raised on
  writes), so "city7" (one city per entity) stops early too.
* When the bound cannot stop early (flat scores over many lists that one document may all hold,
  e.g. ``hobby1`` with 33 expansions two of which can be in one document), the walk gives up
  after a budget of 1/16 of the postings and scores everything, as before.

``total`` is exact whenever it is cheap (one list per word, or disjoint expansions, with at most
two words; otherwise a C-speed set union up to ``EXACT_TOTAL_LIMIT`` postings) and otherwise an
estimate assuming independent words, flagged by ``search_with_total``.
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain

from ouroboros.store.analysis import analyze, parse_query

__all__ = ["Hit", "TextIndex", "document_terms", "tokenize"]

_WORD = re.compile(r"\w+")
K1 = 1.2
B = 0.75
NAME_WEIGHT = 3
PREFIX_WEIGHT = 0.5
PREFIX_MATCHING = False  # "car" must not find "Carol"; stems do the work prefixes did
MIN_PREFIX_LEN = 3
MAX_PREFIX_EXPANSIONS = 32
MAX_QUERY_WORDS = 32

SHIFT = 40  # posting key = doc length << SHIFT | doc id (int64: length < 2**23)
DOC_MASK = (1 << SHIFT) - 1
MAX_KEY_DL = 1 << 22
EXHAUSTIVE_BELOW = 48  # postings: below this, scoring everything is cheaper than the walk
BUDGET_SHARE = 16  # the walk gives up after 1/BUDGET_SHARE of the postings (min 8 * limit)
EXACT_TOTAL_LIMIT = 50_000  # postings: count the union exactly up to this, else estimate
PREFIX_CACHE_MAX = 4096
_Docs = set[int]  # (a method named ``set`` shadows the builtin in TextIndex)
TIE = 1e-12  # relative slack when comparing a score with a bound summed in another order


def tokenize(text: str) -> list[str]:
    """Return the lower-cased Unicode words of ``text`` (NFKC-normalised, case-folded)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def document_terms(name: str, entity_type: str, observations: Iterable[str]) -> Counter[str]:
    """Return the term frequencies of an entity (analyzed stems; name words weighted ×3)."""
    terms: Counter[str] = Counter()
    for word in analyze(name):
        terms[word] += NAME_WEIGHT
    terms.update(analyze(entity_type))
    for text in observations:
        terms.update(analyze(text))
    return terms


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked document: its id, BM25 score and how many distinct query words it matched."""

    doc: int
    score: float
    matched: int


class _Bucket:
    """The postings of one term with one tf, as ``length << SHIFT | doc`` keys.

    Ascending keys are impact order for this tf. Writes only append (setting ``unsorted`` when
    a key arrives out of order) and count removals in ``live``; a read sorts if needed. Keys
    whose (tf, length) no longer match the live posting are stale: skipped when read, dropped
    when they outnumber the live ones (amortised on removals).
    """

    __slots__ = ("keys", "live", "unsorted")

    def __init__(self) -> None:
        self.keys: array[int] = array("q")
        self.unsorted = False
        self.live = 0

    def ordered(self) -> array[int]:
        if self.unsorted:
            self.keys = array("q", sorted(self.keys))
            self.unsorted = False
        return self.keys


class _Query:
    """Per-query constants: the expanded word groups and the BM25 parameters."""

    __slots__ = ("complete", "groups", "mult", "norm", "sizes", "slope")

    def __init__(self) -> None:
        # groups[g] = [(term, idf * weight, postings dict), ...] in expansion order
        self.groups: list[list[tuple[str, float, dict[int, int]]]] = []
        self.mult: list[int] = []  # at most this many of a group's terms in one document
        self.complete: list[bool] = []
        self.sizes: list[int] = []  # sum of df over the group
        self.norm = 0.0
        self.slope = 0.0


class TextIndex:
    """An incremental BM25 inverted index over integer document ids (not thread-safe)."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[int, int]] = {}
        self._impact: dict[str, dict[int, _Bucket]] = {}
        self._doc_terms: dict[int, tuple[str, ...]] = {}
        self._doc_len: dict[int, int] = {}
        self._total_len = 0
        self._vocab: list[str] = []  # sorted, for prefix expansion; may hold dead terms
        # New terms since the last prefix lookup, merged in then (inserting each into the sorted
        # list at once was O(vocabulary) per new term: quadratic over a bulk load).
        self._vocab_new: list[str] = []
        # prefix -> upper bound on how many live terms with that prefix one document holds
        self._mult: dict[str, int] = {}
        self._impact_ok = True  # False once a doc id or length does not fit a key

    def __len__(self) -> int:
        return len(self._doc_len)

    # --- writes --------------------------------------------------------------------------

    def set(self, doc: int, terms: Counter[str]) -> None:
        """Index ``doc`` with ``terms`` (replacing what it held)."""
        if doc in self._doc_len:
            self.remove(doc)
        postings = self._postings
        impact = self._impact
        length = sum(terms.values())
        if not (0 <= doc <= DOC_MASK and length < MAX_KEY_DL):
            self._impact_ok = False
        key = (length << SHIFT) | (doc & DOC_MASK)
        for term, tf in terms.items():
            bucket = postings.get(term)
            if bucket is None:
                bucket = postings[term] = {}
                impact[term] = {}
                self._vocab_new.append(term)
            bucket[doc] = tf
            by_tf = impact[term]
            ib = by_tf.get(tf)
            if ib is None:
                ib = by_tf[tf] = _Bucket()
            keys = ib.keys
            if keys and key < keys[-1]:
                ib.unsorted = True  # (loading by id with similar lengths mostly stays in order)
            keys.append(key)
            ib.live += 1
        self._doc_terms[doc] = tuple(terms)
        self._doc_len[doc] = length
        self._total_len += length
        if self._mult:
            self._raise_multiplicity(terms)

    def remove(self, doc: int) -> None:
        """Drop ``doc`` from the index (no-op if absent)."""
        terms = self._doc_terms.pop(doc, None)
        if terms is None:
            return
        for term in terms:
            bucket = self._postings.get(term)
            if bucket is None:
                continue
            tf = bucket.pop(doc, None)
            by_tf = self._impact[term]
            if tf is not None and tf in by_tf:
                ib = by_tf[tf]
                ib.live -= 1
                if ib.live <= 0:
                    del by_tf[tf]
                elif len(ib.keys) > 2 * ib.live + 64:
                    self._compact(term, tf, ib)  # stale keys outnumber live ones: drop them
            if not bucket:
                del self._postings[term]  # stays in _vocab; skipped on expansion
                del self._impact[term]
        self._total_len -= self._doc_len.pop(doc)

    def _compact(self, term: str, tf: int, ib: _Bucket) -> None:
        live = self._postings[term]
        doc_len = self._doc_len
        keep = dict.fromkeys(
            k
            for k in sorted(ib.keys)
            if live.get(k & DOC_MASK) == tf and doc_len.get(k & DOC_MASK) == k >> SHIFT
        )
        ib.keys = array("q", keep)
        ib.unsorted = False

    def _raise_multiplicity(self, terms: Counter[str]) -> None:
        mult = self._mult
        counts: dict[str, int] = {}
        for term in terms:
            for j in range(MIN_PREFIX_LEN, len(term) + 1):
                p = term[:j]
                if p in mult:
                    counts[p] = counts.get(p, 0) + 1
        for p, n in counts.items():
            if n > mult[p]:
                mult[p] = n

    # --- query preparation ---------------------------------------------------------------

    def _expand(self, word: str) -> list[tuple[str, float]]:
        return self._expand_full(word)[0]

    def _expand_full(self, word: str) -> tuple[list[tuple[str, float]], bool]:
        """Return the (term, weight) list of ``word`` and whether it holds every live term
        starting with ``word`` (False when capped at MAX_PREFIX_EXPANSIONS)."""
        terms: list[tuple[str, float]] = []
        postings = self._postings
        if word in postings:
            terms.append((word, 1.0))
        if not PREFIX_MATCHING or len(word) < MIN_PREFIX_LEN:
            return terms, True
        vocab = self._sorted_vocab()
        i = bisect.bisect_right(vocab, word)
        while i < len(vocab) and len(terms) <= MAX_PREFIX_EXPANSIONS:
            term = vocab[i]
            if not term.startswith(word):
                return terms, True
            if term in postings:
                terms.append((term, PREFIX_WEIGHT))
            i += 1
        return terms, i >= len(vocab) or not vocab[i].startswith(word)

    def _sorted_vocab(self) -> list[str]:
        """Return the sorted vocabulary, merging in the terms added since the last call."""
        new = self._vocab_new
        if new:
            vocab = self._vocab
            if len(new) <= 16:
                for term in new:
                    i = bisect.bisect_left(vocab, term)
                    if i == len(vocab) or vocab[i] != term:  # a dead term may still be listed
                        vocab.insert(i, term)
            else:
                vocab.extend(new)
                vocab.sort()  # two sorted-ish runs: timsort merges them in linear time
                self._vocab = vocab = list(dict.fromkeys(vocab))  # drop re-added dead terms
            self._vocab_new = []
        return self._vocab

    def _multiplicity(self, word: str, group: list[tuple[str, float, dict[int, int]]]) -> int:
        cached = self._mult.get(word)
        if cached is not None:
            return cached
        counts = Counter(chain.from_iterable(d.keys() for _t, _w, d in group))
        found = max(counts.values(), default=0)
        if len(self._mult) >= PREFIX_CACHE_MAX:
            self._mult.clear()
        self._mult[word] = found
        return found

    def _prepare(self, query: str) -> _Query | None:
        words = list(parse_query(query).terms)[:MAX_QUERY_WORDS]
        n_docs = len(self._doc_len)
        if not words or not n_docs:
            return None
        q = _Query()
        avgdl = self._total_len / n_docs
        q.norm = K1 * (1.0 - B)
        q.slope = K1 * B / avgdl
        postings = self._postings
        for word in words:
            expansion, complete = self._expand_full(word)
            group = []
            size = 0
            for term, weight in expansion:
                bucket = postings[term]
                df = len(bucket)
                size += df
                idf = weight * math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
                group.append((term, idf, bucket))
            q.groups.append(group)
            q.sizes.append(size)
            q.complete.append(complete)
            if len(group) <= 1:
                q.mult.append(len(group))
            elif complete and self._impact_ok:
                q.mult.append(max(1, self._multiplicity(word, group)))
            else:
                q.mult.append(len(group))
        return q

    # --- scoring -------------------------------------------------------------------------

    def _score(self, q: _Query, doc: int) -> tuple[int, float, int]:
        """Return the ranking key (words matched, score, -doc) of ``doc``, by random access."""
        dl = self._doc_len[doc]
        norm = q.norm
        slope = q.slope
        score = 0.0
        matched = 0
        for group in q.groups:
            hit = False
            for _term, idf, bucket in group:
                tf = bucket.get(doc)
                if tf is not None:
                    score += idf * tf * (K1 + 1.0) / (tf + norm + slope * dl)
                    hit = True
            if hit:
                matched += 1
        return matched, score, -doc

    def search(
        self, query: str, limit: int, accept: Callable[[int], bool] | None = None
    ) -> tuple[list[Hit], int]:
        """Return the top ``limit`` hits for ``query`` and how many documents matched at all."""
        hits, total, _estimated = self.search_with_total(query, limit, accept)
        return hits, total

    def search_with_total(
        self, query: str, limit: int, accept: Callable[[int], bool] | None = None
    ) -> tuple[list[Hit], int, bool]:
        """Return the top ``limit`` hits, the number of matching documents and whether that
        number is an estimate (see the module docstring).

        ``accept(doc)`` is asked, for a query with quoted phrases, whether a document that
        holds every phrase stem really contains the phrases; without it phrases match as
        their words.
        """
        q = self._prepare(query)
        if q is None or limit <= 0:
            return [], 0, False
        phrases = parse_query(query).phrases
        if phrases and accept is not None:
            return self._phrase_search(q, phrases, limit, accept)
        n_postings = sum(q.sizes)
        if n_postings < EXHAUSTIVE_BELOW or not self._impact_ok:
            return self._exhaustive(q, limit)
        m = len(q.groups)
        keys: list[tuple[int, float, int]]
        conj: _Docs | None = None
        if m >= 2 and all(q.sizes):
            conj = self._conjunction(q)
            if len(conj) <= 4 * limit + 32:
                keys = heapq.nlargest(limit, (self._score(q, d) for d in conj))
            else:
                budget = max(8 * limit, len(conj) // 4)
                found = self._walk(q, limit, only=conj, exclude=None, max_matched=m, budget=budget)
                if found is None:
                    keys = heapq.nlargest(limit, (self._score(q, d) for d in conj))
                else:
                    keys = found
            if len(conj) >= limit:
                return self._hits(keys), *self._total(q, conj)
        else:
            keys = []
        budget = max(8 * limit, n_postings // BUDGET_SHARE)
        rest = self._walk(
            q,
            limit - len(keys),
            only=None,
            exclude=conj,
            max_matched=max(1, m - 1) if conj is not None else m,
            budget=budget,
        )
        if rest is None:
            return self._exhaustive(q, limit)
        return self._hits(keys + rest), *self._total(q, conj)

    def _phrase_search(
        self,
        q: _Query,
        phrases: tuple[tuple[str, ...], ...],
        limit: int,
        accept: Callable[[int], bool],
    ) -> tuple[list[Hit], int, bool]:
        """Score the documents holding every phrase stem that ``accept`` passes (exact)."""
        needed = sorted(
            {t for p in phrases for t in p}, key=lambda t: len(self._postings.get(t, ()))
        )
        docs: _Docs | None = None
        for term in needed:
            bucket = self._postings.get(term)
            if not bucket:
                return [], 0, False
            docs = set(bucket) if docs is None else docs & bucket.keys()
            if not docs:
                return [], 0, False
        passed = [d for d in sorted(docs or ()) if accept(d)]
        keys = heapq.nlargest(limit, (self._score(q, d) for d in passed))
        return self._hits(keys), len(passed), False

    @staticmethod
    def _hits(keys: list[tuple[int, float, int]]) -> list[Hit]:
        keys.sort(reverse=True)
        return [Hit(-d, s, m) for m, s, d in keys]

    def _exhaustive(self, q: _Query, limit: int) -> tuple[list[Hit], int, bool]:
        """Score every matching document (the pre-top-k algorithm; also the fallback)."""
        doc_len = self._doc_len
        norm = q.norm
        slope = q.slope
        scores: dict[int, float] = {}
        masks: dict[int, int] = {}
        for i, group in enumerate(q.groups):
            bit = 1 << i
            for _term, idf, bucket in group:
                for doc, tf in bucket.items():
                    s = idf * tf * (K1 + 1.0) / (tf + norm + slope * doc_len[doc])
                    scores[doc] = scores.get(doc, 0.0) + s
                    masks[doc] = masks.get(doc, 0) | bit
        ranked = heapq.nlargest(limit, scores, key=lambda d: (masks[d].bit_count(), scores[d], -d))
        return [Hit(d, scores[d], masks[d].bit_count()) for d in ranked], len(scores), False

    def search_exhaustive(self, query: str, limit: int) -> tuple[list[Hit], int]:
        """Score every matching document: the simple algorithm ``search`` must agree with."""
        q = self._prepare(query)
        if q is None or limit <= 0:
            return [], 0
        hits, total, _ = self._exhaustive(q, limit)
        return hits, total

    def _group_docs(self, group: list[tuple[str, float, dict[int, int]]]) -> _Docs:
        if len(group) == 1:
            return set(group[0][2])
        return set().union(*(bucket.keys() for _t, _w, bucket in group))

    def _conjunction(self, q: _Query) -> _Docs:
        """The documents holding every query word, driven by the word with fewest postings."""
        order = sorted(range(len(q.groups)), key=q.sizes.__getitem__)
        docs = self._group_docs(q.groups[order[0]])
        for g in order[1:]:
            group = q.groups[g]
            if not docs:
                break
            if len(group) == 1:
                docs &= group[0][2].keys()
            else:
                buckets = [b for _t, _w, b in group]
                docs = {d for d in docs if any(d in b for b in buckets)}
        return docs

    def _walk(
        self,
        q: _Query,
        need: int,
        only: _Docs | None,
        exclude: _Docs | None,
        max_matched: int,
        budget: int,
    ) -> list[tuple[int, float, int]] | None:
        """Threshold algorithm: the best ``need`` keys among matching documents that are in
        ``only`` (if given) and not in ``exclude``; None if ``budget`` (>0) pops did not
        suffice."""
        if need <= 0:
            return []
        doc_len = self._doc_len
        norm = q.norm
        slope = q.slope
        kp1 = K1 + 1.0
        score = self._score
        heappush = heapq.heappush
        heappop = heapq.heappop
        # One cursor per (group, term, tf bucket), as parallel lists indexed by cursor id.
        c_keys: list[array[int]] = []
        c_pos: list[int] = []
        c_tf: list[int] = []
        c_idf: list[float] = []
        c_live: list[dict[int, int]] = []
        c_head: list[float] = []  # contribution of the head posting; -1.0 once exhausted
        c_doc: list[int] = []
        c_group: list[int] = []
        g_terms: list[list[list[int]]] = []  # [group][term] -> its cursor ids
        g_cids: list[list[int]] = []
        heap: list[tuple[float, int, int]] = []
        for g, group in enumerate(q.groups):
            per_term = []
            flat = []
            for term, idf, live in group:
                ids = []
                for tf, ib in self._impact[term].items():
                    cid = len(c_keys)
                    ids.append(cid)
                    c_keys.append(ib.ordered())
                    c_pos.append(-1)
                    c_tf.append(tf)
                    c_idf.append(idf)
                    c_live.append(live)
                    c_head.append(-1.0)
                    c_doc.append(0)
                    c_group.append(g)
                per_term.append(ids)
                flat.extend(ids)
            g_terms.append(per_term)
            g_cids.append(flat)

        def advance(cid: int) -> None:
            keys = c_keys[cid]
            pos = c_pos[cid] + 1
            tf = c_tf[cid]
            live = c_live[cid]
            n = len(keys)
            while pos < n:
                key = keys[pos]
                doc = key & DOC_MASK
                dl = key >> SHIFT
                if live.get(doc) == tf and doc_len.get(doc) == dl:
                    c_pos[cid] = pos
                    head = c_idf[cid] * tf * kp1 / (tf + norm + slope * dl)
                    c_head[cid] = head
                    c_doc[cid] = doc
                    heappush(heap, (-head, doc, cid))
                    return
                pos += 1
            c_pos[cid] = n
            c_head[cid] = -1.0

        mults = q.mult
        n_groups = len(g_terms)
        g_bound = [0.0] * n_groups  # sum of the top-M term heads (0.0: group exhausted)
        g_floor = [math.inf] * n_groups  # the smallest of those heads

        def regroup(g: int) -> None:
            per_term = g_terms[g]
            mlt = mults[g]
            if mlt <= 1 or len(per_term) == 1:
                h = max([c_head[c] for c in g_cids[g]], default=-1.0)
                if h < 0.0:
                    g_bound[g], g_floor[g] = 0.0, math.inf
                else:
                    g_bound[g] = g_floor[g] = h
                return
            heads = [
                h
                for h in (max([c_head[c] for c in ids], default=-1.0) for ids in per_term)
                if h >= 0.0
            ]
            if len(heads) > mlt:
                heads.sort(reverse=True)
                del heads[mlt:]
            if heads:
                g_bound[g], g_floor[g] = sum(heads), min(heads)
            else:
                g_bound[g], g_floor[g] = 0.0, math.inf

        for cid in range(len(c_keys)):
            advance(cid)
        for g in range(n_groups):
            regroup(g)

        top: list[tuple[int, float, int]] = []  # min-heap of the best keys so far
        seen: _Docs = set()
        pops = 0
        while heap:
            if len(heap) == 1:
                # One list left: every unseen document is in it alone, so its postings in
                # impact order *are* the remaining ranking (key: 1 word, its contribution).
                self._drain(
                    heap[0][2],
                    c_keys,
                    c_pos,
                    c_tf,
                    c_idf,
                    c_live,
                    q,
                    need,
                    top,
                    seen,
                    only,
                    exclude,
                )
                break
            _neg, doc, cid = heappop(heap)
            advance(cid)
            regroup(c_group[cid])
            pops += 1
            if doc not in seen:
                seen.add(doc)
                if (only is None or doc in only) and (exclude is None or doc not in exclude):
                    key = score(q, doc)
                    if len(top) < need:
                        heappush(top, key)
                    elif key > top[0]:
                        heapq.heapreplace(top, key)
            if budget and pops > budget:
                return None
            if len(top) < need or not heap:
                continue
            # Bound on any unseen document: words still possible, sum of top-M term heads.
            kth_m, kth_s, kth_negdoc = top[0]
            max_m = min(sum(1 for b in g_bound if b > 0.0), max_matched)
            if kth_m != max_m:
                if kth_m > max_m:
                    break
                continue
            bound = sum(g_bound)
            slack = TIE * bound
            if kth_s > bound + slack:
                break
            if kth_s < bound - slack:
                continue
            # A tie with the bound: an unseen document reaching it sits at the head of some
            # list whose head is among the top-M of its group, with an id >= that head's.
            low = math.inf
            for c in range(len(c_head)):
                if c_head[c] >= g_floor[c_group[c]] * (1.0 - TIE) and c_doc[c] < low:
                    low = c_doc[c]
            if low > -kth_negdoc:
                break
        return list(top)

    def _drain(
        self,
        cid: int,
        c_keys: list[array[int]],
        c_pos: list[int],
        c_tf: list[int],
        c_idf: list[float],
        c_live: list[dict[int, int]],
        q: _Query,
        need: int,
        top: list[tuple[int, float, int]],
        seen: _Docs,
        only: _Docs | None,
        exclude: _Docs | None,
    ) -> None:
        """Finish a walk whose only unexhausted list is cursor ``cid``."""
        keys = c_keys[cid]
        tf = c_tf[cid]
        live = c_live[cid]
        doc_len = self._doc_len
        idf_kp1 = c_idf[cid] * tf * (K1 + 1.0)  # same association as ``_score``: (idf*tf)*kp1
        base = tf + q.norm
        slope = q.slope
        for pos in range(c_pos[cid], len(keys)):
            key = keys[pos]
            doc = key & DOC_MASK
            dl = key >> SHIFT
            if live.get(doc) != tf or doc_len.get(doc) != dl or doc in seen:
                continue
            if (only is not None and doc not in only) or (exclude is not None and doc in exclude):
                continue
            seen.add(doc)  # a key can be listed twice (re-added with the same tf and length)
            hit = (1, 0.0 + idf_kp1 / (base + slope * dl), -doc)
            if len(top) < need:
                heapq.heappush(top, hit)
            elif hit > top[0]:
                heapq.heapreplace(top, hit)
            else:
                break  # later postings score no higher, and tie only with larger doc ids

    def _total(self, q: _Query, conj: _Docs | None) -> tuple[int, bool]:
        """Return (number of matching documents, whether it is an estimate)."""
        sizes = []
        exact = True
        for g, group in enumerate(q.groups):
            if len(group) <= 1 or q.mult[g] <= 1:
                sizes.append(q.sizes[g])  # one list, or expansions no document shares
            else:
                exact = False
                sizes.append(max(len(b) for _t, _w, b in group))  # a lower bound
        nonempty = [s for s in sizes if s]
        if exact and len(nonempty) <= 1:
            return sum(nonempty), False
        if exact and len(q.groups) == 2 and conj is not None:
            return sizes[0] + sizes[1] - len(conj), False
        if sum(q.sizes) <= EXACT_TOTAL_LIMIT:
            return len(set().union(*(self._group_docs(g) for g in q.groups if g))), False
        n = len(self._doc_len)
        miss = 1.0
        for g, s in enumerate(sizes):
            miss *= 1.0 - min(q.sizes[g], max(s, q.sizes[g] // max(1, q.mult[g]))) / n
        estimate = round(n * (1.0 - miss))
        return min(sum(q.sizes), max(max(sizes), estimate)), True
