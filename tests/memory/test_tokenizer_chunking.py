"""The offline tokenizer and the Markdown/text chunker."""

from __future__ import annotations

import pytest

from ouroboros.memory import chunk_text, count_tokens, tokenizer_name
from ouroboros.memory.tokenizer import estimate_tokens


def test_real_bpe_tokenizer_offline() -> None:
    assert tokenizer_name() == "bpe-openai:cl100k_base"
    assert count_tokens("hello world") == 2
    assert count_tokens("") == 0
    long = "word " * 300_000  # beyond the binding's one-call limit: counted in pieces
    assert count_tokens(long) == pytest.approx(300_000, rel=0.01)


def test_estimate_is_close_and_not_low_on_prose() -> None:
    text = "The quick brown fox jumps over the lazy dog, again and again, until evening."
    assert count_tokens(text) <= estimate_tokens(text) <= 1.5 * count_tokens(text)


def test_chunks_follow_headings_paragraphs_and_sentences() -> None:
    md = "# T\n\nOne. Two.\n\n## S\n\n" + " ".join(f"Sentence number {i}." for i in range(60))
    chunks = chunk_text(md, max_tokens=40)
    assert chunks[0].text == "# T\n\nOne. Two." and (chunks[0].first_line, chunks[0].last_line) == (
        1,
        3,
    )
    assert chunks[1].text.startswith("## S") and chunks[1].headings == ("T", "S")
    assert all(count_tokens(c.text) <= 40 + 8 for c in chunks)  # + the heading trail line
    assert chunks[2].text.startswith("T > S\n")
    joined = " ".join(c.text for c in chunks)
    assert all(f"Sentence number {i}." in joined for i in range(60))


def test_code_fences_stay_whole_and_plain_text_has_no_headings() -> None:
    md = "Intro\n\n```\n# not a heading\n\nstill code\n```\n"
    chunks = chunk_text(md, max_tokens=100)
    assert len(chunks) == 1 and "# not a heading\n\nstill code" in chunks[0].text
    plain = chunk_text("# just text\n\nmore", markdown=False)
    assert plain[0].headings == ()
    assert chunk_text("") == []
    with pytest.raises(ValueError):
        chunk_text("x", max_tokens=2)
