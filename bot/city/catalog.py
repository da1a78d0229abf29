"""What citizens choose from: report categories (categories.json) and alert topics
(topics.json). Both are ordered lists of entries with a stable code and texts in every
language; see packs/sofia/README.md for the file formats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.city._parse import (
    as_bool,
    as_code,
    as_int,
    as_keywords,
    as_list,
    as_object,
    as_text,
    as_texts,
    check_unique,
    localized,
    optional,
    problems_in,
    read_json,
)
from bot.i18n import without_icon

SHORT_MAX = 30
"""Longest button label (`short`, emoji included), in characters."""


@dataclass(frozen=True)
class Category:
    """A kind of report; `code` is the Open311 service_code and never changes."""

    code: str
    callsofia_id: int | None
    names: Mapping[str, str] = field(compare=False)
    short: Mapping[str, str] = field(compare=False)
    descriptions: Mapping[str, str] = field(compare=False)
    group: Mapping[str, str] = field(compare=False)
    keywords: Mapping[str, tuple[str, ...]] = field(compare=False)
    agency: Mapping[str, str] = field(compare=False)

    def name(self, language: str | None) -> str:
        return localized(self.names, language)

    def short_name(self, language: str | None) -> str:
        """The button label: an emoji and a few words, at most SHORT_MAX characters."""
        return localized(self.short, language)

    def label(self, language: str | None) -> str:
        """The name a citizen and staff read in the bot: the button's words without its emoji,
        so the summary, the card and the lists say what the button said. (`name` is the
        official name, for Open311 and the open data.)"""
        return without_icon(self.short_name(language))

    def description(self, language: str | None) -> str:
        return localized(self.descriptions, language)

    def group_name(self, language: str | None) -> str:
        return localized(self.group, language)

    def agency_name(self, language: str | None) -> str:
        return localized(self.agency, language)


@dataclass(frozen=True)
class Topic:
    """Something citizens can subscribe to alerts about."""

    code: str
    emoji: str
    names: Mapping[str, str] = field(compare=False)
    descriptions: Mapping[str, str] = field(compare=False)
    urgent_by_default: bool = False

    def name(self, language: str | None) -> str:
        return localized(self.names, language)

    def short_name(self, language: str | None) -> str:
        """The button label: emoji and name."""
        return f"{self.emoji} {self.name(language)}"

    def description(self, language: str | None) -> str:
        return localized(self.descriptions, language)


_CATEGORY_KEYS = {"code", "names", "short", "descriptions", "group", "keywords", "agency"}


def load_categories(path: Path) -> tuple[Category, ...]:
    raw = read_json(path)
    with problems_in(path):
        categories = tuple(
            _category(item, i) for i, item in enumerate(as_list(raw, "the categories"), 1)
        )
        check_unique([c.code for c in categories], "category code")
        ids = [str(c.callsofia_id) for c in categories if c.callsofia_id is not None]
        check_unique(ids, "callsofia_id")
    return categories


def _category(value: Any, number: int) -> Category:
    keys = _CATEGORY_KEYS | {"callsofia_id"}
    raw = as_object(value, f"category #{number}", keys=keys, required=_CATEGORY_KEYS)
    code = as_code(raw["code"], f"category #{number}")
    where = f"category {code!r}"
    return Category(
        code=code,
        callsofia_id=optional(raw.get("callsofia_id"), as_int, f"{where} callsofia_id"),
        names=as_texts(raw["names"], f"{where} names"),
        short=as_texts(raw["short"], f"{where} short", max_len=SHORT_MAX),
        descriptions=as_texts(raw["descriptions"], f"{where} descriptions"),
        group=as_texts(raw["group"], f"{where} group"),
        keywords=as_keywords(raw["keywords"], f"{where} keywords"),
        agency=as_texts(raw["agency"], f"{where} agency"),
    )


_TOPIC_KEYS = {"code", "emoji", "names", "descriptions", "urgent_by_default"}


def load_topics(path: Path) -> tuple[Topic, ...]:
    raw = read_json(path)
    with problems_in(path):
        topics = tuple(_topic(item, i) for i, item in enumerate(as_list(raw, "the topics"), 1))
        check_unique([t.code for t in topics], "topic code")
    return topics


def _topic(value: Any, number: int) -> Topic:
    raw = as_object(
        value, f"topic #{number}", keys=_TOPIC_KEYS, required=_TOPIC_KEYS - {"urgent_by_default"}
    )
    code = as_code(raw["code"], f"topic #{number}")
    where = f"topic {code!r}"
    return Topic(
        code=code,
        emoji=as_text(raw["emoji"], f"{where} emoji", max_len=4),
        names=as_texts(raw["names"], f"{where} names"),
        descriptions=as_texts(raw["descriptions"], f"{where} descriptions"),
        urgent_by_default=as_bool(raw.get("urgent_by_default", False), f"{where} urgent"),
    )
