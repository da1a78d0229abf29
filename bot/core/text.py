"""Text helpers shared by the channels."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def split_text(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most `limit` characters.

    Prefers paragraph breaks, then line breaks, then sentence ends, then spaces; cuts hard only
    when a single word is longer than the limit.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def _best_cut(text: str, limit: int) -> int:
    window = text[: limit + 1]
    for sep in ("\n\n", "\n"):
        pos = window.rfind(sep)
        if pos > limit // 4:
            return pos
    ends = [m.start() for m in _SENTENCE_END.finditer(window)]
    ends = [e for e in ends if limit // 4 < e <= limit]
    if ends:
        return ends[-1]
    pos = window.rfind(" ")
    if pos > 0:
        return pos
    return limit
