"""The notice composer: topic, urgency, audience (the whole city, districts, or a point and a
radius drawn on the map), the texts in Bulgarian and English, an optional photo, and when it
goes (now, at a time, or repeatedly until an optional last day).

While it is filled in, htmx asks for small fragments: the audience's size per channel (on
every change), the photo (uploaded through the chat's photo pipeline: bot/media/photos.py
cleans it, the photo store keeps it) and the preview, the exact message each reader gets
(scheduler/payloads.py `notice_text`, as the chat's preview shows it) with the chat's summary.
Sending is the domain's `create` (bot/domain/notices.py), acting as the signed-in member: its
rules (texts, audience, times, recurrences) and its audit are the chat's."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.dates import WHEN_ERRORS, to_instant
from bot.domain import notices as domain
from bot.domain.actors import Forbidden
from bot.domain.errors import Refused
from bot.i18n import N_
from bot.media.photos import MAX_INPUT_BYTES, InvalidImage, process_photo_async
from bot.media.store import is_photo_name
from bot.web.console.app import FORM_LIMITS, console_of, form_of, is_htmx, render, work
from bot.web.console.notices import forbidden, say_refusal, words_of
from bot.web.media import PHOTO_ROUTE
from handlers.broadcast.flow import RADII_M  # the circles the chat's composer offers
from handlers.broadcast.views import WEEKDAYS, audience_size, summary
from handlers.labels import language_label, radius_label
from handlers.reports.file import PHOTO_PROBLEMS
from scheduler.notices import resolve_audience
from scheduler.payloads import notice_text
from storage.models import Notice
from storage.repos import notice_audience

log = logging.getLogger(__name__)

PHOTO_FIELD = "photo_file"
PHOTO_PATH = "/console/notices/photo"
# The photo's upload: as large as the chat takes one, plus the form around it.
PHOTO_FORM_LIMIT = MAX_INPUT_BYTES + 64 * 1024


class Unusable(Exception):
    """A form field that cannot be used; `key` says why (a catalog key)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class Values(dict[str, str]):
    """The form's values as typed, to fill it in again; a field not sent is empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _text(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def read_audience(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """The audience as the domain stores it; the domain checks it (districts, the circle)."""
    kind = _text(form, "audience")
    if kind == "districts":
        codes = sorted({c for c in form.getall("district", []) if isinstance(c, str)})
        return {"kind": "districts", "districts": codes}
    if kind == "radius":
        try:
            lat, lon = float(_text(form, "lat")), float(_text(form, "lon"))
            radius = int(_text(form, "radius_m"))
        except ValueError:
            raise Unusable(N_("notices.pin_expected")) from None
        if radius not in RADII_M:
            raise Unusable(N_("notices.radius_bad"), max=domain.RADIUS_MAX_M)
        return {"kind": "radius", "lat": round(lat, 6), "lon": round(lon, 6), "radius_m": radius}
    return {"kind": "all"}


def read_when(form: MultiDictProxy[Any], tz: Any) -> domain.When:
    """Now, once at a date and time, or repeatedly (as a cron expression) until a last day."""
    kind = _text(form, "when")
    if kind == "at":
        try:
            day = date.fromisoformat(_text(form, "at_date"))
            at = time.fromisoformat(_text(form, "at_time"))
        except ValueError:
            raise Unusable(N_("console_notices.at_bad")) from None
        instant = to_instant(datetime.combine(day, at.replace(second=0, microsecond=0)), tz)
        if instant is None:
            raise Unusable(WHEN_ERRORS["gap"])
        return domain.When.once(instant)
    if kind == "repeat":
        return domain.When.repeating(_cron(form), _ends_at(form, tz))
    return domain.When.now()


def _cron(form: MultiDictProxy[Any]) -> str:
    repeat = _text(form, "repeat")
    if repeat == "cron":
        return " ".join(_text(form, "cron").split())
    try:
        at = time.fromisoformat(_text(form, "repeat_time"))
    except ValueError:
        raise Unusable(N_("console_notices.time_bad")) from None
    if repeat == "weekly":
        weekday = _text(form, "weekday")
        if weekday not in {str(n) for n, _ in WEEKDAYS}:
            raise Unusable(N_("console_notices.weekday_bad"))
        return f"{at.minute} {at.hour} * * {weekday}"
    if repeat == "monthly":
        day = _text(form, "monthday")
        if not day.isdigit() or not 1 <= int(day) <= 28:
            raise Unusable(N_("console_notices.monthday_bad"))
        return f"{at.minute} {at.hour} {int(day)} * *"
    return f"{at.minute} {at.hour} * * *"


def _ends_at(form: MultiDictProxy[Any], tz: Any) -> datetime | None:
    """The end of the last day (its next midnight in city time), as the chat takes it."""
    text = _text(form, "until")
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Unusable(N_("console_notices.until_bad")) from None
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def read_draft(request: web.Request, form: MultiDictProxy[Any]) -> domain.Draft:
    city = console_of(request).services.city
    topic = city.topic(_text(form, "topic"))
    if topic is None:
        raise Unusable(N_("console_notices.topic_expected"))
    photo = _text(form, "photo") or None
    if photo is not None and not is_photo_name(photo):
        photo = None
    return domain.Draft(
        topic=topic.code,
        urgent=form.get("urgent") == "on",
        text_bg=_text(form, "text_bg"),
        text_en=_text(form, "text_en") or None,
        photo=photo,
        audience=read_audience(form),
    )


def _say(request: web.Request, problem: Unusable | Refused) -> str:
    words = words_of(request)
    if isinstance(problem, Refused):
        return say_refusal(console_of(request), words, problem)
    return words.t(problem.key, **problem.values)


# -- the page ------------------------------------------------------------------------------


def compose_page(
    request: web.Request, *, status: int = 200, error: str | None = None
) -> web.Response:
    console = console_of(request)
    words = words_of(request)
    city = console.services.city
    settings = console.settings
    form = form_of(request)
    values = Values({name: v for name, v in form.items() if isinstance(v, str)})
    return render(
        request,
        "compose.html",
        status=status,
        error=error,
        values=values,
        chosen=set(form.getall("district", [])) if form else set(),
        topics=[(t.code, t.short_name(words.language), t.urgent_by_default) for t in city.topics],
        districts=[(d.code, d.name(words.language)) for d in city.districts],
        radii=[(m, radius_label(words.ctx, m)) for m in RADII_M],
        weekdays=[(n, words.t(key)) for n, key in WEEKDAYS],
        text_max=domain.TEXT_MAX,
        tile_url=settings.console_tile_url,
        tile_attribution=settings.console_tile_attribution,
        center=city.center,
    )


async def get_page(request: web.Request) -> web.Response:
    return compose_page(request)


# -- the fragments -------------------------------------------------------------------------


async def _counts(request: web.Request, draft: domain.Draft) -> dict[str, int]:
    async with work(request) as unit:  # reads only; the domain checks the audience
        domain.check_audience(unit, draft.audience)
        return await notice_audience.count_audience(
            unit.session,
            topic=draft.topic,
            audience=resolve_audience(unit.city, draft.audience),
            urgent=draft.urgent,
        )


async def audience_fragment(request: web.Request) -> web.Response:
    words = words_of(request)
    form = form_of(request)
    try:
        counts = await _counts(request, read_draft(request, form))
    except (Unusable, Refused) as problem:
        return render(request, "_audience_count.html", text=_say(request, problem), ok=False)
    return render(request, "_audience_count.html", text=audience_size(words.ctx, counts), ok=True)


@dataclass(frozen=True, slots=True)
class Shown:
    """The preview of one language: its label and the exact text."""

    label: str
    text: str


async def preview_fragment(request: web.Request) -> web.Response:
    words = words_of(request)
    form = form_of(request)
    try:
        draft = read_draft(request, form)
        for text in (draft.text_bg, draft.text_en):
            if text is not None:
                domain.check_text(text)
        counts = await _counts(request, draft)
    except (Unusable, Refused) as problem:
        return render(request, "_preview.html", error=_say(request, problem))
    notice = Notice(
        topic=draft.topic,
        urgent=draft.urgent,
        text_bg=draft.text_bg,
        text_en=draft.text_en,
        photo=draft.photo,
        audience=draft.audience,
    )
    languages = ["bg", "en"] if notice.text_en else ["bg"]
    return render(
        request,
        "_preview.html",
        error=None,
        shown=[
            Shown(
                words.t("broadcast.preview_of", language=language_label(words.ctx, language)),
                notice_text(notice, language),
            )
            for language in languages
        ],
        photo_url=PHOTO_ROUTE.format(name=notice.photo) if notice.photo else None,
        summary=summary(words.ctx, notice).split("\n"),
        size=audience_size(words.ctx, counts),
        only_bulgarian=not notice.text_en,
    )


async def photo_fragment(request: web.Request) -> web.Response:
    """The photo, cleaned as the chat cleans a citizen's (no metadata, a small JPEG), kept in
    the photo store; the fragment carries its name into the composer's form."""
    words = words_of(request)
    store = console_of(request).services.photos
    upload = form_of(request).get(PHOTO_FIELD)
    data = await asyncio.to_thread(upload.file.read) if isinstance(upload, web.FileField) else b""
    if store is None or not data:
        problem = words.t(N_("console_notices.photo_expected"))
        return render(request, "_photo.html", photo=None, photo_error=problem)
    try:
        processed = await process_photo_async(data)
    except InvalidImage as exc:
        key = PHOTO_PROBLEMS.get(exc.reason, "report.photo_not_image")
        return render(request, "_photo.html", photo=None, photo_error=words.t(key))
    # Pending until a notice carries it: the retention job deletes it if none does.
    name = await store.save_pending(processed.content, now=console_of(request).services.clock())
    log.info("a notice photo was uploaded in the console")
    return render(
        request,
        "_photo.html",
        photo=name,
        photo_url=PHOTO_ROUTE.format(name=name),
        photo_error=None,
    )


# -- sending -------------------------------------------------------------------------------


async def send(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    form = form_of(request)
    try:
        draft = read_draft(request, form)
        when = read_when(form, console.services.city.timezone)
        async with work(request) as unit:
            notice = await domain.create(unit, draft, when)
    except (Unusable, Refused) as problem:
        # htmx swaps only a 2xx answer: the form again, with why, in place
        status = 200 if is_htmx(request) else 422
        return compose_page(request, status=status, error=_say(request, problem))
    except Forbidden:
        return forbidden(request)
    target = f"/console/notices?created={notice.id}"
    if is_htmx(request):
        return web.Response(status=204, headers={"HX-Redirect": target})
    raise web.HTTPSeeOther(target)


def routes(app: web.Application) -> None:
    FORM_LIMITS[PHOTO_PATH] = PHOTO_FORM_LIMIT
    app.router.add_get("/notices/new", get_page)
    app.router.add_post("/notices/new", send)
    app.router.add_post("/notices/audience", audience_fragment)
    app.router.add_post("/notices/preview", preview_fragment)
    app.router.add_post("/notices/photo", photo_fragment)
