"""Which body handles a report, and by when: decided once, when the report is filed, whatever
the interface (chat, Open311), by `bot.domain.reports.file`.

The category says who (categories.json `body`): a body's code, or "district", the district
administration of the report's district; a report without a district (no location, an API
client that sent none, a point outside every district) goes to the pack's `fallback` body
(bodies.json). The category also says how long (its `deadlines`), counted in the city's
working time (bot/domain/deadlines.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.city import DISTRICT_BODY, Body, Category, CityPack
from bot.domain.deadlines import due

DEFAULT_DEADLINES = (8, 20)  # an unknown category (a retired one): a working day, 20 days


@dataclass(frozen=True, slots=True)
class Route:
    body: Body
    acknowledge_by: datetime
    resolve_by: datetime


def body_for(city: CityPack, category: Category | None, district: str | None) -> Body:
    """The body responsible for a report of `category` in `district`."""
    code = category.body if category is not None else DISTRICT_BODY
    if code == DISTRICT_BODY:
        body = city.bodies.district_administration(district)
    else:
        body = city.body(code)
    if body is None:
        body = city.body(city.bodies.fallback)
    if body is None:  # a pack is checked at load: only a CityPack built by hand lacks bodies
        raise LookupError(f"city pack {city.code!r} has no body for {code!r}")
    return body


def route(city: CityPack, category_code: str, district: str | None, filed_at: datetime) -> Route:
    """The body and the deadlines of a report filed at `filed_at`."""
    category = city.category(category_code)
    if category is not None:
        hours, days = category.deadlines.acknowledge_hours, category.deadlines.resolve_days
    else:
        hours, days = DEFAULT_DEADLINES
    when = due(
        filed_at,
        acknowledge_hours=hours,
        resolve_days=days,
        working=city.working_time,
        tz=city.timezone,
    )
    return Route(body_for(city, category, district), when.acknowledge_by, when.resolve_by)
