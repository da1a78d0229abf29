"""bodies.json: the bodies that handle reports (district administrations, the inspectorate,
utilities...), the districts each covers and how each receives its reports.

A body's team chat may be named here (`team_chat`); an admin's `/linkbody` in a group (the
body_chat table) takes precedence over it. Which body
gets which report is bot/domain/routing.py, from the category's `body` (categories.json).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, HttpUrl, TypeAdapter

from bot.city._parse import Code, Model, Texts, load, problem, unique
from bot.i18n import localized

BODIES_FILE = "bodies.json"
ALL = "all"
"""A body's `districts` when it covers the whole city."""


class BodyKind(StrEnum):
    DISTRICT_ADMINISTRATION = "district_administration"  # районна администрация
    MUNICIPALITY = "municipality"  # the municipality's central administration
    INSPECTORATE = "inspectorate"
    UTILITY = "utility"  # water, heating, electricity
    MOBILITY = "mobility"  # public transport, traffic, parking
    DIRECTORATE = "directorate"  # a municipal directorate or department
    OTHER = "other"


class BotDelivery(Model):
    """The body's staff work in the bot itself (their team chat and /reports)."""

    type: Literal["bot"] = "bot"


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


class EmailDelivery(Model):
    """Each report is also sent to the body's address."""

    type: Literal["email"]
    address: Annotated[str, AfterValidator(_email)]


class Open311Delivery(Model):
    """Each report is forwarded to the body's own Open311 (GeoReport v2) endpoint. The key is
    read from the environment variable `api_key_env`, never written in the pack;
    `service_codes` maps our category codes to the endpoint's service codes."""

    type: Literal["open311"]
    endpoint: HttpUrl
    api_key_env: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
    jurisdiction_id: str | None = None
    service_codes: dict[str, Annotated[str, Field(min_length=1, max_length=64)]]


Delivery = Annotated[BotDelivery | EmailDelivery | Open311Delivery, Field(discriminator="type")]


class TeamChat(Model):
    """A Telegram group where the body's new reports are announced (its numeric chat id)."""

    channel: Literal["telegram"] = "telegram"
    chat_id: Annotated[str, Field(pattern=r"^-[0-9]{1,19}$")]


class _Body(Model):
    code: Code
    names: Texts
    kind: BodyKind
    districts: Literal["all"] | Annotated[tuple[str, ...], Field(min_length=1)]
    delivery: Delivery = BotDelivery()
    team_chat: TeamChat | None = None


class _BodiesFile(Model):
    fallback: Code
    """The body that gets a report routed to its district's administration when the report
    has no district (no location, or an API client that sent none)."""
    bodies: Annotated[list[_Body], Field(min_length=1)]


_FILE = TypeAdapter(_BodiesFile)


@dataclass(frozen=True)
class Body:
    """A body that handles reports; `code` is stable (reports, staff membership, open data)."""

    code: str
    names: Mapping[str, str]
    kind: BodyKind
    districts: tuple[str, ...] | None
    """The districts it covers; None: the whole city."""
    delivery: BotDelivery | EmailDelivery | Open311Delivery = field(default_factory=BotDelivery)
    team_chat: tuple[str, str] | None = None
    """(channel, chat id) of the pack's team chat; a chat linked at run time wins."""

    def name(self, language: str | None) -> str:
        return localized(self.names, language)

    def covers(self, district: str | None) -> bool:
        return self.districts is None or (district is not None and district in self.districts)


@dataclass(frozen=True)
class Bodies:
    """The pack's bodies, in file order, and who stands in for a report without a district."""

    bodies: tuple[Body, ...] = ()
    fallback: str | None = None
    by_district: Mapping[str, str] | None = None
    """District code → the code of its district administration."""

    def get(self, code: str | None) -> Body | None:
        return next((b for b in self.bodies if b.code == code), None)

    def district_administration(self, district: str | None) -> Body | None:
        if district is None or self.by_district is None:
            return None
        return self.get(self.by_district.get(district))


def load_bodies(path: Path, *, districts: set[str], categories: set[str]) -> Bodies:
    """bodies.json, checked against the pack's districts and categories: every district has
    exactly one district administration; `fallback` is a body; an Open311 body maps only
    known categories."""
    found = load(_FILE, path)
    items = found.bodies
    unique(path, [b.code for b in items], lambda i: ("bodies", i, "code"), "body code")
    by_district: dict[str, str] = {}
    for i, body in enumerate(items):
        covered = () if body.districts == ALL else body.districts
        for j, code in enumerate(covered):
            if code not in districts:
                problem(path, ("bodies", i, "districts", j), f"unknown district {code!r}")
            if body.kind is BodyKind.DISTRICT_ADMINISTRATION:
                if code in by_district:
                    reason = f"district {code!r} already has {by_district[code]!r}"
                    problem(path, ("bodies", i, "districts", j), reason)
                by_district[code] = body.code
        if body.kind is BodyKind.DISTRICT_ADMINISTRATION and body.districts == ALL:
            problem(
                path, ("bodies", i, "districts"), "a district administration names its districts"
            )
        if isinstance(body.delivery, Open311Delivery):
            for category in body.delivery.service_codes:
                if category not in categories:
                    where = ("bodies", i, "delivery", "service_codes", category)
                    problem(path, where, f"unknown category {category!r}")
    if missing := sorted(districts - by_district.keys()):
        problem(path, ("bodies",), f"no district administration for district {missing[0]!r}")
    if found.fallback not in {b.code for b in items}:
        problem(path, ("fallback",), f"unknown body {found.fallback!r}")
    bodies = tuple(
        Body(
            code=b.code,
            names=b.names,
            kind=b.kind,
            districts=None if b.districts == ALL else tuple(b.districts),
            delivery=b.delivery,
            team_chat=(b.team_chat.channel, b.team_chat.chat_id) if b.team_chat else None,
        )
        for b in items
    )
    return Bodies(bodies, found.fallback, by_district)
