"""gettext catalogs (Babel .po files) for bg (default) and en.

Message ids are stable keys such as "menu.report"; every key used in the code must be in both
catalogs (a test checks). Each language's catalog is the union of the .po files in its
LC_MESSAGES folder (one file per capability: messages.po, reports.po, ...), read with Babel at
start-up, so no compile step is needed.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
LANGUAGES = ("bg", "en")


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


def _load(language: str) -> gettext.GNUTranslations:
    buf = io.BytesIO()
    write_mo(buf, read_catalog(language))
    buf.seek(0)
    return gettext.GNUTranslations(buf)


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
        catalog = self._catalogs.get(language or self.default) or self._catalogs[self.default]
        text = catalog.gettext(key)
        if text == key and language != self.default:
            text = self._catalogs[self.default].gettext(key)
        return text.format(**values) if values else text
