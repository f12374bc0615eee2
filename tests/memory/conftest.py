"""Fixtures for memory tests: a real DuckDB store under tmp_path and a small transcript."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ouroboros.store import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(str(tmp_path / "store.duckdb"), embedder=None) as s:
        yield s


@pytest.fixture
def transcript() -> dict[str, Any]:
    return {
        "conversation": "chat-1",
        "speakers": ["Ann", "Ben"],
        "sessions": [
            {
                "id": "session_1",
                "time": "1:56 pm on 8 May, 2023",
                "turns": [
                    {"id": "D1:1", "speaker": "Ann", "text": "Hi Ben! How was your week?"},
                    {"id": "D1:2", "speaker": "Ben", "text": "Busy. What did you do?"},
                    {
                        "id": "D1:3",
                        "speaker": "Ann",
                        "text": "I went to a pottery class yesterday and made a bowl.",
                    },
                    {"id": "D1:4", "speaker": "Ben", "text": "Nice! Which studio was it?"},
                    {"id": "D1:5", "speaker": "Ann", "text": "The one near the river, Clayhouse."},
                ],
            },
            {
                "id": "session_2",
                "time": "10:00 am on 2 June, 2023",
                "turns": [
                    {
                        "id": "D2:1",
                        "speaker": "Ben",
                        "text": "I adopted a dog last weekend!",
                        "image_caption": "a photo of a small brown puppy",
                    },
                    {"id": "D2:2", "speaker": "Ann", "text": "So cute. What is its name?"},
                    {"id": "D2:3", "speaker": "Ben", "text": "We call him Biscuit."},
                ],
            },
        ],
    }
