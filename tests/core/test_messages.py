from __future__ import annotations

import pytest

from bot.core.messages import Button, rows
from bot.core.text import split_text


def test_button_payload_is_at_most_64_bytes():
    Button("ok", payload="x" * 64)
    with pytest.raises(ValueError):
        Button("too long", payload="я" * 33)  # 66 bytes in UTF-8


def test_button_has_exactly_one_action():
    with pytest.raises(ValueError):
        Button("none")
    with pytest.raises(ValueError):
        Button("two", payload="a", url="https://example.org")
    assert Button("pin", request_location=True).request_location


def test_rows_groups_loose_buttons():
    a, b, c = (Button(x, payload=x) for x in "abc")
    assert rows(a, b, c, per_row=2) == ((a, b), (c,))
    assert rows((a,), b, c) == ((a,), (b,), (c,))


def test_split_prefers_paragraphs_then_sentences():
    para = "First paragraph. " * 10
    text = para.strip() + "\n\n" + "Second one."
    chunks = split_text(text, 180)
    assert chunks == [para.strip(), "Second one."]
    sentences = " ".join(f"Sentence number {i}." for i in range(50))
    chunks = split_text(sentences, 100)
    assert all(len(c) <= 100 for c in chunks)
    assert all(c.endswith(".") for c in chunks)
    assert " ".join(chunks) == sentences


def test_split_cuts_a_giant_word_hard_and_keeps_everything():
    chunks = split_text("x" * 250, 100)
    assert [len(c) for c in chunks] == [100, 100, 50]
    assert split_text("short", 100) == ["short"]
