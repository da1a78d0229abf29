"""The queue's filter, read from the URL (so a filtered queue is a bookmark) and shared by
the queue, the map, the CSV export and the bulk form.

Statuses (any number; "open" and "closed" stand for their groups), a category, a district,
free text, hidden or not, a sort and a page. A capability adds a filter by appending a
`Filter` to FILTERS: its URL parameter, label, options and the SQL condition on Report a
value stands for; the form, the links and every view of the queue then carry it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from multidict import MultiMapping

from bot.city import CityPack
from bot.i18n import N_
from storage.models import CLOSED_STATUSES, OPEN_STATUSES, ReportStatus
from storage.repos.queue import SORTS, QueueQuery

TEXT_MAX = 100
GROUPS = {
    "open": tuple(s.value for s in ReportStatus if s in OPEN_STATUSES),
    "closed": tuple(s.value for s in ReportStatus if s in CLOSED_STATUSES),
}
SORT_KEYS = {
    "newest": N_("console.sort_newest"),
    "oldest": N_("console.sort_oldest"),
    "updated": N_("console.sort_updated"),
}
HIDDEN_KEYS = {
    "any": N_("console.hidden_any"),
    "visible": N_("console.hidden_visible"),
    "hidden": N_("console.hidden_only"),
}


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Filter:
    """One more filter of the queue, plugged in by a capability."""

    name: str  # its URL parameter
    label_key: str
    # (city, the reader's language) → the values to choose from, with their labels
    options: Callable[[CityPack, str], list[Option]]
    # a chosen value and who is looking → the SQL condition on Report, None when not valid
    condition: Callable[[str, Viewer], Any | None]
    translate: bool = False  # the options' labels are catalog keys


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at the queue, and when: for filters such as "assigned to me" and "overdue"."""

    citizen_id: int | None
    now: datetime


FILTERS: list[Filter] = []


@dataclass(frozen=True, slots=True)
class QueueFilter:
    query: QueueQuery
    page: int = 0
    # The parameters as given (valid ones only), for the form and for links.
    params: dict[str, list[str]] = field(default_factory=dict)

    def first(self, name: str) -> str:
        return (self.params.get(name) or [""])[0]

    def has(self, name: str, value: str) -> bool:
        return value in self.params.get(name, [])

    def url(self, path: str, **changes: str | list[str] | None) -> str:
        """`path` with this filter, some parameters changed (None drops one)."""
        params: dict[str, list[str]] = {k: list(v) for k, v in self.params.items()}
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = [value] if isinstance(value, str) else list(value)
        pairs = [(k, v) for k, values in params.items() for v in values if v != ""]
        return f"{path}?{urlencode(pairs)}" if pairs else path

    def without_page(self) -> QueueFilter:
        params = {k: v for k, v in self.params.items() if k != "page"}
        return QueueFilter(self.query, 0, params)


def parse(values: MultiMapping[str], city: CityPack, viewer: Viewer) -> QueueFilter:
    """The filter in a query string; what is not valid is left out, never an error."""
    params: dict[str, list[str]] = {}
    statuses: list[str] = []
    for word in values.getall("status", []):
        if word in GROUPS or word in ReportStatus.__members__.values():
            for status in GROUPS.get(word, (word,)):
                if status not in statuses:
                    statuses.append(status)
            params.setdefault("status", []).append(word)
    category = values.get("category") or None
    if category and city.category(category) is None:
        category = None
    district = values.get("district") or None
    if district and city.district(district) is None:
        district = None
    text = " ".join((values.get("q") or "").split())[:TEXT_MAX] or None
    hidden = values.get("hidden") or "any"
    if hidden not in HIDDEN_KEYS:
        hidden = "any"
    sort = values.get("sort") or "newest"
    if sort not in SORTS:
        sort = "newest"
    extra = []
    for plugged in FILTERS:
        value = values.get(plugged.name) or ""
        condition = plugged.condition(value, viewer) if value else None
        if condition is not None:
            extra.append(condition)
            params[plugged.name] = [value]
    try:
        page = max(0, min(int(values.get("page") or 1), 1_000_000) - 1)
    except ValueError:
        page = 0
    for name, value in (
        ("category", category),
        ("district", district),
        ("q", text),
        ("hidden", hidden if hidden != "any" else None),
        ("sort", sort if sort != "newest" else None),
        ("page", str(page + 1) if page else None),
    ):
        if value:
            params[name] = [value]
    query = QueueQuery(
        statuses=tuple(statuses),
        category=category,
        district=district,
        text=text,
        hidden=hidden,  # type: ignore[arg-type]
        sort=sort,  # type: ignore[arg-type]
        extra=tuple(extra),
    )
    return QueueFilter(query, page, params)
