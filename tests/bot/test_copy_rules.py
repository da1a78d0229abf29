"""The rules of the Bulgarian copy that a machine can check, over every bg catalog and the city
pack's Bulgarian texts (category and topic names, surveys):

- formal address with a capital: Вие, Ви, Вас, Ваш… — never lower case as a whole word;
- Bulgarian quotation marks „…“ only: no straight double quotes, no « », no English “…”;
- no Latin words outside an allow-list (brand names, formats, placeholders, commands, URLs,
  codes such as C-7F3K2 or SOF-2026-000123);
- the municipality speaks as "we": no "аз" and none of the bot's known first-person singular
  verbs;
- plural entries have every form filled in, and both catalogs say how to choose them.

Completeness of both catalogs (every key, non-empty, same placeholders) is in test_i18n.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, catalog_paths

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "bot" / "city" / "packs" / "sofia"

# Entries whose point is to show the other language (a newcomer's language choice, an example
# of a bilingual survey title).
BILINGUAL = {"start.choose_language", "start.welcome", "surveys.new_ask_title", "language.en"}

FORMAL = re.compile(
    r"(?<!\w)(ви|вие|вас|ваш|ваша|ваше|ваши|вашия|вашият|вашата|вашето|вашите)(?!\w)"
)

# Words the bot must not use about itself: the municipality is "we". (A button label is the
# citizen's own voice, "⌨️ Ще напиша адрес", so buttons are left out of this rule.)
FIRST_PERSON = re.compile(
    r"(?<!\w)(аз|мога|пиша|разбрах|намерих|намирам|очаквам|очаквах|успях|познавам|прекратих"
    r"|показвам|ще покажа|ми е)(?!\w)",
    re.IGNORECASE,
)
# A button's label quoted in a text ("tap “📬 News about my reports”") is the citizen's voice.
QUOTED_LABEL = re.compile(r"“[^”]*”")
FIRST_PERSON_EN = re.compile(r"(?<![\w'./])(I|I'm|I'll|me|my)(?![\w'])")

# Latin words that may stand in Bulgarian text: brand names, formats and the words of commands
# a person types (e.g. /grant staff, /survey 3 publish, citizenbot surveys export).
ALLOWED_LATIN = {
    "telegram",
    "viber",
    "open311",
    "csv",
    "geojson",
    "json",
    "jpeg",
    "png",
    "admins",
    "staff",
    "admin",
    "publish",
    "close",
    "invite",
    "results",
    "export",
    "citizenbot",
    "surveys",
    "load",
    "ctrl",  # the key in "Ctrl-D"
    "d",
}

# Spans that are code, not words: placeholders, URLs, commands, citizen and report codes,
# file names and identifiers with an underscore.
CODE = re.compile(
    r"\{\w+\}"
    r"|https?://\S+"
    r"|(?<!\w)/[a-z]\w*"
    r"|\b[A-Z]{1,4}-[0-9A-Z…]*[-0-9A-Z…]*"
    r"|\S*\.(?:csv|json|geojson)\b"
    r"|\S*_\S*"
)
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def bg_entries() -> Iterator[tuple[str, str, str]]:
    """(where, key, text) for every Bulgarian text: catalog entries and the pack's texts."""
    for path in catalog_paths("bg"):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale="bg")
        for message in catalog:
            if not message.id:
                continue
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                yield path.name, key, text
    for name in ("categories.json", "topics.json", "note_templates.json"):
        for item in json.loads((PACK / name).read_text(encoding="utf-8")):
            for field in ("names", "short", "descriptions", "group", "title", "texts"):
                if field in item:
                    yield name, f"{item['code']}.{field}", item[field]["bg"]
    for path in sorted((PACK / "surveys").glob("*.yaml")):
        yield from (
            (path.name, where, text) for where, text in _bg_in(yaml.safe_load(path.read_text()))
        )


def _bg_in(node: object, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "bg" and isinstance(value, str):
                yield where, value
            else:
                yield from _bg_in(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _bg_in(value, f"{where}[{i}]")


ENTRIES = list(bg_entries())


def _offences(check) -> list[str]:
    return [
        f"{where} {key}: {found!r}" for where, key, text in ENTRIES if (found := check(key, text))
    ]


def test_the_checks_see_the_catalogs_and_the_pack():
    places = {where for where, _, _ in ENTRIES}
    assert {
        "messages.po",
        "reports.po",
        "surveys.po",
        "categories.json",
        "topics.json",
        "note_templates.json",
    } <= places
    assert any(where.endswith(".yaml") for where in places)


def test_formal_address_has_a_capital():
    assert FORMAL.search("Ще ви пишем") and FORMAL.search("данните ви.")
    assert not FORMAL.search("Ще Ви пишем, вижте вида и вашингтон")
    assert _offences(lambda key, text: FORMAL.findall(text)) == []


def test_bulgarian_quotation_marks():
    def bad(key: str, text: str) -> list[str]:
        found = re.findall(r"[\"«»”]", text)
        # „ opens and “ closes, in turn
        depth = 0
        for mark in re.findall(r"[„“]", text):
            depth += 1 if mark == "„" else -1
            if depth not in (0, 1):
                found.append("unbalanced „…“")
                break
        if depth:
            found.append("unbalanced „…“")
        return found

    assert _offences(bad) == []


def test_no_english_words():
    def latin(key: str, text: str) -> list[str]:
        if key in BILINGUAL:
            return []
        words = LATIN.findall(CODE.sub(" ", text))
        return [w for w in words if w.lower() not in ALLOWED_LATIN]

    assert latin("x", "Напишете /report или вижте https://example.org/a?b=1 и C-7F3K2") == []
    assert latin("x", "⌨️ Cron израз") == ["Cron"]
    assert _offences(latin) == []


def _is_button(key: str) -> bool:
    return ".btn_" in key


def test_the_municipality_speaks_as_we():
    assert FIRST_PERSON.search("Не разбрах.") and FIRST_PERSON.search("Аз съм ботът")
    assert not FIRST_PERSON.search("Не разбрахме. Можете да пишете.")
    found = _offences(lambda key, text: not _is_button(key) and FIRST_PERSON.findall(text))
    assert found == []


def test_the_english_speaks_as_we_too():
    offences = []
    for path in catalog_paths("en"):
        with path.open("rb") as fh:
            for message in read_po(fh, locale="en"):
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if key and not _is_button(key):
                    offences += [
                        f"{key}: {s}"
                        for s in strings
                        if FIRST_PERSON_EN.search(QUOTED_LABEL.sub("", s))
                    ]
    assert offences == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_entries_are_complete(language: str):
    for path in catalog_paths(language):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
        assert catalog.num_plurals == 2, path
        assert "nplurals=2; plural=(n != 1);" in (catalog.plural_forms or ""), path
        for message in catalog:
            if message.pluralizable:
                assert len(message.string) == 2 and all(s.strip() for s in message.string), (
                    f"{path.name}: {message.id[0]}"
                )
