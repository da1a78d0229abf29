"""A feed's items become alert records, and alert records become messages: the one place for
both, used by the poller (scheduler/feeds.py) and by staff's buttons
(handlers/broadcast/feeds_review.py).

- A new item is recorded; in `auto` mode it is announced at once (a Notice to everyone whose
  places meet its area, created by bot.domain.notices with the feed as a system actor
  `feed:<id>` acting as staff, so the notices' rules and audit apply) and staff are told;
  in `review` mode staff get it with its area in districts, the audience size and Send /
  Edit text / Skip.
- A changed item updates its record; if it was announced, the announcement's text is brought
  up to date (for messages still waiting) and an update goes to those already told.
- A CAP Cancel, an item gone from the feed or its end passing closes the record; if it was
  announced, the messages not yet sent are withdrawn and the end goes once to those told and
  to those who asked to be told.

Nothing here commits: the caller's transaction covers the record and its messages, and
after the commit the caller hands `Queued.outbox` to the delivery engine and wakes the
notices tick when `Queued.notices`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.city import CityPack
from bot.city.feeds import FeedConfig, FeedMode, FeedType
from bot.config import Settings
from bot.core.buttons import ButtonData
from bot.core.messages import Address, Button, Reply
from bot.domain import notices as notice_actions
from bot.domain.actors import Actor
from bot.domain.work import Work
from bot.feeds.area import Area, resolve, stored
from bot.feeds.parse import SEVERE, FeedItem
from bot.i18n import N_, Translator
from scheduler.payloads import direct_payload
from storage.models import (
    ChannelIdentity,
    Citizen,
    FeedAlert,
    FeedAlertStatus,
    Notice,
    Role,
)
from storage.repos import feeds, notice_audience, notices, outbox

EMERGENCIES = "emergencies"
NOTICE_EXPIRY = timedelta(hours=12)
LANGS = ("bg", "en")


@dataclass(frozen=True)
class Desk:
    """What the alert logic needs of the process."""

    city: CityPack
    translator: Translator
    settings: Settings
    admins: frozenset[Address] = frozenset()

    @property
    def tz(self) -> ZoneInfo:
        return self.city.timezone

    def translate(self, language: str, key: str, /, **values: object) -> str:
        return self.translator.translate(language, key, **values)

    def work(self, session: AsyncSession, feed_id: str, now: datetime) -> Work:
        """The feed acts on notices as a system actor with staff's rights, so the notices'
        rules and audit apply to it as to a person (bot/domain/notices.py)."""
        return Work(
            session=session,
            actor=Actor.machine(f"feed:{feed_id}", Role.STAFF),
            settings=self.settings,
            translator=self.translator,
            city=self.city,
            clock=lambda: now,
        )


@dataclass
class Queued:
    """What a change put in motion: outbox rows to deliver, notices for the notices tick."""

    outbox: list[int] = field(default_factory=list)
    notices: int = 0

    def add(self, other: Queued) -> None:
        self.outbox += other.outbox
        self.notices += other.notices


# -- records ----------------------------------------------------------------------------------


def fingerprint(item: FeedItem, area: Area) -> str:
    data = [
        item.texts,
        item.severity,
        item.starts_at.isoformat() if item.starts_at else None,
        item.ends_at.isoformat() if item.ends_at else None,
        area.geojson(),
    ]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _official(item: FeedItem, feed: FeedConfig) -> tuple[str, str | None]:
    """(text_bg, text_en) as the feed gives them: each language's own text where there is
    one; text_en None where the feed has no English."""
    bg = (
        item.texts.get("bg") or item.texts.get(feed.language) or next(iter(item.texts.values()), "")
    )
    return bg, item.texts.get("en")


def urgent(feed: FeedConfig, severity: str | None) -> bool:
    """Quiet hours are bypassed for the emergencies topic and for severity Severe or Extreme
    as CAP states it (and GeoJSON, which borrows CAP's words); a GTFS-RT "SEVERE" disruption
    waits like any other."""
    if feed.topic == EMERGENCIES:
        return True
    return feed.type != FeedType.GTFS_RT and severity in SEVERE


def latest(items: list[FeedItem]) -> list[FeedItem]:
    """One item per source id: an index may list an alert and its updates side by side (CAP
    Update and Cancel carry the original's id); the one sent last stands for it."""
    chosen: dict[str, FeedItem] = {}
    for item in items:
        known = chosen.get(item.source_id)
        if known is None or (item.sent or datetime.min.replace(tzinfo=UTC)) >= (
            known.sent or datetime.min.replace(tzinfo=UTC)
        ):
            chosen[item.source_id] = item
    return list(chosen.values())


async def sync(
    session: AsyncSession,
    desk: Desk,
    feed: FeedConfig,
    items: list[FeedItem],
    *,
    now: datetime,
    complete: bool = True,
) -> Queued:
    """Bring the feed's records in line with what it publishes now. `complete`: `items` is
    everything the feed publishes, so an open record missing from it is gone."""
    queued = Queued()
    seen: set[str] = set()
    for item in latest(items):
        seen.add(item.source_id)
        area = resolve(item, feed, desk.city)
        existing = await feeds.by_source(session, feed_id=feed.id, source_id=item.source_id)
        if area is None:
            continue  # not this city's
        over = item.cancelled or (item.ends_at is not None and item.ends_at <= now)
        if existing is None:
            if not over:
                queued.add(await _create(session, desk, feed, item, area, now))
            continue
        if existing.status not in feeds.OPEN:
            continue
        if over:
            reason = "cancelled" if item.cancelled else "expired"
            queued.add(await close(session, desk, existing, reason=reason, now=now))
        elif existing.fingerprint != fingerprint(item, area):
            queued.add(await _update(session, desk, feed, existing, item, area, now))
    if complete:
        for alert in await feeds.open_of(session, feed_id=feed.id):
            if alert.source_id not in seen:
                queued.add(await close(session, desk, alert, reason="gone", now=now))
    return queued


async def _create(
    session: AsyncSession,
    desk: Desk,
    feed: FeedConfig,
    item: FeedItem,
    area: Area,
    now: datetime,
) -> Queued:
    text_bg, text_en = _official(item, feed)
    alert = await feeds.add(
        session,
        FeedAlert(
            feed_id=feed.id,
            source_id=item.source_id,
            topic=feed.topic,
            severity=item.severity,
            urgent=urgent(feed, item.severity),
            status=FeedAlertStatus.REVIEW.value,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            text_bg=text_bg,
            text_en=text_en,
            area=area.geojson(),
            districts=list(area.districts),
            fingerprint=fingerprint(item, area),
            created_at=now,
            updated_at=now,
        ),
    )
    if alert is None:
        return Queued()  # another process recorded it first
    if feed.mode == FeedMode.AUTO:
        queued = await announce(session, desk, alert, now=now)
        queued.outbox += await tell_staff(session, desk, alert, now=now, review=False)
        return queued
    return Queued(outbox=await tell_staff(session, desk, alert, now=now, review=True))


async def _update(
    session: AsyncSession,
    desk: Desk,
    feed: FeedConfig,
    alert: FeedAlert,
    item: FeedItem,
    area: Area,
    now: datetime,
) -> Queued:
    text_bg, text_en = _official(item, feed)
    alert.text_bg, alert.text_en = text_bg, text_en
    alert.severity = item.severity
    alert.urgent = urgent(feed, item.severity)
    alert.starts_at, alert.ends_at = item.starts_at, item.ends_at
    alert.area, alert.districts = area.geojson(), list(area.districts)
    alert.fingerprint = fingerprint(item, area)
    alert.updated_at = now
    session.add(alert)
    if alert.status != FeedAlertStatus.ACTIVE or alert.notice_id is None:
        return Queued()
    original = await notices.get(session, notice_id=alert.notice_id)
    if original is not None:  # messages still waiting (quiet hours) go out up to date
        original.text_bg, original.text_en = message(desk, alert, "new")
        session.add(original)
    await _notice(session, desk, alert, "update", now=now)
    return Queued(notices=1)


async def close(
    session: AsyncSession, desk: Desk, alert: FeedAlert, *, reason: str, now: datetime
) -> Queued:
    assert alert.id is not None
    was_active = alert.status == FeedAlertStatus.ACTIVE
    if not await feeds.set_status(
        session,
        alert_id=alert.id,
        before=feeds.OPEN,
        after=FeedAlertStatus.CLOSED,
        now=now,
        closed_reason=reason,
    ):
        return Queued()
    alert.status = FeedAlertStatus.CLOSED.value
    if not was_active or alert.notice_id is None:
        return Queued()
    await notices.cancel(session, notice_id=alert.notice_id, now=now)  # no news of the past
    await _notice(session, desk, alert, "end", now=now)
    return Queued(notices=1)


async def announce(session: AsyncSession, desk: Desk, alert: FeedAlert, *, now: datetime) -> Queued:
    """Send the alert to everyone whose places meet its area (a review alert approved, or
    an auto one)."""
    assert alert.id is not None
    if not await feeds.set_status(
        session,
        alert_id=alert.id,
        before=(FeedAlertStatus.REVIEW.value,),
        after=FeedAlertStatus.ACTIVE,
        now=now,
    ):
        return Queued()
    alert.status = FeedAlertStatus.ACTIVE.value
    notice = await _notice(session, desk, alert, "new", now=now)
    alert.notice_id = notice.id
    session.add(alert)
    return Queued(notices=1)


async def skip(session: AsyncSession, alert: FeedAlert, *, now: datetime) -> bool:
    assert alert.id is not None
    return await feeds.set_status(
        session,
        alert_id=alert.id,
        before=(FeedAlertStatus.REVIEW.value,),
        after=FeedAlertStatus.SKIPPED,
        now=now,
    )


async def _notice(
    session: AsyncSession, desk: Desk, alert: FeedAlert, kind: str, *, now: datetime
) -> Notice:
    text_bg, text_en = message(desk, alert, kind)
    if kind == "new":
        audience = {"kind": "area", "geometry": alert.area, "districts": alert.districts}
    else:
        audience = {"kind": "told", "notice_id": alert.notice_id, "alert_id": alert.id}
    lasts = (alert.ends_at - now) if alert.ends_at and alert.ends_at > now else NOTICE_EXPIRY
    expires_after = timedelta(seconds=int(min(lasts, NOTICE_EXPIRY).total_seconds()) or 60)
    draft = notice_actions.Draft(
        topic=alert.topic,
        urgent=alert.urgent and kind != "end",
        text_bg=text_bg,
        text_en=text_en,
        audience=audience,
    )
    work = desk.work(session, alert.feed_id, now)
    return await notice_actions.create(
        work, draft, notice_actions.When.now(), expires_after=expires_after
    )


# -- texts ------------------------------------------------------------------------------------


def local(desk: Desk, moment: datetime) -> tuple[str, str]:
    """(HH:MM, DD.MM) in the city's time."""
    at = moment.astimezone(desk.tz)
    return at.strftime("%H:%M"), at.strftime("%d.%m")


# Room left in a notice (bot/domain/notices.py TEXT_MAX) for the heading, the "until" and the
# source lines around the official text.
BODY_MAX = notice_actions.TEXT_MAX - 600


def body(alert: FeedAlert, language: str) -> str:
    """The official text in the reader's language, else in the other one; a text longer than
    a notice may carry is cut at a word, so one long publication never stops a feed."""
    text = alert.text_en if language == "en" and alert.text_en else alert.text_bg
    if len(text) <= BODY_MAX:
        return text
    return text[:BODY_MAX].rsplit(" ", 1)[0].rstrip() + " …"


def until_line(desk: Desk, alert: FeedAlert, language: str, *, now: bool = False) -> str | None:
    if alert.ends_at is None:
        return None
    time, date = local(desk, alert.ends_at)
    key = N_("feeds.now_until") if now else N_("feeds.until")
    return desk.translate(language, key, time=time, date=date)


def source_line(desk: Desk, alert: FeedAlert, language: str) -> str:
    feed = desk.city.feed(alert.feed_id)
    source = feed.attribution_text(language) if feed else alert.feed_id
    return desk.translate(language, "feeds.source", source=source)


def heading(desk: Desk, alert: FeedAlert, language: str) -> str:
    topic = desk.city.topic(alert.topic)
    return topic.short_name(language) if topic else alert.topic


def message(desk: Desk, alert: FeedAlert, kind: str) -> tuple[str, str]:
    """(Bulgarian, English) text of the alert's first message ("new"), of an update
    ("update") or of its end ("end")."""
    out = []
    for language in LANGS:
        if kind == "end":
            key = N_("feeds.end_water") if alert.topic == "water" else N_("feeds.end")
            lines = [
                desk.translate(language, key, topic=heading(desk, alert, language)),
                body(alert, language).split("\n")[0],
                source_line(desk, alert, language),
            ]
        else:
            title = heading(desk, alert, language)
            if kind == "update":
                title = desk.translate(language, "feeds.update_title", topic=title)
            lines = [
                title,
                body(alert, language),
                until_line(desk, alert, language, now=kind == "update") or "",
                source_line(desk, alert, language),
            ]
        out.append("\n\n".join(line for line in lines if line))
    return out[0], out[1]


def area_names(desk: Desk, alert: FeedAlert, language: str) -> str:
    if alert.area is None or len(alert.districts) == len(desk.city.districts):
        return desk.translate(language, "feeds.area_all", city=desk.city.name(language))
    names = [d.name(language) for code in alert.districts if (d := desk.city.district(code))]
    return ", ".join(names)


# -- staff ------------------------------------------------------------------------------------


REVIEW_SEND, REVIEW_EDIT, REVIEW_SKIP = "send", "edit", "skip"


class ReviewButton(ButtonData, prefix="fa"):
    """Staff's decision on an alert of a `review` feed: fa:send:<id>, fa:edit:<id>, fa:skip:<id>."""

    action: str  # REVIEW_SEND | REVIEW_EDIT | REVIEW_SKIP
    alert: int


def review_buttons(desk: Desk, alert: FeedAlert, language: str) -> tuple[tuple[Button, ...], ...]:
    assert alert.id is not None
    return (
        (
            ReviewButton(REVIEW_SEND, alert.id).button(desk.translate(language, "feeds.btn_send")),
            ReviewButton(REVIEW_EDIT, alert.id).button(desk.translate(language, "feeds.btn_edit")),
            ReviewButton(REVIEW_SKIP, alert.id).button(desk.translate(language, "feeds.btn_skip")),
        ),
    )


async def audience_size(session: AsyncSession, desk: Desk, alert: FeedAlert) -> int:
    from scheduler.notices import area_audience

    audience = area_audience(desk.city, alert.area, alert.districts)
    counts = await notice_audience.count_audience(
        session, topic=alert.topic, audience=audience, urgent=alert.urgent
    )
    return sum(counts.values())


async def staff_summary(
    session: AsyncSession, desk: Desk, alert: FeedAlert, language: str, *, review: bool
) -> str:
    feed = desk.city.feed(alert.feed_id)
    source = feed.attribution_text(language) if feed else alert.feed_id
    key = N_("feeds.staff_review") if review else N_("feeds.staff_auto")
    lines = [
        desk.translate(language, key, id=alert.id, source=source),
        heading(desk, alert, language),
        alert.text_bg,  # what citizens will read, in both languages
        alert.text_en or "",
        desk.translate(language, "feeds.staff_area", area=area_names(desk, alert, language)),
    ]
    if alert.ends_at is not None:
        lines.append(until_line(desk, alert, language) or "")
    if alert.urgent:
        lines.append(desk.translate(language, "feeds.staff_urgent"))
    size = await audience_size(session, desk, alert)
    lines.append(desk.translate(language, "feeds.staff_audience", count=size))
    return "\n\n".join(line for line in lines if line)


async def staff_addresses(
    session: AsyncSession, desk: Desk
) -> dict[Address, tuple[int | None, str]]:
    """Every staff member's address: (citizen id, language)."""
    stmt = (
        select(ChannelIdentity.channel, ChannelIdentity.user_id, Citizen.id, Citizen.language)
        .join(Citizen, col(Citizen.id) == col(ChannelIdentity.citizen_id))
        .where(col(Citizen.role).in_([Role.STAFF.value, Role.ADMIN.value]))
    )
    found = {
        Address(channel, user_id): (cid, language)
        for channel, user_id, cid, language in (await session.exec(stmt)).all()
    }
    for address in sorted(desk.admins):
        if address not in found:
            known = await session.exec(
                select(Citizen.id, Citizen.language)
                .join(ChannelIdentity, col(ChannelIdentity.citizen_id) == col(Citizen.id))
                .where(
                    ChannelIdentity.channel == address.channel,
                    ChannelIdentity.user_id == address.user_id,
                )
            )
            row = known.first()
            found[address] = (row[0], row[1]) if row else (None, desk.translator.default)
    return found


async def tell_staff(
    session: AsyncSession, desk: Desk, alert: FeedAlert, *, now: datetime, review: bool
) -> list[int]:
    """Staff get the alert: to decide on (review) or as sent (auto). Returns outbox ids."""
    ids = []
    for address, (citizen_id, language) in (await staff_addresses(session, desk)).items():
        text = await staff_summary(session, desk, alert, language, review=review)
        buttons = review_buttons(desk, alert, language) if review else ()
        row = await outbox.enqueue_direct(
            session,
            citizen_id=citizen_id,
            channel=address.channel,
            user_id=address.user_id,
            language=language,
            payload=direct_payload(Reply(text, buttons)),
            urgent=True,
            now=now,
        )
        assert row.id is not None
        ids.append(row.id)
    return ids


# -- citizens ---------------------------------------------------------------------------------


def area_of(desk: Desk, alert: FeedAlert) -> Area:
    return stored(alert.area, alert.districts, desk.city)
