"""gettext catalogs (Babel .po files) for bg (default) and en.

Message ids are stable keys such as "menu.report"; every key used in the code must be in both
catalogs (a test checks). Each language's catalog is the union of the .po files in its
LC_MESSAGES folder (one file per capability: messages.po, reports.po, ...), read with Babel at
start-up, so no compile step is needed.

A text that shows a count is a plural entry (msgid_plural, one form per the catalog's
Plural-Forms) and is asked for with `translate_n`, so that Bulgarian and English agree with the
number ("1 съобщение", "2 съобщения"). Numbers, dates and times are formatted by Babel in the
reader's locale (`format_number`, `format_when`): decimal comma in Bulgarian, British English.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Literal

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("bg", "en")
"""The bot's languages: a catalog each, and every text of a city pack in each."""
DEFAULT_LANGUAGE = "bg"
"""The fallback for a reader whose language has no text (and the city's own language)."""


def localized(texts: Mapping[str, str], language: str | None) -> str:
    """The text of `texts` ({"bg": ..., "en": ...}) for a reader of `language`: their language
    ("en", "en-GB" and "en_GB" all find "en"), else Bulgarian (DEFAULT_LANGUAGE), else the
    first text given. The one fallback of every text by language (city packs, surveys)."""
    if language:
        if text := texts.get(language):
            return text
        base = language.replace("_", "-").split("-", 1)[0].lower()
        if text := texts.get(base):
            return text
    return texts.get(DEFAULT_LANGUAGE) or next(iter(texts.values()))


def N_(key: str) -> str:
    """Marks a key for extraction where it is translated later."""
    return key


def catalog_paths(language: str) -> list[Path]:
    return sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po"))


def read_catalog(language: str) -> Catalog:
    """All of a language's .po files as one catalog; a key defined twice is an error."""
    merged = Catalog(locale=language, domain=DOMAIN)
    for path in catalog_paths(language):
        with path.open("rb") as fh:
            part = read_po(fh, locale=language)
        for message in part:
            if not message.id:
                continue
            if message.id in merged:
                raise ValueError(f"{path}: key {message.id!r} is defined twice")
            merged[message.id] = message
    return merged


class _Texts:
    """One language's texts: plain entries, plural entries and the rule choosing a form."""

    def __init__(self, catalog: Catalog) -> None:
        self.plain: dict[str, str] = {}
        self.plural: dict[str, tuple[str, ...]] = {}
        self.form: Callable[[int], int] = gettext.c2py(catalog.plural_expr)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple):
                strings = tuple(message.string)
                if all(strings):
                    self.plural[message.id[0]] = strings
            elif message.string:
                self.plain[message.id] = message.string

    def get(self, key: str, n: int | None) -> str | None:
        forms = self.plural.get(key)
        if forms is not None:
            index = self.form(n) if n is not None else len(forms) - 1
            return forms[min(index, len(forms) - 1)]
        return self.plain.get(key)


@functools.cache
def _load(language: str) -> _Texts:
    """Read once per process: the catalogs ship with the code and never change while it runs
    (parsing them takes ~0.15 s a language, which every Translator would pay again)."""
    return _Texts(read_catalog(language))


# How dates and times read in each language: Bulgarian as public bodies write them (28.11.2026),
# English in the British order (28 Nov 2026).
DATE_PATTERNS: dict[str, dict[str, str]] = {
    "bg": {
        "datetime": "dd.MM.yyyy HH:mm",
        "date": "dd.MM.yyyy",
        "day_time": "dd.MM HH:mm",
        "day": "dd.MM",
        "time": "HH:mm",
    },
    "en": {
        "datetime": "d MMM yyyy, HH:mm",
        "date": "d MMM yyyy",
        "day_time": "d MMM, HH:mm",
        "day": "d MMM",
        "time": "HH:mm",
    },
}
DateStyle = Literal["datetime", "date", "day_time", "day", "time"]


def format_when(
    when: datetime | date, language: str, tz: tzinfo | None = None, style: DateStyle = "datetime"
) -> str:
    """A moment (in the city's zone `tz`) or a calendar day, as the reader's language writes it."""
    # Babel's dates and numbers (and their locale data) load with the first use (idle RSS).
    from babel.dates import format_date, format_datetime

    locale = language if language in DATE_PATTERNS else "bg"
    pattern = DATE_PATTERNS[locale][style]
    if isinstance(when, datetime):
        local = when.astimezone(tz) if tz is not None else when
        return format_datetime(local, pattern, tzinfo=local.tzinfo, locale=locale)
    return format_date(when, pattern, locale=locale)


def without_icon(label: str) -> str:
    """A button label's words without its leading emoji: "🔘 Един избор" → "Един избор"."""
    first, _, rest = label.partition(" ")
    return rest if rest and not any(ch.isalnum() for ch in first) else label


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_number(value: float, language: str, digits: int = 0, *, fixed: bool = False) -> str:
    """A number in the reader's locale: 3,5 in Bulgarian, 3.5 in English, with at most
    `digits` decimals (exactly `digits` when `fixed`: 3,50)."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + ("0" if fixed else "#") * digits if digits else "")
    return format_decimal(value, format=pattern, locale=language)


class Translator:
    def __init__(self, languages: Iterable[str] = LANGUAGES, default: str = "bg") -> None:
        self.default = default
        self._catalogs = {lang: _load(lang) for lang in languages}
        if default not in self._catalogs:
            raise ValueError(f"no catalog for the default language {default!r}")

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._catalogs)

    def normalize(self, language: str | None) -> str | None:
        """'en-GB' → 'en'; None when we have no catalog for it."""
        if not language:
            return None
        code = language.replace("_", "-").split("-", 1)[0].lower()
        return code if code in self._catalogs else None

    def translate(self, language: str | None, key: str, /, **values: object) -> str:
        return self._text(language, key, None, values)

    def translate_n(self, language: str | None, key: str, n: int, /, **values: object) -> str:
        """The form of a plural entry that agrees with the count `n`."""
        return self._text(language, key, n, values)

    def _text(
        self, language: str | None, key: str, n: int | None, values: dict[str, object]
    ) -> str:
        texts = self._catalogs.get(language or self.default) or self._catalogs[self.default]
        text = texts.get(key, n)
        if text is None:
            text = self._catalogs[self.default].get(key, n) or key
        return text.format(**values) if values else text
