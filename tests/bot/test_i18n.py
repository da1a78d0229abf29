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
KEYWORDS = {
    "t": None,
    "tn": None,
    "N_": None,
    "translate": (2,),
    "translate_n": (2,),
    "Refused": (2,),  # bot/domain/errors.py: Refused(code, key, **values)
}
PLACEHOLDER = re.compile(r"{(\w+)}")
# The staff console's Jinja2 templates ask for their texts with t("key") and tn("key", n).
TEMPLATES = ROOT / "bot" / "web" / "console" / "templates"
TEMPLATE_KEY = re.compile(r"\btn?\(\s*[\"']([\w.]+)[\"']")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for package in SOURCES:
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, str) and "." in message and " " not in message:
                keys.add(message)
    for template in TEMPLATES.rglob("*.html"):
        keys.update(TEMPLATE_KEY.findall(template.read_text(encoding="utf-8")))
    return keys


def catalog(language: str) -> dict[str, str]:
    """Key → text; the forms of a plural entry are joined, so each must be filled in and
    together carry the placeholders."""
    entries: dict[str, str] = {}
    for m in read_catalog(language):
        if not m.id or m.fuzzy:
            continue
        if isinstance(m.id, tuple):
            forms = tuple(m.string)
            entries[m.id[0]] = "\n".join(forms) if all(f.strip() for f in forms) else ""
        else:
            entries[m.id] = m.string
    return entries


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


def test_plural_entries_agree_with_the_count():
    t = Translator(default="bg")
    assert t.translate_n("bg", "surveys.n_messages", 1, n=1) == "1 съобщение"
    assert t.translate_n("bg", "surveys.n_messages", 21, n=21) == "21 съобщения"
    assert t.translate_n("en", "surveys.n_citizens", 1, n=1) == "1 citizen"
    assert t.translate_n("en", "surveys.n_citizens", 0, n=0) == "0 citizens"
    # Asked for without a count, a plural entry gives its "many" form, never its key.
    assert t.translate("bg", "staff.age_days", n=3) == "3 дни"


def test_numbers_and_dates_follow_the_reader():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.i18n import format_number, format_when

    assert format_number(3.5, "bg", 2) == "3,5" and format_number(3.5, "en", 2) == "3.5"
    assert format_number(4.25, "bg", 2) == "4,25" and format_number(12, "bg") == "12"
    assert format_number(3.5, "bg", 2, fixed=True) == "3,50"
    moment = datetime(2026, 11, 28, 16, 30, tzinfo=UTC)
    sofia = ZoneInfo("Europe/Sofia")
    assert format_when(moment, "bg", sofia) == "28.11.2026 18:30"
    assert format_when(moment, "en", sofia) == "28 Nov 2026, 18:30"
    assert format_when(moment, "bg", sofia, "date") == "28.11.2026"
    assert format_when(moment, "en", sofia, "day_time") == "28 Nov, 18:30"
