"""Both catalogs are complete: every key the code uses is translated in bg and en, with the
same placeholders, and no catalog carries keys the code no longer uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot.i18n import LANGUAGES, Translator, read_catalog

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "handlers", "scheduler")
KEYWORDS = {"t": None, "N_": None, "translate": (2,)}
PLACEHOLDER = re.compile(r"{(\w+)}")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for package in SOURCES:
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str) and "." in message and " " not in message:
                keys.add(message)
    return keys


def catalog(language: str) -> dict[str, str]:
    return {m.id: m.string for m in read_catalog(language) if m.id and not m.fuzzy}


def test_the_code_uses_keys():
    keys = used_keys()
    assert {"start.welcome", "menu.report", "errors.unexpected"} <= keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_is_complete(language: str):
    entries = catalog(language)
    missing = sorted(used_keys() - entries.keys())
    assert missing == [], f"{language}: untranslated keys {missing}"
    empty = sorted(k for k, v in entries.items() if not v.strip())
    assert empty == [], f"{language}: empty translations {empty}"


def test_no_unused_keys():
    unused = sorted(catalog("bg").keys() - used_keys())
    assert unused == [], f"keys no code uses: {unused}"


def test_catalogs_have_the_same_keys_and_placeholders():
    bg, en = catalog("bg"), catalog("en")
    assert bg.keys() == en.keys()
    for key in bg:
        assert set(PLACEHOLDER.findall(bg[key])) == set(PLACEHOLDER.findall(en[key])), key


def test_translator_formats_and_falls_back_to_the_default():
    t = Translator(default="bg")
    assert t.translate("en", "report.card_title", id="X", status="New") == "Report X — New"
    assert t.translate("de", "menu.help") == t.translate("bg", "menu.help")
    assert t.normalize("en-GB") == "en" and t.normalize("fr") is None and t.normalize(None) is None
