"""What citizens choose from: report categories (categories.json) and alert topics
(topics.json); and what staff choose from: the public notes' templates of a status change
(note_templates.json, optional). All are ordered lists of entries with a stable code and texts
in every language; see packs/sofia/README.md for the file formats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, TypeAdapter

from bot.city._parse import (
    Code,
    Flag,
    Keywords,
    Model,
    Text,
    Texts,
    Whole,
    load,
    problem,
    texts,
    unique,
)
from bot.i18n import localized, shorten, without_icon

SHORT_MAX = 30
"""Longest button label (`short`, emoji included), in characters."""
NOTE_TEMPLATE_MAX = 1000
"""Longest note template: a public note's limit (bot/domain/reports.py NOTE_MAX)."""


DISTRICT_BODY = "district"
"""A category's `body` when the district administration of the report's district handles it."""


@dataclass(frozen=True)
class Deadlines:
    """How long the responsible body has, in working time (bot/domain/deadlines.py): to
    acknowledge a report (working hours) and to resolve it (working days)."""

    acknowledge_hours: int = 8
    resolve_days: int = 20


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
    body: str = DISTRICT_BODY
    """Who handles it: DISTRICT_BODY (the district administration of the report's district)
    or a body's code (bodies.json); bot/domain/routing.py decides."""
    deadlines: Deadlines = field(default_factory=lambda: Deadlines(), compare=False)

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


class _Deadlines(Model):
    acknowledge_hours: Annotated[Whole, Field(ge=1, le=24 * 30)]
    resolve_days: Annotated[Whole, Field(ge=1, le=365)]


class _Category(Model):
    code: Code
    callsofia_id: Annotated[Whole, Field(ge=0)] | None = None
    names: Texts
    short: texts(max_len=SHORT_MAX)  # type: ignore[valid-type]
    descriptions: Texts
    group: Texts
    keywords: Keywords
    body: Code = DISTRICT_BODY
    deadlines: _Deadlines


class _Topic(Model):
    code: Code
    emoji: Annotated[Text, Field(max_length=4)]
    names: Texts
    descriptions: Texts
    urgent_by_default: Flag = False


NOTE_STATUSES = ("acknowledged", "in_progress", "resolved", "rejected", "duplicate")
"""The statuses staff may give a report (storage.models.ReportStatus but "new"), which a note
template may name: the pack is read without the database's models."""


@dataclass(frozen=True)
class NoteTemplate:
    """A public note staff may give with a status change; each reader gets it in their
    language (bot/domain/report_news.py `public_note`). `statuses`: the changes it suits
    (empty: any); `titles`: its button's words in the chat (optional: else the text's start)."""

    code: str
    texts: Mapping[str, str] = field(compare=False)
    statuses: tuple[str, ...] = field(default=(), compare=False)
    titles: Mapping[str, str] = field(default_factory=dict, compare=False)

    def text(self, language: str | None) -> str:
        return localized(self.texts, language)

    def title(self, language: str | None) -> str:
        """A few words for a button: the `title`, else the text cut to SHORT_MAX."""
        if self.titles:
            return localized(self.titles, language)
        text = " ".join(self.text(language).split())
        return shorten(text, SHORT_MAX)

    def suits(self, status: str) -> bool:
        """Whether staff are offered it when giving a report `status` (a ReportStatus value)."""
        return not self.statuses or status in self.statuses


def _statuses(value: Any) -> Any:
    if not isinstance(value, list):
        return value  # pydantic says "must be a list"
    if not value:
        raise ValueError("must not be empty (leave it out for every status)")
    for status in value:
        if status not in NOTE_STATUSES:
            raise ValueError(f"unknown status {status!r} (one of: {', '.join(NOTE_STATUSES)})")
    if len(set(value)) != len(value):
        raise ValueError("names a status twice")
    return value


class _NoteTemplate(Model):
    code: Code
    title: texts(max_len=SHORT_MAX) | None = None  # type: ignore[valid-type]
    texts: texts(max_len=NOTE_TEMPLATE_MAX)  # type: ignore[valid-type]
    statuses: Annotated[tuple[str, ...], BeforeValidator(_statuses)] = ()


_CATEGORIES = TypeAdapter(Annotated[list[_Category], Field(min_length=1)])
_TOPICS = TypeAdapter(Annotated[list[_Topic], Field(min_length=1)])
_NOTE_TEMPLATES = TypeAdapter(list[_NoteTemplate])
NOTE_TEMPLATES_FILE = "note_templates.json"


def load_categories(path: Path) -> tuple[Category, ...]:
    """categories.json (its `body` codes are checked with bodies.json: `check_bodies`)."""
    found = load(_CATEGORIES, path)
    unique(path, [c.code for c in found], lambda i: (i, "code"), "category code")
    ids = [
        str(c.callsofia_id) if c.callsofia_id is not None else f"#{i}" for i, c in enumerate(found)
    ]
    unique(path, ids, lambda i: (i, "callsofia_id"), "callsofia_id")
    return tuple(
        Category(
            code=c.code,
            callsofia_id=c.callsofia_id,
            names=c.names,
            short=c.short,
            descriptions=c.descriptions,
            group=c.group,
            keywords=c.keywords,
            body=c.body,
            deadlines=Deadlines(c.deadlines.acknowledge_hours, c.deadlines.resolve_days),
        )
        for c in found
    )


def load_topics(path: Path) -> tuple[Topic, ...]:
    found = load(_TOPICS, path)
    unique(path, [t.code for t in found], lambda i: (i, "code"), "topic code")
    return tuple(
        Topic(
            code=t.code,
            emoji=t.emoji,
            names=t.names,
            descriptions=t.descriptions,
            urgent_by_default=t.urgent_by_default,
        )
        for t in found
    )


def load_note_templates(path: Path) -> tuple[NoteTemplate, ...]:
    """note_templates.json, if the pack has one."""
    if not path.is_file():
        return ()
    found = load(_NOTE_TEMPLATES, path)
    unique(path, [t.code for t in found], lambda i: (i, "code"), "template code")
    return tuple(
        NoteTemplate(t.code, t.texts, statuses=t.statuses, titles=t.title or {}) for t in found
    )


def check_bodies(path: Path, categories: tuple[Category, ...], bodies: set[str]) -> None:
    """Every category's `body` is DISTRICT_BODY or a body of bodies.json."""
    for i, c in enumerate(categories):
        if c.body != DISTRICT_BODY and c.body not in bodies:
            problem(path, (i, "body"), f"unknown body {c.body!r} (not in bodies.json)")
