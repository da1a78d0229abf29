"""Reading what Open311 clients send: the filters of GET requests and the form of POST
requests. Every problem is an ApiError with a description a client developer can act on."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from storage.models import OPEN_STATUSES, ReportStatus

MAX_RESULTS = 1000
"""The spec's cap on one response, and on the ids one query may name."""
WINDOW = timedelta(days=90)
"""The default range of GET requests, and the longest range one query may span."""
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 300

OPEN = tuple(s.value for s in ReportStatus if s in OPEN_STATUSES)
CLOSED = tuple(s.value for s in ReportStatus if s not in OPEN_STATUSES)


class ApiError(Exception):
    """An answer in the spec's error format with this HTTP status."""

    def __init__(
        self, status: int, description: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = dict(headers or {})


class Query(Protocol):
    def getall(self, key: str, default: list[str]) -> list[str]: ...


# -- GET requests ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestFilter:
    """Arguments of storage.repos.reports.public_reports."""

    public_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "public_ids": list(self.public_ids) or None,
            "categories": list(self.categories) or None,
            "statuses": list(self.statuses) or None,
            "since": self.since,
            "until": self.until,
        }


def _listed(query: Query, name: str) -> tuple[str, ...]:
    """A parameter given as a comma list, or several times, or both."""
    items = (item.strip() for value in query.getall(name, []) for item in value.split(","))
    return tuple(dict.fromkeys(identifier(name, item) for item in items if item))


def request_filter(query: Query, *, tz: ZoneInfo, now: datetime) -> RequestFilter:
    """The filters of GET requests. service_request_id overrides all others (the spec);
    otherwise the range defaults to the last 90 days and may span at most 90 days."""
    ids = tuple(i.upper() for i in _listed(query, "service_request_id"))
    if len(ids) > MAX_RESULTS:
        raise ApiError(400, f"at most {MAX_RESULTS} service_request_id values per query")
    if ids:
        return RequestFilter(public_ids=ids)
    since, until = _date_range(query, tz=tz, now=now)
    return RequestFilter(
        categories=_listed(query, "service_code"),
        statuses=_statuses(_listed(query, "status")),
        since=since,
        until=until,
    )


def _statuses(values: tuple[str, ...]) -> tuple[str, ...]:
    wanted = {v.lower() for v in values}
    if unknown := sorted(wanted - {"open", "closed"}):
        raise ApiError(400, f"status must be open or closed (comma separated), not {unknown[0]!r}")
    if wanted == {"open"}:
        return OPEN
    if wanted == {"closed"}:
        return CLOSED
    return ()


def _date_range(query: Query, *, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime | None]:
    start = _single(query, "start_date")
    end = _single(query, "end_date")
    since = parse_datetime("start_date", start, tz) if start else None
    until = parse_datetime("end_date", end, tz, end_of_day=True) if end else None
    if since is None and until is None:
        return now - WINDOW, None
    if since is None:
        assert until is not None
        return until - WINDOW, until
    if until is None:
        return since, since + WINDOW
    if until < since:
        raise ApiError(400, "end_date is before start_date")
    if until - since > WINDOW:
        raise ApiError(
            400,
            "start_date and end_date may not span more than 90 days "
            "(the open data export at /opendata/reports.csv has every report)",
        )
    return since, until


def _single(query: Query, name: str) -> str:
    values = query.getall(name, [])
    if len(values) > 1:
        raise ApiError(400, f"{name} may be given once")
    return values[0].strip() if values else ""


_TICK = timedelta(microseconds=1)
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# "+02:00" sent unescaped in a query string arrives as " 02:00".
_LOST_PLUS = re.compile(r"(T[\d:.]+) (\d{2}(?::?\d{2})?)$")
FIRST_YEAR, LAST_YEAR = 2000, 2099
"""The years a date parameter may name: the city's reports all fall in them, and the range
sums (a date plus 90 days, the end of a day) never leave what datetime can hold."""
MAX_OFFSET = timedelta(hours=14)
"""The largest UTC offset of any time zone (Kiribati, +14:00)."""


def parse_datetime(name: str, value: str, tz: ZoneInfo, *, end_of_day: bool = False) -> datetime:
    """A W3C date-time (2026-11-27T10:00:00+02:00, ...Z) or date (2026-11-27) as aware UTC.

    A date means its whole day in the city's zone (for end_date, until its end); a date-time
    without a zone is read in the city's zone. Every date parameter (Open311's start_date and
    end_date, open data's since) is read here: the year must be 2000-2099 and the offset at
    most ±14:00, else a 400 that says so."""
    text = _LOST_PLUS.sub(r"\1+\2", value)
    try:
        day_only = _DATE_ONLY.fullmatch(text) is not None
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(
            400, f"{name} {value!r} is not a W3C date-time like 2026-11-27T10:00:00+02:00"
        ) from None
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ApiError(400, f"{name} must be a date in the years {FIRST_YEAR}-{LAST_YEAR}")
    offset = moment.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ApiError(400, f"{name} has a UTC offset beyond ±14:00")
    if day_only:
        day = moment.date() + timedelta(days=1) if end_of_day else moment.date()
        moment = datetime.combine(day, time(), tz) - (_TICK if end_of_day else timedelta())
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


MAX_IDENTIFIER = 100
_NOT_IN_IDENTIFIERS = re.compile("[\x00-\x1f\x7f-\x9f]")


def identifier(name: str, value: str) -> str:
    """`value` if it can be an id or a code (a report's id, a service_code, a district):
    no control characters (PostgreSQL refuses a NUL in text), at most 100 characters."""
    if _NOT_IN_IDENTIFIERS.search(value):
        raise ApiError(400, f"{name} may not contain control characters")
    if len(value) > MAX_IDENTIFIER:
        raise ApiError(400, f"{name} is longer than {MAX_IDENTIFIER} characters")
    return value


# -- POST requests -----------------------------------------------------------------------------


class CityArea(Protocol):
    def contains(self, lat: float, lon: float) -> bool: ...

    def name(self, language: str) -> str: ...


@dataclass(frozen=True, slots=True)
class NewRequest:
    """What a POST request files. Nothing about the person who reports is kept: first_name,
    last_name, email, phone, device_id and account_id are never read."""

    service_code: str
    description: str
    lat: float | None
    lon: float | None
    address: str | None


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def clean_text(value: str) -> str:
    """Line breaks normalised, control characters removed, outer whitespace stripped."""
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _field(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return clean_text(value) if isinstance(value, str) else ""


def new_request(form: Mapping[str, Any], *, known_codes: set[str], area: CityArea) -> NewRequest:
    code = _field(form, "service_code")
    if not code:
        raise ApiError(400, "service_code is required (see services.json)")
    if code not in known_codes:
        raise ApiError(400, f"service_code {code!r} is unknown (see services.json)")
    description = _field(form, "description")
    if len(description) > MAX_DESCRIPTION:
        raise ApiError(400, f"description is longer than {MAX_DESCRIPTION} characters")
    address = _field(form, "address_string")
    if len(address) > MAX_ADDRESS:
        raise ApiError(400, f"address_string is longer than {MAX_ADDRESS} characters")
    lat, lon = _location(form, area)
    if lat is None and not address:
        if _field(form, "address_id"):
            raise ApiError(400, "address_id is not supported: send lat and long, or address_string")
        raise ApiError(400, "a location is required: lat and long, or address_string")
    return NewRequest(
        service_code=code, description=description, lat=lat, lon=lon, address=address or None
    )


def _location(form: Mapping[str, Any], area: CityArea) -> tuple[float | None, float | None]:
    raw_lat, raw_lon = _field(form, "lat"), _field(form, "long")
    if not raw_lat and not raw_lon:
        return None, None
    if not raw_lat or not raw_lon:
        raise ApiError(400, "lat and long must be given together")
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError:
        raise ApiError(400, "lat and long must be decimal degrees (WGS84)") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ApiError(400, "lat and long must be decimal degrees (WGS84)")
    if not area.contains(lat, lon):
        raise ApiError(
            400,
            f"the location {lat}, {lon} is outside {area.name('en')}: "
            "only reports within the city's boundary are accepted",
        )
    return lat, lon
