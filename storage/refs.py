"""Citizens' public references (`C-7F3K2`): what staff see instead of names or phone numbers.

A reference is the citizen's id put through a fixed permutation of the 5-character space
(7 characters past 33 million citizens) and written in Crockford's base 32, so it needs no
column, never collides, is easy to read aloud, and does not reveal how many citizens there are
or who joined after whom.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_VALUES.update({"O": 0, "I": 1, "L": 1})
_MULTIPLIER = 0x1C8E_F35  # odd, so invertible modulo any power of two
_OFFSET = 0x0B5_D3A7
PREFIX = "C-"
_WIDTHS = (5, 7)


def public_ref(citizen_id: int) -> str:
    for width in _WIDTHS:
        space = 32**width
        if citizen_id < space:
            return PREFIX + _encode((citizen_id * _MULTIPLIER + _OFFSET) % space, width)
    raise ValueError("citizen id out of range")


def parse_ref(text: str) -> int | None:
    """The citizen id behind a reference typed by a person (case, dashes and the
    look-alikes O/0, I/L/1 forgiven); None when it is not one."""
    raw = text.strip().upper().replace(" ", "")
    if raw.startswith(PREFIX):
        raw = raw[len(PREFIX) :]
    elif raw.startswith("C") and len(raw) - 1 in _WIDTHS:
        raw = raw[1:]
    raw = raw.replace("-", "")
    if len(raw) not in _WIDTHS or any(c not in _VALUES for c in raw):
        return None
    width = len(raw)
    space = 32**width
    value = 0
    for c in raw:
        value = value * 32 + _VALUES[c]
    citizen_id = ((value - _OFFSET) * pow(_MULTIPLIER, -1, space)) % space
    narrower = 32 ** _WIDTHS[0] if width != _WIDTHS[0] else 0
    if citizen_id < narrower:
        return None  # a 7-character form of a 5-character reference is not canonical
    return citizen_id


def _encode(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))
