"""Text helpers shared by the channels."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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


def label_key(label: str) -> str:
    """A button label as someone might type it: without emoji and other symbols, in any
    case, spaces collapsed ("📍 Report a problem" → "report a problem"). Empty when the label
    is nothing but symbols (◀️)."""
    kept = "".join(
        ch
        for ch in unicodedata.normalize("NFC", label)
        if unicodedata.category(ch)[0] not in _SYMBOL_CATEGORIES
    )
    return " ".join(kept.split()).casefold()


def match_label(text: str, labels: Iterable[str]) -> str | None:
    """The one label `text` names: exactly, or else by label_key; None when none or several
    do (a keyboard may show "◀️" and "▶️", which have the same empty key)."""
    pool = list(labels)
    if text in pool:
        return text
    key = label_key(text)
    if not key:
        return None
    found = {label for label in pool if label_key(label) == key}
    return found.pop() if len(found) == 1 else None


# Symbols (emoji are So), marks (variation selectors, the keycap's enclosing mark) and format
# characters (zero-width joiners) are dropped; letters, digits and punctuation stay.
_SYMBOL_CATEGORIES = frozenset("SMC")
