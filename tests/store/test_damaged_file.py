"""A damaged database file gives one clear StoreError, not DuckDB's traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ouroboros.errors import StoreError
from ouroboros.store import open_store


def test_truncated_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "half.duckdb"
    with open_store(str(path), embedder=None) as store:
        store.memory_set("k", {"v": 1})
    os.truncate(path, path.stat().st_size // 2)
    with pytest.raises(StoreError, match="damaged or truncated") as caught:
        open_store(str(path), embedder=None)
    assert caught.value.details == {"path": str(path)}
    assert caught.value.__cause__ is None
