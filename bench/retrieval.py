"""Retrieval benchmark: LoCoMo recall@k of evidence turns, recall in a token budget, speed.

    .venv/bin/python bench/retrieval.py            # the three dev conversations, 100k chunks
    .venv/bin/python bench/retrieval.py --quick    # one conversation, 2k chunks (CI smoke run)
    .venv/bin/python bench/retrieval.py --data DIR --chunks 100000 --embeddings

Quality, per conversation in a fresh in-memory store (``ingest_transcript``), for each question
of categories 1-4 (5 is adversarial: no evidence): recall@k = share of its evidence turns among
the first k items, averaged over questions. Systems, same turns, same run:
- ``ours keyword``: ``ouroboros.memory.recall(..., mode="keyword")`` (stems, stop-words,
  speaker and session time stored with each turn, neighbouring-turn expansion);
- ``ours search``: the store's keyword ``search`` alone (no expansion), to show what recall adds;
- ``rank_bm25``: BM25Okapi over lower-cased alphanumeric tokens of turn text plus session time
  (the dataset README's baseline);
- with ``--embeddings`` (needs the extra): ``ours hybrid`` (RRF of keyword and MiniLM) and plain
  ``MiniLM cosine`` over the same turns.
``in 1,000 tokens``: the share of evidence turns inside ``recall(budget_tokens=1000)``.

Speed: recall p50/p95 over a store of N synthetic chunks of Zipf-distributed words, queried
with the LoCoMo questions (keyword), and the Markdown ingest rate (MB/min, keyword-only) of a
generated document. ``--speed-only`` skips the quality part.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ouroboros.memory import ingest_document, ingest_transcript, recall
from ouroboros.store import open_store

ROOT = Path(__file__).resolve().parent.parent
DATA_CANDIDATES = [
    ROOT.parent / "shared" / "data" / "locomo-dev",
    Path("/work/shared/data/locomo-dev"),
]
_ALNUM = re.compile(r"[a-z0-9]+")
WORDS = [
    "time",
    "memory",
    "graph",
    "store",
    "chunk",
    "tea",
    "garden",
    "river",
    "music",
    "painting",
    "school",
    "friend",
    "family",
    "trip",
    "camping",
    "beach",
    "concert",
    "book",
    "movie",
    "project",
    "budget",
    "meeting",
    "deadline",
    "recipe",
    "kitchen",
    "city",
    "train",
    "office",
    "report",
    "design",
    "review",
    "support",
    "group",
    "adoption",
    "career",
    "counseling",
    "race",
    "charity",
    "dog",
    "cat",
    "piano",
    "guitar",
    "photo",
    "sunrise",
    "mountain",
    "lake",
    "forest",
    "winter",
    "summer",
    "spring",
    "autumn",
    "holiday",
    "gift",
]


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))]


def _data_dir(arg: str | None) -> Path | None:
    for p in [Path(arg)] if arg else DATA_CANDIDATES:
        if (p / "conv-26.transcript.json").is_file():
            return p
    return None


def _turn_ids(items: list[dict[str, Any]]) -> list[str]:
    return [i["source"]["id"] for i in items if i["source"]["kind"] == "turn"]


def _bm25_peer(transcript: dict[str, Any]) -> tuple[Any, list[str]]:
    from rank_bm25 import BM25Okapi

    ids, docs = [], []
    for session in transcript["sessions"]:
        for turn in session["turns"]:
            text = f"{turn['text']} {turn.get('image_caption') or ''} {session['time']}"
            ids.append(turn["id"])
            docs.append(_ALNUM.findall(text.lower()))
    return BM25Okapi(docs), ids


def quality(data: Path, names: list[str], embeddings: bool, ks: tuple[int, ...]) -> dict[str, Any]:
    """Return recall@k per system (overall and per category) and recall in 1,000 tokens."""
    sums: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    misses: list[dict[str, Any]] = []
    embedder = None
    if embeddings:
        from ouroboros.store import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    for name in names:
        transcript = json.loads((data / f"{name}.transcript.json").read_text())
        questions = json.loads((data / f"{name}.questions.json").read_text())
        store = open_store(":memory:", embedder=embedder)
        ingest_transcript(store, transcript)
        if embedder is not None:
            _wait_for_vectors(store)
        bm25, bm25_ids = _bm25_peer(transcript)
        mini = _minilm_peer(transcript, embedder) if embedder is not None else None
        for q in questions:
            if q["category"] == 5 or not q.get("evidence"):
                continue
            ev = set(q["evidence"])
            cat = str(q["category"])
            kmax = max(ks)
            runs: dict[str, list[str]] = {}
            runs["ours keyword"] = _turn_ids(
                recall(store, q["question"], limit=kmax, budget_tokens=100_000, mode="keyword")[
                    "items"
                ]
            )
            hits = store.search(q["question"], limit=kmax, mode="keyword")["results"]
            runs["ours search"] = [h["name"].split("#", 1)[1] for h in hits if "#" in h["name"]]
            scores = bm25.get_scores(_ALNUM.findall(q["question"].lower()))
            order = sorted(range(len(scores)), key=lambda i: -scores[i])[:kmax]
            runs["rank_bm25"] = [bm25_ids[i] for i in order]
            if embedder is not None and mini is not None:
                runs["ours hybrid"] = _turn_ids(
                    recall(store, q["question"], limit=kmax, budget_tokens=100_000, mode="hybrid")[
                        "items"
                    ]
                )
                runs["MiniLM cosine"] = mini(q["question"], kmax)
            for system, got in runs.items():
                for k in ks:
                    r = len(ev & set(got[:k])) / len(ev)
                    sums[f"{system} @{k}"]["all"].append(r)
                    sums[f"{system} @{k}"][cat].append(r)
            packed = recall(store, q["question"], budget_tokens=1000, mode="keyword")
            r = len(ev & set(_turn_ids(packed["items"]))) / len(ev)
            sums["ours keyword in 1,000 tokens"]["all"].append(r)
            sums["ours keyword in 1,000 tokens"][cat].append(r)
            if embedder is not None:
                packed = recall(store, q["question"], budget_tokens=1000, mode="hybrid")
                r = len(ev & set(_turn_ids(packed["items"]))) / len(ev)
                sums["ours hybrid in 1,000 tokens"]["all"].append(r)
                sums["ours hybrid in 1,000 tokens"][cat].append(r)
            top5 = set(runs["ours keyword"][:5])
            if ev - top5:
                misses.append(
                    {
                        "conversation": name,
                        "category": q["category"],
                        "question": q["question"],
                        "missing": sorted(ev - top5),
                        "in_1000": sorted(ev & set(_turn_ids(packed["items"]))),
                    }
                )
        store.close()
    table = {
        system: {c: round(statistics.fmean(v), 3) for c, v in sorted(by.items())}
        for system, by in sums.items()
    }
    counts = {c: len(v) for c, v in sums["rank_bm25 @5"].items()}
    return {"recall": table, "questions": counts, "misses": misses}


def _wait_for_vectors(store: Any) -> None:
    for _ in range(6000):
        if not store.info().get("pending_embeddings"):
            return
        time.sleep(0.05)


def _minilm_peer(transcript: dict[str, Any], embedder: Any) -> Any:
    import numpy as np

    ids, texts = [], []
    for session in transcript["sessions"]:
        for turn in session["turns"]:
            ids.append(turn["id"])
            texts.append(f"{turn['speaker']}: {turn['text']}")
    matrix = np.asarray(embedder.embed(texts), dtype=np.float32)

    def search(question: str, k: int) -> list[str]:
        v = np.asarray(embedder.embed([question])[0], dtype=np.float32)
        sims = matrix @ v
        return [ids[i] for i in np.argsort(-sims)[:k]]

    return search


# Synthetic text with a Zipf-like word distribution (as real text has): 5,000 filler words,
# the real words above sitting at ranks 100-160 (common, not stop-word common).
_FILLER = [f"w{i}" for i in range(5000)]
_VOCAB = _FILLER[:100] + WORDS + _FILLER[100:]
_WEIGHTS = [1.0 / (rank + 1) for rank in range(len(_VOCAB))]


def _synthetic_chunks(store: Any, n: int, rng: random.Random) -> None:
    document = "synthetic.md"
    store.create_entities([{"name": document, "entityType": "document", "observations": []}])
    names = []
    for start in range(0, n, 5000):
        batch = []
        for i in range(start, min(n, start + 5000)):
            words = " ".join(rng.choices(_VOCAB, weights=_WEIGHTS, k=40))
            name = f"{document}#L{i * 3 + 1}-{i * 3 + 2}"
            names.append(name)
            batch.append({"name": name, "entityType": "chunk", "observations": [words]})
        store.create_entities(batch)
    store.source_put(document, "markdown", "synthetic", names)


def speed(n_chunks: int, calls: int, embeddings: bool, questions: list[str]) -> dict[str, Any]:
    """Return recall p50/p95 (ms) at ``n_chunks`` and the Markdown ingest rate."""
    rng = random.Random(11)
    out: dict[str, Any] = {"chunks": n_chunks}
    store = open_store(":memory:", embedder=None)
    t = time.perf_counter()
    _synthetic_chunks(store, n_chunks, rng)
    out["load_s"] = round(time.perf_counter() - t, 1)
    qs = questions or [" ".join(rng.choices(WORDS, k=6)) + "?" for _ in range(50)]
    recall(store, qs[0])  # tokenizer load
    lat = []
    for i in range(calls):
        q = qs[i % len(qs)]
        t = time.perf_counter()
        recall(store, q, budget_tokens=1000, mode="keyword")
        lat.append((time.perf_counter() - t) * 1e3)
    out["keyword_ms"] = [round(statistics.median(lat), 2), round(_pct(lat, 0.95), 2)]
    store.close()

    paragraphs = []
    size = 0
    target = 400_000 if n_chunks <= 5000 else 4_000_000
    i = 0
    while size < target:
        if i % 12 == 0:
            paragraphs.append(f"## Section {i // 12}\n")
        text = " ".join(rng.choices(WORDS, k=rng.randint(20, 90))).capitalize() + "."
        paragraphs.append(text + "\n")
        size += len(text) + 2
        i += 1
    doc = "\n".join(paragraphs)
    store = open_store(":memory:", embedder=None)
    t = time.perf_counter()
    result = ingest_document(store, "bench.md", doc)
    took = time.perf_counter() - t
    out["ingest_mb_per_min"] = round(len(doc.encode()) / 1e6 / took * 60, 1)
    out["ingest_chunks"] = result["units"]
    store.close()
    return out


def main() -> int:
    """Run the benchmark and print a JSON report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one conversation, 2k chunks")
    ap.add_argument("--data", help="the LoCoMo directory (conv-*.transcript.json)")
    ap.add_argument("--chunks", type=int, default=100_000, help="chunks for the latency run")
    ap.add_argument("--embeddings", action="store_true", help="also hybrid and MiniLM cosine")
    ap.add_argument("--speed-only", action="store_true", help="skip the LoCoMo quality part")
    ap.add_argument("--misses", help="write the questions that miss evidence at @5 to this file")
    args = ap.parse_args()
    data = _data_dir(args.data)
    report: dict[str, Any] = {}
    questions: list[str] = []
    if data is not None and args.speed_only:
        for p in sorted(data.glob("*.questions.json")):
            questions += [x["question"] for x in json.loads(p.read_text())]
    elif data is None:
        report["quality"] = "skipped: LoCoMo dev set not found (give --data)"
    else:
        names = sorted(p.name.split(".")[0] for p in data.glob("*.transcript.json"))
        if args.quick:
            names = names[:1]
        q = quality(data, names, args.embeddings, (5, 10))
        if args.misses:
            Path(args.misses).write_text(json.dumps(q["misses"], indent=1))
        report["quality"] = {"recall": q["recall"], "questions": q["questions"]}
        for name in names:
            questions += [
                x["question"] for x in json.loads((data / f"{name}.questions.json").read_text())
            ]
    n = 2000 if args.quick else args.chunks
    report["speed"] = speed(n, 50 if args.quick else 300, args.embeddings, questions)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
