"""Citizens report a city problem: category → location → description → photos → nearby
duplicates → summary → filed. The draft lives in the conversation state, so a flow left midway
can be resumed with the next /report (at the step where it was left, draft intact).

A draft with a description is discarded only after a confirmation. Edit → Photos keeps the
photos until new ones replace them (or the citizen removes them); their files are deleted after
the commit that drops them. The "Follow" buttons of the duplicates step are valid only as
offered (`offered=True`): a typed or forged `rdup:<id>` of another report is refused.

The steps and what each asks are one table, FLOW, at the end; each button belongs to its
step (`state=`), so an old keyboard's button is answered once, by handlers/fallback.py.
`/report SOF-…` opens a report (open_report.py); staff are first asked which report
(staff_list.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.city.geo import bounding_box, haversine_m
from bot.core.context import Context
from bot.core.conversation import Conversation
from bot.core.messages import Button, IncomingMessage, Kind, Rows, rows
from bot.core.router import Router
from bot.domain import reports as domain
from bot.domain.errors import Refused
from bot.domain.reports import NewPhoto, NewReport
from bot.i18n import N_
from bot.media.photos import ProcessedPhoto
from bot.media.preload import PhotoProblem
from handlers.fallback import fallback
from handlers.menu import main_menu, menu_entry, show_menu
from handlers.refusals import refusal_text
from handlers.reports.buttons import (
    CategoryButton,
    DiscardChoice,
    DistrictButton,
    DuplicateChoice,
    EditField,
    EditPhotos,
    KnownOutageChoice,
    PhotosDone,
    PlaceChoice,
    ResumeChoice,
    SummaryAction,
)
from handlers.reports.known_outage import known_outage
from handlers.reports.open_report import open_by_public_id
from handlers.reports.staff_list import offer_reports
from handlers.reports.views import category_label, location_text, status_label
from storage.models import Report
from storage.repos import feeds, reports

router = Router("report_file")

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
FLOW_STATES = "report.*"  # every step (FLOW.any: FLOW is defined below, after its asks)

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


# -- entry --------------------------------------------------------------------------------


@menu_entry("report")
async def start_report(ctx: Context) -> None:
    if FLOW.active(ctx) and ctx.state.data.get("category"):
        ctx.state.update(resume_to=_step_to_resume(ctx))
        FLOW.goto(ctx, RESUME)
        return
    await _discard_photos(ctx)
    if await _over_daily_limit(ctx):
        return
    ctx.state.clear()
    FLOW.goto(ctx, CATEGORY)


def ask_resume(ctx: Context) -> None:
    ctx.reply(
        ctx.t("report.resume_offer"),
        rows(
            ResumeChoice(ResumeChoice.CONTINUE).button(ctx.t("report.btn_continue")),
            ResumeChoice(ResumeChoice.RESTART).button(ctx.t("report.btn_start_over")),
        ),
    )


@router.command("report")
async def on_report_command(msg: IncomingMessage, ctx: Context) -> None:
    if msg.args.strip():
        await open_by_public_id(ctx, msg.args.strip())
        return
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


@router.button(ResumeChoice, state=RESUME)
async def on_resume_choice(msg: IncomingMessage, ctx: Context) -> None:
    resume_to = ctx.state.data.pop("resume_to", None)
    if ResumeChoice.of(msg).choice == ResumeChoice.CONTINUE:
        resume_at(ctx, resume_to)
        return
    await _discard_photos(ctx)
    ctx.state.clear()
    await start_report(ctx)


def resume_at(ctx: Context, step: object) -> None:
    """Ask the step a draft was left at again (the furthest its data allows if unknown)."""
    if step not in RESUMABLE:
        step = _furthest_step(ctx)
    FLOW.goto(ctx, RESUME_AT.get(str(step), str(step)))


def cancel_button(ctx: Context) -> Button:
    return SummaryAction(SummaryAction.CANCEL).button(ctx.t("report.btn_cancel"))


# -- category -----------------------------------------------------------------------------


def _with_note(note: str | None, text: str) -> str:
    return f"{note}\n\n{text}" if note else text


def ask_category(ctx: Context, note: str | None = None) -> None:
    buttons = [
        CategoryButton(c.code).button(c.short_name(ctx.language))
        for c in ctx.services.city.categories
    ]
    ctx.reply(
        _with_note(note, ctx.t("report.ask_category")),
        rows(*buttons, (cancel_button(ctx),), per_row=2),
    )


@router.button(CategoryButton, state=CATEGORY)
async def on_category(msg: IncomingMessage, ctx: Context) -> None:
    code = CategoryButton.of(msg).code
    if ctx.services.city.category(code) is None:
        return FLOW.ask_again(ctx)
    ctx.state.update(category=code)
    await next_step(ctx, after=CATEGORY)


@router.state(CATEGORY, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_category_not_chosen(msg: IncomingMessage, ctx: Context) -> None:
    FLOW.ask_again(ctx, note=ctx.t("report.choose_category_first"))


# -- location -----------------------------------------------------------------------------


def ask_location(ctx: Context, note: str | None = None) -> None:
    ctx.reply(
        _with_note(note, ctx.t("report.ask_location")),
        rows(
            Button(ctx.t("report.btn_send_location"), request_location=True),
            PlaceChoice(PlaceChoice.TYPE_ADDRESS).button(ctx.t("report.btn_type_address")),
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
        note = ctx.t("report.outside_city", city=city.name(ctx.language))
        return FLOW.goto(ctx, LOCATION, note=note)
    if city.is_default_point(lat, lon) and ctx.state.name != LOCATION_CONFIRM:
        ctx.state.update(pending_location=[lat, lon, district.code])
        FLOW.goto(ctx, LOCATION_CONFIRM)
        return
    await _accept_location(ctx, lat, lon, district.code)


def ask_pin_is_right(ctx: Context) -> None:
    """A pin on the city's default point is often the map's centre, not the problem's place."""
    ctx.reply(
        ctx.t("report.default_point_query"),
        rows(
            PlaceChoice(PlaceChoice.PIN_IS_RIGHT).button(ctx.t("report.btn_yes_here")),
            Button(ctx.t("report.btn_send_another"), request_location=True),
            PlaceChoice(PlaceChoice.TYPE_ADDRESS).button(ctx.t("report.btn_type_address")),
        ),
    )


async def _accept_location(ctx: Context, lat: float, lon: float, district: str) -> None:
    ctx.state.data.pop("pending_location", None)
    ctx.state.update(lat=lat, lon=lon, district=district, address=None)
    name = ctx.services.city.district(district)
    ctx.reply(ctx.t("report.district_detected", district=name.name(ctx.language) if name else ""))
    category = ctx.state.data.get("category")
    if category and await known_outage(ctx, category=category, lat=lat, lon=lon):
        return  # an official alert already covers it (on_known_outage takes the answer)
    await next_step(ctx, after=LOCATION)


@router.button(KnownOutageChoice, state=LOCATION)
async def on_known_outage(msg: IncomingMessage, ctx: Context) -> None:
    """A message when the alert ends (the draft is dropped), or file the report anyway."""
    alert_id = ctx.state.data.get("known_alert")
    if alert_id is None:
        # Not offered in this step (an older keyboard): the one stale answer.
        return await fallback(msg, ctx)
    if KnownOutageChoice.of(msg).alert_id == alert_id:
        assert ctx.citizen.id is not None
        await feeds.watch(ctx.session, alert_id=alert_id, citizen_id=ctx.citizen.id, now=ctx.now)
        await _discard_photos(ctx)
        ctx.state.clear()
        ctx.reply(ctx.t("feeds.watching"), main_menu(ctx))
        return
    ctx.state.data.pop("known_alert", None)
    await next_step(ctx, after=LOCATION)


@router.button(PlaceChoice, state=(LOCATION, LOCATION_CONFIRM))
async def on_location_button(msg: IncomingMessage, ctx: Context) -> None:
    action = PlaceChoice.of(msg).choice
    if action == PlaceChoice.PIN_IS_RIGHT and ctx.state.name == LOCATION_CONFIRM:
        pending = ctx.state.data.get("pending_location")
        if pending:
            lat, lon, district = pending
            return await _accept_location(ctx, lat, lon, district)
    if action == PlaceChoice.TYPE_ADDRESS:
        return FLOW.goto(ctx, ADDRESS)
    FLOW.goto(ctx, LOCATION)


@router.state(LOCATION, LOCATION_CONFIRM)
async def on_text_instead_of_location(msg: IncomingMessage, ctx: Context) -> None:
    # A typed place is an address: take it and ask for the district.
    await _take_address(msg, ctx)


@router.state(LOCATION, LOCATION_CONFIRM, ADDRESS, kinds=(Kind.PHOTO, Kind.CONTACT))
async def on_wrong_kind_for_location(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("report.location_expected"))


def ask_address(ctx: Context, note: str | None = None) -> None:
    ctx.reply(_with_note(note, ctx.t("report.ask_address")), rows(cancel_button(ctx)))


@router.state(ADDRESS)
async def on_address(msg: IncomingMessage, ctx: Context) -> None:
    await _take_address(msg, ctx)


@router.state(ADDRESS, kinds=(Kind.LOCATION,))
async def on_location_after_all(msg: IncomingMessage, ctx: Context) -> None:
    ctx.state.name = LOCATION
    await on_location(msg, ctx)


async def _take_address(msg: IncomingMessage, ctx: Context) -> None:
    text = " ".join(msg.text.split())
    if len(text) < ADDRESS_MIN:
        return FLOW.goto(ctx, ADDRESS, note=ctx.t("report.address_too_short"))
    if len(text) > ADDRESS_MAX:
        return FLOW.goto(ctx, ADDRESS, note=ctx.t("report.address_too_long", max=ADDRESS_MAX))
    ctx.state.update(address=text, lat=None, lon=None, district=None)
    FLOW.goto(ctx, DISTRICT)


def ask_district(ctx: Context) -> None:
    buttons = [
        DistrictButton(d.code).button(d.name(ctx.language)) for d in ctx.services.city.districts
    ]
    ctx.reply(ctx.t("report.ask_district"), rows(*buttons, (cancel_button(ctx),), per_row=3))


@router.button(DistrictButton, state=DISTRICT)
async def on_district(msg: IncomingMessage, ctx: Context) -> None:
    district = ctx.services.city.district(DistrictButton.of(msg).code)
    if district is None:
        return FLOW.ask_again(ctx)
    ctx.state.update(district=district.code)
    await next_step(ctx, after=LOCATION)


@router.state(DISTRICT, kinds=(Kind.TEXT, Kind.PHOTO, Kind.CONTACT))
async def on_district_not_chosen(msg: IncomingMessage, ctx: Context) -> None:
    FLOW.ask_again(ctx)


@router.state(DISTRICT, kinds=(Kind.LOCATION,))
async def on_location_in_district_step(msg: IncomingMessage, ctx: Context) -> None:
    ctx.state.name = LOCATION
    await on_location(msg, ctx)


# -- description --------------------------------------------------------------------------


def ask_description(ctx: Context) -> None:
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
    have = len(ctx.state.data.get("photos", []))
    if ctx.state.data.get("replacing"):
        key, done = N_("report.ask_replacement_photos"), N_("report.btn_keep_photos")
    elif have == 0:
        key, done = N_("report.ask_photos"), N_("report.btn_skip_photos")
    else:
        key, done = N_("report.ask_more_photos"), N_("report.btn_photos_done")
    ctx.reply(
        ctx.t(key, max=MAX_PHOTOS, count=have),
        rows(PhotosDone().button(ctx.t(done)), cancel_button(ctx)),
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
        rows(PhotosDone().button(ctx.t("report.btn_photos_done")), cancel_button(ctx)),
    )


@router.button(PhotosDone, state=PHOTOS)
async def on_photos_done(msg: IncomingMessage, ctx: Context) -> None:
    ctx.state.data.pop("replacing", None)  # nothing new came: the photos stay
    await next_step(ctx, after=PHOTOS)


@router.state(PHOTOS, kinds=(Kind.TEXT, Kind.LOCATION))
async def on_photos_other(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(
        ctx.t("report.photo_expected"),
        rows(PhotosDone().button(ctx.t("report.btn_photos_done")), cancel_button(ctx)),
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
        return FLOW.goto(ctx, SUMMARY)
    if after == CATEGORY:
        return FLOW.goto(ctx, LOCATION)
    if after == LOCATION:
        return FLOW.goto(ctx, DESCRIPTION)
    if after == DESCRIPTION:
        return FLOW.goto(ctx, PHOTOS)
    if await offer_duplicates(ctx):
        return
    FLOW.goto(ctx, SUMMARY)


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
    FLOW.goto(ctx, DUPLICATES, near=near)
    return True


def ask_duplicates(ctx: Context, near: list[tuple[float, Report]] | None = None) -> None:
    """Follow one of the reports nearby, or send mine. Entered with the reports found; asked
    again (a draft resumed here), the offer was seen: the summary instead."""
    if not near:
        return FLOW.goto(ctx, SUMMARY)
    lines = [ctx.t("report.duplicates_intro", count=len(near))]
    buttons: list[Button] = []
    for distance, report in near:
        lines.append(_duplicate_line(ctx, report, distance))
        assert report.id is not None
        label = ctx.t("report.btn_follow", id=report.public_id)
        buttons.append(DuplicateChoice.follow(report.id).button(label))
    new = DuplicateChoice(DuplicateChoice.NEW)
    buttons.append(new.button(ctx.t("report.btn_mine_is_different")))
    ctx.reply("\n\n".join(lines), rows(*buttons))


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


@router.button(DuplicateChoice, offered=True, state=DUPLICATES)
async def on_duplicate_choice(msg: IncomingMessage, ctx: Context) -> None:
    report_id = DuplicateChoice.of(msg).report_id
    report = await reports.get(ctx.session, report_id=report_id) if report_id else None
    if report is None:  # "mine is different", or the report is gone
        return FLOW.goto(ctx, SUMMARY)
    try:
        await domain.follow(ctx.work, report)
    except Refused:
        return FLOW.goto(ctx, SUMMARY)
    await _discard_photos(ctx)
    ctx.state.clear()
    ctx.reply(ctx.t("report.now_following", id=report.public_id), main_menu(ctx))


@router.state(DUPLICATES, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_duplicates_other(msg: IncomingMessage, ctx: Context) -> None:
    ctx.state.update(duplicates_seen=False)
    if not await offer_duplicates(ctx):
        FLOW.goto(ctx, SUMMARY)


def show_summary(ctx: Context, note: str | None = None) -> None:
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
        SummaryAction(SummaryAction.SEND).button(ctx.t("report.btn_send")),
        SummaryAction(SummaryAction.EDIT).button(ctx.t("report.btn_edit")),
        cancel_button(ctx),
    )


@router.button(SummaryAction, state=FLOW_STATES)
async def on_summary_action(msg: IncomingMessage, ctx: Context) -> None:
    action = SummaryAction.of(msg).action
    if action == SummaryAction.CANCEL:  # Cancel stands in every step of the flow
        if not ctx.state.data.get("description"):
            return await _cancel(ctx)
        if ctx.state.name != CANCEL_CONFIRM:  # an old Cancel tapped again only asks again
            ctx.state.update(cancel_from=_step_to_resume(ctx))
        return FLOW.goto(ctx, CANCEL_CONFIRM)
    if ctx.state.name not in (SUMMARY, EDIT):
        # Send and Edit belong to the summary: elsewhere, the one stale answer.
        return await fallback(msg, ctx)
    if action == SummaryAction.EDIT:
        ctx.state.update(editing=True)
        FLOW.goto(ctx, EDIT)
        return
    if action == SummaryAction.SEND:
        await file_report(ctx)


def ask_what_to_edit(ctx: Context) -> None:
    ctx.reply(
        ctx.t("report.what_to_edit"),
        rows(
            EditField("category").button(ctx.t("report.edit_category")),
            EditField("location").button(ctx.t("report.edit_location")),
            EditField("description").button(ctx.t("report.edit_description")),
            EditField("photos").button(ctx.t("report.edit_photos")),
            EditField("back").button(ctx.t("report.btn_back_to_summary")),
            per_row=2,
        ),
    )


@router.state(SUMMARY, EDIT, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO))
async def on_summary_other(msg: IncomingMessage, ctx: Context) -> None:
    FLOW.goto(ctx, SUMMARY, note=ctx.t("report.use_buttons"))


async def _cancel(ctx: Context) -> None:
    await _discard_photos(ctx)
    ctx.state.clear()
    show_menu(ctx, N_("report.cancelled"))


def ask_cancel_confirm(ctx: Context) -> None:
    """A filled-in draft is discarded only on a second, explicit tap."""
    ctx.reply(
        ctx.t("report.cancel_confirm"),
        rows(
            DiscardChoice(DiscardChoice.DISCARD).button(ctx.t("report.btn_discard")),
            DiscardChoice(DiscardChoice.KEEP).button(ctx.t("report.btn_keep_draft")),
        ),
    )


@router.button(DiscardChoice, state=CANCEL_CONFIRM)
async def on_cancel_confirm(msg: IncomingMessage, ctx: Context) -> None:
    back_to = ctx.state.data.pop("cancel_from", None)
    if DiscardChoice.of(msg).choice == DiscardChoice.DISCARD:
        return await _cancel(ctx)
    resume_at(ctx, back_to)


@router.state(CANCEL_CONFIRM, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_cancel_confirm_other(msg: IncomingMessage, ctx: Context) -> None:
    FLOW.ask_again(ctx)


@router.button(EditField, state=EDIT)
async def on_edit_field(msg: IncomingMessage, ctx: Context) -> None:
    field = EditField.of(msg).field
    if field == "category":
        ctx.state.update(duplicates_seen=False)
        return FLOW.goto(ctx, CATEGORY)
    if field == "location":
        ctx.state.update(duplicates_seen=False)
        return FLOW.goto(ctx, LOCATION)
    if field == "description":
        return FLOW.goto(ctx, DESCRIPTION)
    if field == "photos":
        return FLOW.goto(ctx, EDIT_PHOTOS)
    FLOW.goto(ctx, SUMMARY)


def ask_edit_photos(ctx: Context) -> None:
    """The photos the draft has are kept unless the citizen replaces or removes them."""
    have = len(ctx.state.data.get("photos", []))
    if have == 0:
        return FLOW.goto(ctx, PHOTOS)
    buttons = [EditPhotos("keep").button(ctx.t("report.btn_keep_photos"))]
    if have < MAX_PHOTOS:
        buttons.append(EditPhotos("add").button(ctx.t("report.btn_add_photos")))
    buttons += [
        EditPhotos("replace").button(ctx.t("report.btn_replace_photos")),
        EditPhotos("remove").button(ctx.t("report.btn_remove_photos")),
    ]
    ctx.reply(ctx.t("report.edit_photos_kept", count=have, max=MAX_PHOTOS), rows(*buttons))


@router.button(EditPhotos, state=EDIT_PHOTOS)
async def on_edit_photos(msg: IncomingMessage, ctx: Context) -> None:
    action = EditPhotos.of(msg).action
    if action == "add":
        return FLOW.goto(ctx, PHOTOS)
    if action == "replace":
        ctx.state.update(replacing=True)
        return FLOW.goto(ctx, PHOTOS)
    if action == "remove":
        await _discard_photos(ctx)
        ctx.state.update(photos=[])
        return FLOW.goto(ctx, SUMMARY, note=ctx.t("report.photos_removed"))
    FLOW.goto(ctx, SUMMARY)


@router.state(EDIT_PHOTOS, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_edit_photos_other(msg: IncomingMessage, ctx: Context) -> None:
    FLOW.ask_again(ctx)


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
    body = ctx.services.city.body(report.body_code)
    filed = ctx.t(
        "report.filed",
        id=report.public_id,
        body=body.name(ctx.language) if body else ctx.services.city.name(ctx.language),
        date=ctx.when(report.resolve_due_at, "date") if report.resolve_due_at else "—",
    )
    ctx.reply(filed, main_menu(ctx))


# The filing conversation: each step and what entering it asks.
FLOW = Conversation(
    "report",
    {
        CATEGORY: ask_category,
        LOCATION: ask_location,
        LOCATION_CONFIRM: ask_pin_is_right,
        ADDRESS: ask_address,
        DISTRICT: ask_district,
        DESCRIPTION: ask_description,
        PHOTOS: ask_photos,
        DUPLICATES: ask_duplicates,
        SUMMARY: show_summary,
        EDIT: ask_what_to_edit,
        EDIT_PHOTOS: ask_edit_photos,
        CANCEL_CONFIRM: ask_cancel_confirm,
        RESUME: ask_resume,
    },
)
# The steps a draft can be resumed at, and where each resumes: the pin's check asks for the
# place again, the duplicates' offer was seen and editing shows the summary again.
RESUMABLE = set(FLOW.states) - {CANCEL_CONFIRM, RESUME}
RESUME_AT = {LOCATION_CONFIRM: LOCATION, DUPLICATES: SUMMARY, EDIT: SUMMARY}


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
    if not FLOW.active(ctx):
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
