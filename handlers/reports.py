"""Citizens report a city problem: category → location → description → photos → nearby
duplicates → summary → filed. The draft lives in the conversation state, so a flow left midway
can be resumed with the next /report (at the step where it was left, draft intact).

A draft with a description is discarded only after a confirmation. Edit → Photos keeps the
photos until new ones replace them (or the citizen removes them); their files are deleted after
the commit that drops them. The "Follow" buttons of the duplicates step are valid only as
offered (`offered=True`): a typed or forged `rdup:<id>` of another report is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.city.geo import bounding_box, haversine_m
from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, Kind, Rows, rows
from bot.core.router import Router
from bot.domain import reports as domain
from bot.domain.errors import Refused
from bot.domain.reports import NewPhoto, NewReport
from bot.i18n import N_
from bot.media.photos import ProcessedPhoto
from bot.media.preload import PhotoProblem
from handlers.alerts.known import KNOWN_PREFIX, known_outage, watch_if_chosen
from handlers.menu import main_menu, menu_entry, show_menu
from handlers.refusals import refusal_text
from handlers.report_views import category_label, location_text, status_label
from storage.models import Report
from storage.repos import reports

router = Router("reports")

CATEGORY = "report.category"
LOCATION = "report.location"
LOCATION_CONFIRM = "report.location_confirm"
ADDRESS = "report.address"
DISTRICT = "report.district"
DESCRIPTION = "report.description"
PHOTOS = "report.photos"
DUPLICATES = "report.duplicates"
SUMMARY = "report.summary"
EDIT = "report.edit"
EDIT_PHOTOS = "report.edit_photos"
CANCEL_CONFIRM = "report.cancel_confirm"
RESUME = "report.resume"

DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 2000
ADDRESS_MIN, ADDRESS_MAX = 3, 300
MAX_PHOTOS = 3
DUPLICATE_RADIUS_M = 50
DUPLICATE_WINDOW = timedelta(days=30)
MAX_DUPLICATES = 3

PHOTO_PROBLEMS = {
    "not_an_image": N_("report.photo_not_image"),
    "unsupported_format": N_("report.photo_not_image"),
    "too_large": N_("report.photo_too_large"),
    "too_many_pixels": N_("report.photo_too_large"),
    "download_failed": N_("report.photo_download_failed"),
}


def in_report_flow(ctx: Context) -> bool:
    return (ctx.state.name or "").startswith("report.")


def draft(ctx: Context) -> dict[str, Any]:
    return ctx.state.data


def goto(ctx: Context, state: str) -> None:
    """Move to a step, keeping the draft."""
    ctx.state.name = state


# -- entry --------------------------------------------------------------------------------


@menu_entry("report")
async def start_report(ctx: Context) -> None:
    if in_report_flow(ctx) and ctx.state.data.get("category"):
        ctx.state.update(resume_to=_step_to_resume(ctx))
        goto(ctx, RESUME)
        ctx.reply(
            ctx.t("report.resume_offer"),
            rows(
                Button(ctx.t("report.btn_continue"), payload="rk:continue"),
                Button(ctx.t("report.btn_start_over"), payload="rk:restart"),
            ),
        )
        return
    await _discard_photos(ctx)
    if await _over_daily_limit(ctx):
        return
    ctx.state.set(CATEGORY)
    ask_category(ctx)


@router.command("report")
async def on_report_command(msg: IncomingMessage, ctx: Context) -> None:
    if msg.args.strip():
        from handlers.report_detail import open_by_public_id

        await open_by_public_id(ctx, msg.args.strip())
        return
    from handlers.staff import offer_reports

    if await offer_reports(ctx):  # staff: which report? (filing one is a button away)
        return
    await start_report(ctx)


def _step_to_resume(ctx: Context) -> str:
    """The step a draft left now continues at: asking /report again while the resume offer
    (or a cancel confirmation) is open keeps the step the citizen had reached."""
    name = ctx.state.name or ""
    if name == RESUME:
        return str(ctx.state.data.get("resume_to") or _furthest_step(ctx))
    if name == CANCEL_CONFIRM:
        return str(ctx.state.data.get("cancel_from") or _furthest_step(ctx))
    return name


def _furthest_step(ctx: Context) -> str:
    """Where a draft stands by what it holds (when the step it was left at is unknown)."""
    data = ctx.state.data
    if not data.get("category"):
        return CATEGORY
    if data.get("lat") is None and not data.get("address"):
        return LOCATION
    if not data.get("district") and data.get("lat") is None:
        return DISTRICT
    if not data.get("description"):
        return DESCRIPTION
    return SUMMARY


@router.button("rk")
async def on_resume_choice(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != RESUME:
        return stale(ctx)
    choice = _arg(msg)
    resume_to = ctx.state.data.pop("resume_to", None)
    if choice == "continue":
        goto(ctx, resume_to if resume_to in STEP_ASKS else _furthest_step(ctx))
        await ask_current_step(ctx)
        return
    await _discard_photos(ctx)
    ctx.state.clear()
    await start_report(ctx)


async def ask_current_step(ctx: Context) -> None:
    if ctx.state.name == LOCATION_CONFIRM:
        goto(ctx, LOCATION)
    ask = STEP_ASKS.get(ctx.state.name or "")
    if ask is None:
        goto(ctx, _furthest_step(ctx))
        ask = STEP_ASKS[ctx.state.name or CATEGORY]
    ask(ctx)


def stale(ctx: Context) -> None:
    show_menu(ctx, N_("fallback.button"))


def cancel_button(ctx: Context) -> Button:
    return Button(ctx.t("report.btn_cancel"), payload="rs:cancel")


# -- category -----------------------------------------------------------------------------


def _with_note(note: str | None, text: str) -> str:
    return f"{note}\n\n{text}" if note else text


def ask_category(ctx: Context, note: str | None = None) -> None:
    goto(ctx, CATEGORY)
    buttons = [
        Button(c.short_name(ctx.language), payload=f"rc:{c.code}")
        for c in ctx.services.city.categories
    ]
    ctx.reply(
        _with_note(note, ctx.t("report.ask_category")),
        rows(*buttons, (cancel_button(ctx),), per_row=2),
    )


@router.button("rc")
async def on_category(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != CATEGORY:
        return stale(ctx)
    code = _arg(msg)
    if ctx.services.city.category(code) is None:
        return ask_category(ctx)
    ctx.state.update(category=code)
    await next_step(ctx, after=CATEGORY)


@router.state(CATEGORY, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_category_not_chosen(msg: IncomingMessage, ctx: Context) -> None:
    ask_category(ctx, ctx.t("report.choose_category_first"))


# -- location -----------------------------------------------------------------------------


def ask_location(ctx: Context, note: str | None = None) -> None:
    goto(ctx, LOCATION)
    ctx.reply(
        _with_note(note, ctx.t("report.ask_location")),
        rows(
            Button(ctx.t("report.btn_send_location"), request_location=True),
            Button(ctx.t("report.btn_type_address"), payload="rl:type"),
            cancel_button(ctx),
        ),
    )


@router.state(LOCATION, LOCATION_CONFIRM, kinds=(Kind.LOCATION,))
async def on_location(msg: IncomingMessage, ctx: Context) -> None:
    assert msg.location is not None
    lat, lon = msg.location
    city = ctx.services.city
    district = city.district_at(lat, lon)
    if district is None:
        return ask_location(ctx, ctx.t("report.outside_city", city=city.name(ctx.language)))
    if city.is_default_point(lat, lon) and ctx.state.name != LOCATION_CONFIRM:
        ctx.state.update(pending_location=[lat, lon, district.code])
        goto(ctx, LOCATION_CONFIRM)
        ctx.reply(
            ctx.t("report.default_point_query"),
            rows(
                Button(ctx.t("report.btn_yes_here"), payload="rl:yes"),
                Button(ctx.t("report.btn_send_another"), request_location=True),
                Button(ctx.t("report.btn_type_address"), payload="rl:type"),
            ),
        )
        return
    await _accept_location(ctx, lat, lon, district.code)


async def _accept_location(ctx: Context, lat: float, lon: float, district: str) -> None:
    ctx.state.data.pop("pending_location", None)
    ctx.state.update(lat=lat, lon=lon, district=district, address=None)
    name = ctx.services.city.district(district)
    ctx.reply(ctx.t("report.district_detected", district=name.name(ctx.language) if name else ""))
    category = ctx.state.data.get("category")
    if category and await known_outage(ctx, category=category, lat=lat, lon=lon):
        return  # an official alert already covers it (on_known_choice takes the answer)
    await next_step(ctx, after=LOCATION)


@router.button(KNOWN_PREFIX, state=LOCATION, offered=True)
async def on_known_choice(msg: IncomingMessage, ctx: Context) -> None:
    """The answer to known_outage's offer: told when the alert ends instead, or file anyway."""
    if await watch_if_chosen(ctx, msg):
        await _discard_photos(ctx)
        ctx.state.clear()
        ctx.reply(ctx.t("feeds.watching"), main_menu(ctx))
        return
    await next_step(ctx, after=LOCATION)


@router.button("rl")
async def on_location_button(msg: IncomingMessage, ctx: Context) -> None:
    action = _arg(msg)
    if ctx.state.name not in (LOCATION, LOCATION_CONFIRM):
        return stale(ctx)
    if action == "yes" and ctx.state.name == LOCATION_CONFIRM:
        pending = ctx.state.data.get("pending_location")
        if pending:
            lat, lon, district = pending
            return await _accept_location(ctx, lat, lon, district)
    if action == "type":
        return ask_address(ctx)
    ask_location(ctx)


@router.state(LOCATION, LOCATION_CONFIRM)
async def on_text_instead_of_location(msg: IncomingMessage, ctx: Context) -> None:
    # A typed place is an address: take it and ask for the district.
    await _take_address(msg, ctx)


@router.state(LOCATION, LOCATION_CONFIRM, ADDRESS, kinds=(Kind.PHOTO, Kind.CONTACT))
async def on_wrong_kind_for_location(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("report.location_expected"))


def ask_address(ctx: Context, note: str | None = None) -> None:
    goto(ctx, ADDRESS)
    ctx.reply(_with_note(note, ctx.t("report.ask_address")), rows(cancel_button(ctx)))


@router.state(ADDRESS)
async def on_address(msg: IncomingMessage, ctx: Context) -> None:
    await _take_address(msg, ctx)


@router.state(ADDRESS, kinds=(Kind.LOCATION,))
async def on_location_after_all(msg: IncomingMessage, ctx: Context) -> None:
    goto(ctx, LOCATION)
    await on_location(msg, ctx)


async def _take_address(msg: IncomingMessage, ctx: Context) -> None:
    text = " ".join(msg.text.split())
    if len(text) < ADDRESS_MIN:
        return ask_address(ctx, ctx.t("report.address_too_short"))
    if len(text) > ADDRESS_MAX:
        return ask_address(ctx, ctx.t("report.address_too_long", max=ADDRESS_MAX))
    ctx.state.update(address=text, lat=None, lon=None, district=None)
    ask_district(ctx)


def ask_district(ctx: Context) -> None:
    goto(ctx, DISTRICT)
    buttons = [
        Button(d.name(ctx.language), payload=f"rd:{d.code}") for d in ctx.services.city.districts
    ]
    ctx.reply(ctx.t("report.ask_district"), rows(*buttons, (cancel_button(ctx),), per_row=3))


@router.button("rd")
async def on_district(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != DISTRICT:
        return stale(ctx)
    district = ctx.services.city.district(_arg(msg))
    if district is None:
        return ask_district(ctx)
    ctx.state.update(district=district.code)
    await next_step(ctx, after=LOCATION)


@router.state(DISTRICT, kinds=(Kind.TEXT, Kind.PHOTO, Kind.CONTACT))
async def on_district_not_chosen(msg: IncomingMessage, ctx: Context) -> None:
    ask_district(ctx)


@router.state(DISTRICT, kinds=(Kind.LOCATION,))
async def on_location_in_district_step(msg: IncomingMessage, ctx: Context) -> None:
    goto(ctx, LOCATION)
    await on_location(msg, ctx)


# -- description --------------------------------------------------------------------------


def ask_description(ctx: Context) -> None:
    goto(ctx, DESCRIPTION)
    ctx.reply(
        ctx.t("report.ask_description", min=DESCRIPTION_MIN, max=DESCRIPTION_MAX),
        rows(cancel_button(ctx)),
    )


def meaningful_length(text: str) -> int:
    """Letters and digits, in any script: emoji, punctuation and spaces say nothing."""
    return sum(1 for char in text if char.isalnum())


@router.state(DESCRIPTION)
async def on_description(msg: IncomingMessage, ctx: Context) -> None:
    text = msg.text.strip()
    if meaningful_length(text) < DESCRIPTION_MIN:
        ctx.reply(ctx.t("report.description_too_short", min=DESCRIPTION_MIN))
        return
    if len(text) > DESCRIPTION_MAX:
        ctx.reply(ctx.t("report.description_too_long", max=DESCRIPTION_MAX, length=len(text)))
        return
    ctx.state.update(description=text)
    await next_step(ctx, after=DESCRIPTION)


@router.state(DESCRIPTION, kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_description_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    if msg.kind is Kind.CONTACT:
        return await on_contact(msg, ctx)
    ctx.reply(ctx.t("report.description_expected"))


# -- photos -------------------------------------------------------------------------------


def ask_photos(ctx: Context) -> None:
    goto(ctx, PHOTOS)
    have = len(ctx.state.data.get("photos", []))
    if ctx.state.data.get("replacing"):
        key, done = N_("report.ask_replacement_photos"), N_("report.btn_keep_photos")
    elif have == 0:
        key, done = N_("report.ask_photos"), N_("report.btn_skip_photos")
    else:
        key, done = N_("report.ask_more_photos"), N_("report.btn_photos_done")
    ctx.reply(
        ctx.t(key, max=MAX_PHOTOS, count=have),
        rows(Button(ctx.t(done), payload="rph:done"), cancel_button(ctx)),
    )


@router.state(PHOTOS, kinds=(Kind.PHOTO,))
async def on_photo(msg: IncomingMessage, ctx: Context) -> None:
    photos: list[dict[str, Any]] = list(ctx.state.data.get("photos", []))
    prepared = ctx.attachment
    if isinstance(prepared, PhotoProblem) or not isinstance(prepared, ProcessedPhoto):
        reason = prepared.reason if isinstance(prepared, PhotoProblem) else "download_failed"
        ctx.reply(ctx.t(PHOTO_PROBLEMS.get(reason, "report.photo_not_image")))
        return
    if ctx.state.data.pop("replacing", False):
        # The first new photo replaces the old ones: only now are they dropped.
        _delete_after_commit(ctx, [photo["name"] for photo in photos])
        photos = []
    if len(photos) >= MAX_PHOTOS:
        ctx.reply(ctx.t("report.photos_full", max=MAX_PHOTOS))
        return
    store = ctx.services.photos
    assert store is not None, "the photo store is part of the running bot"
    name = await store.save(prepared.content)
    photos.append(
        {"name": name, "w": prepared.width, "h": prepared.height, "size": len(prepared.content)}
    )
    ctx.state.update(photos=photos)
    if len(photos) >= MAX_PHOTOS:
        ctx.reply(ctx.t("report.photo_added_last", count=len(photos), max=MAX_PHOTOS))
        await next_step(ctx, after=PHOTOS)
        return
    ctx.reply(
        ctx.t("report.photo_added", count=len(photos), max=MAX_PHOTOS),
        rows(Button(ctx.t("report.btn_photos_done"), payload="rph:done"), cancel_button(ctx)),
    )


@router.button("rph")
async def on_photos_done(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != PHOTOS:
        return stale(ctx)
    ctx.state.data.pop("replacing", None)  # nothing new came: the photos stay
    await next_step(ctx, after=PHOTOS)


@router.state(PHOTOS, kinds=(Kind.TEXT, Kind.LOCATION))
async def on_photos_other(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(
        ctx.t("report.photo_expected"),
        rows(Button(ctx.t("report.btn_photos_done"), payload="rph:done"), cancel_button(ctx)),
    )


@router.state(PHOTOS, SUMMARY, kinds=(Kind.CONTACT,))
async def on_contact(msg: IncomingMessage, ctx: Context) -> None:
    # A contact shared during the flow is shared on purpose for this report.
    if msg.phone:
        ctx.state.update(phone=msg.phone[:32])
        ctx.reply(ctx.t("report.contact_added"))


# -- duplicates, summary, edit, send --------------------------------------------------------


async def next_step(ctx: Context, *, after: str) -> None:
    data = ctx.state.data
    if data.get("editing"):
        if after == LOCATION and data.get("lat") is not None:
            if await offer_duplicates(ctx):
                return
        return show_summary(ctx)
    if after == CATEGORY:
        return ask_location(ctx)
    if after == LOCATION:
        return ask_description(ctx)
    if after == DESCRIPTION:
        return ask_photos(ctx)
    if await offer_duplicates(ctx):
        return
    show_summary(ctx)


async def offer_duplicates(ctx: Context) -> bool:
    data = ctx.state.data
    if data.get("lat") is None or data.get("lon") is None or data.get("duplicates_seen"):
        return False
    lat, lon = float(data["lat"]), float(data["lon"])
    candidates = await reports.open_in_box(
        ctx.session,
        category=data["category"],
        box=bounding_box(lat, lon, DUPLICATE_RADIUS_M),
        since=ctx.now - DUPLICATE_WINDOW,
    )
    # Sorted by distance, then id: never by comparing Reports (two at one pin have equal
    # distances, and Reports do not order).
    near = sorted(
        (
            (haversine_m(lat, lon, r.lat, r.lon), r)
            for r in candidates
            if r.lat is not None and r.lon is not None
        ),
        key=lambda pair: (pair[0], pair[1].id or 0),
    )
    near = [(d, r) for d, r in near if d <= DUPLICATE_RADIUS_M][:MAX_DUPLICATES]
    if not near:
        return False
    ctx.state.update(duplicates_seen=True)
    goto(ctx, DUPLICATES)
    lines = [ctx.t("report.duplicates_intro", count=len(near))]
    buttons: list[Button] = []
    for distance, report in near:
        lines.append(_duplicate_line(ctx, report, distance))
        buttons.append(
            Button(ctx.t("report.btn_follow", id=report.public_id), payload=f"rdup:{report.id}")
        )
    buttons.append(Button(ctx.t("report.btn_mine_is_different"), payload="rdup:new"))
    ctx.reply("\n\n".join(lines), rows(*buttons))
    return True


def _duplicate_line(ctx: Context, report: Report, distance: float) -> str:
    summary = (
        report.description if len(report.description) <= 120 else (report.description[:117] + "…")
    )
    return ctx.t(
        "report.duplicate_line",
        id=report.public_id,
        status=status_label(ctx, report.status),
        distance=round(distance),
        description=summary,
    )


@router.button("rdup", offered=True)
async def on_duplicate_choice(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != DUPLICATES:
        return stale(ctx)
    choice = _arg(msg)
    if choice == "new":
        return show_summary(ctx)
    report = await reports.get(ctx.session, report_id=int(choice)) if choice.isdigit() else None
    if report is None:
        return show_summary(ctx)
    try:
        await domain.follow(ctx.work, report)
    except Refused:
        return show_summary(ctx)
    await _discard_photos(ctx)
    ctx.state.clear()
    ctx.reply(ctx.t("report.now_following", id=report.public_id), main_menu(ctx))


@router.state(DUPLICATES, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_duplicates_other(msg: IncomingMessage, ctx: Context) -> None:
    ctx.state.update(duplicates_seen=False)
    if not await offer_duplicates(ctx):
        show_summary(ctx)


def show_summary(ctx: Context, note: str | None = None) -> None:
    goto(ctx, SUMMARY)
    data = ctx.state.data
    text = ctx.t(
        "report.summary",
        category=category_label(ctx, data["category"]),
        location=location_text(
            ctx,
            lat=data.get("lat"),
            lon=data.get("lon"),
            address=data.get("address"),
            district=data.get("district"),
        ),
        description=data["description"],
        photos=len(data.get("photos", [])),
    )
    if data.get("phone"):
        text += "\n" + ctx.t("report.summary_contact")
    ctx.reply(_with_note(note, text), summary_buttons(ctx))


def summary_buttons(ctx: Context) -> Rows:
    return rows(
        Button(ctx.t("report.btn_send"), payload="rs:send"),
        Button(ctx.t("report.btn_edit"), payload="rs:edit"),
        cancel_button(ctx),
    )


@router.button("rs")
async def on_summary_action(msg: IncomingMessage, ctx: Context) -> None:
    action = _arg(msg)
    if action == "cancel":
        if not in_report_flow(ctx):
            return stale(ctx)
        if not ctx.state.data.get("description"):
            return await _cancel(ctx)
        if ctx.state.name != CANCEL_CONFIRM:  # an old Cancel tapped again only asks again
            ctx.state.update(cancel_from=_step_to_resume(ctx))
        return ask_cancel_confirm(ctx)
    if ctx.state.name not in (SUMMARY, EDIT):
        return stale(ctx)
    if action == "edit":
        goto(ctx, EDIT)
        ctx.state.update(editing=True)
        ctx.reply(
            ctx.t("report.what_to_edit"),
            rows(
                Button(ctx.t("report.edit_category"), payload="re:category"),
                Button(ctx.t("report.edit_location"), payload="re:location"),
                Button(ctx.t("report.edit_description"), payload="re:description"),
                Button(ctx.t("report.edit_photos"), payload="re:photos"),
                Button(ctx.t("report.btn_back_to_summary"), payload="re:back"),
                per_row=2,
            ),
        )
        return
    if action == "send":
        await file_report(ctx)


@router.state(SUMMARY, EDIT, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO))
async def on_summary_other(msg: IncomingMessage, ctx: Context) -> None:
    show_summary(ctx, ctx.t("report.use_buttons"))


async def _cancel(ctx: Context) -> None:
    await _discard_photos(ctx)
    ctx.state.clear()
    show_menu(ctx, N_("report.cancelled"))


def ask_cancel_confirm(ctx: Context) -> None:
    """A filled-in draft is discarded only on a second, explicit tap."""
    goto(ctx, CANCEL_CONFIRM)
    ctx.reply(
        ctx.t("report.cancel_confirm"),
        rows(
            Button(ctx.t("report.btn_discard"), payload="rx:yes"),
            Button(ctx.t("report.btn_keep_draft"), payload="rx:no"),
        ),
    )


@router.button("rx")
async def on_cancel_confirm(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != CANCEL_CONFIRM:
        return stale(ctx)
    back_to = ctx.state.data.pop("cancel_from", None)
    if _arg(msg) == "yes":
        return await _cancel(ctx)
    goto(ctx, back_to if back_to in STEP_ASKS else _furthest_step(ctx))
    await ask_current_step(ctx)


@router.state(CANCEL_CONFIRM, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_cancel_confirm_other(msg: IncomingMessage, ctx: Context) -> None:
    ask_cancel_confirm(ctx)


@router.button("re")
async def on_edit_field(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != EDIT:
        return stale(ctx)
    field = _arg(msg)
    if field == "category":
        ctx.state.update(duplicates_seen=False)
        return ask_category(ctx)
    if field == "location":
        ctx.state.update(duplicates_seen=False)
        return ask_location(ctx)
    if field == "description":
        return ask_description(ctx)
    if field == "photos":
        return ask_edit_photos(ctx)
    show_summary(ctx)


def ask_edit_photos(ctx: Context) -> None:
    """The photos the draft has are kept unless the citizen replaces or removes them."""
    have = len(ctx.state.data.get("photos", []))
    if have == 0:
        return ask_photos(ctx)
    goto(ctx, EDIT_PHOTOS)
    buttons = [Button(ctx.t("report.btn_keep_photos"), payload="rep:keep")]
    if have < MAX_PHOTOS:
        buttons.append(Button(ctx.t("report.btn_add_photos"), payload="rep:add"))
    buttons += [
        Button(ctx.t("report.btn_replace_photos"), payload="rep:replace"),
        Button(ctx.t("report.btn_remove_photos"), payload="rep:remove"),
    ]
    ctx.reply(ctx.t("report.edit_photos_kept", count=have, max=MAX_PHOTOS), rows(*buttons))


@router.button("rep")
async def on_edit_photos(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != EDIT_PHOTOS:
        return stale(ctx)
    action = _arg(msg)
    if action == "add":
        return ask_photos(ctx)
    if action == "replace":
        ctx.state.update(replacing=True)
        return ask_photos(ctx)
    if action == "remove":
        await _discard_photos(ctx)
        ctx.state.update(photos=[])
        return show_summary(ctx, ctx.t("report.photos_removed"))
    show_summary(ctx)


@router.state(EDIT_PHOTOS, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_edit_photos_other(msg: IncomingMessage, ctx: Context) -> None:
    ask_edit_photos(ctx)


async def file_report(ctx: Context) -> None:
    data = ctx.state.data
    new = NewReport(
        category=data["category"],
        description=data["description"],
        source=ctx.address.channel,
        lat=data.get("lat"),
        lon=data.get("lon"),
        address=data.get("address"),
        district=data.get("district"),
        contact_phone=data.get("phone"),
    )
    photos = [
        NewPhoto(name=p["name"], width=p["w"], height=p["h"], size=p["size"])
        for p in data.get("photos", [])
    ]
    try:
        report = await domain.file(ctx.work, new, photos)
    except Refused as refusal:
        return _say_daily_limit(ctx, refusal)
    ctx.state.clear()
    ctx.reply(ctx.t("report.filed", id=report.public_id), main_menu(ctx))


# What each step asks when a draft is resumed there (the duplicates step goes to the summary:
# its offer was seen).
STEP_ASKS = {
    CATEGORY: ask_category,
    LOCATION: ask_location,
    LOCATION_CONFIRM: ask_location,
    ADDRESS: ask_address,
    DISTRICT: ask_district,
    DESCRIPTION: ask_description,
    PHOTOS: ask_photos,
    DUPLICATES: show_summary,
    SUMMARY: show_summary,
    EDIT: show_summary,
    EDIT_PHOTOS: ask_edit_photos,
}


# -- helpers ------------------------------------------------------------------------------


async def _over_daily_limit(ctx: Context) -> bool:
    try:
        await domain.check_daily_limit(ctx.work)
    except Refused as refusal:
        _say_daily_limit(ctx, refusal)
        return True
    return False


def _say_daily_limit(ctx: Context, refusal: Refused) -> None:
    ctx.reply(refusal_text(ctx, refusal), main_menu(ctx))


async def _discard_photos(ctx: Context) -> None:
    """Delete the draft's photo files once the transaction that drops them has committed."""
    if not in_report_flow(ctx):
        return
    _delete_after_commit(ctx, [photo["name"] for photo in ctx.state.data.get("photos", [])])


def _delete_after_commit(ctx: Context, names: list[str]) -> None:
    store = ctx.services.photos
    if store is None or not names:
        return

    async def delete() -> None:
        for name in names:
            await store.delete(name)

    ctx.after_commit.append(delete)


def _arg(msg: IncomingMessage) -> str:
    return (msg.payload or "").partition(":")[2]
