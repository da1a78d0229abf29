"""How reports are shown: labels, locations, times in the city's zone, cards, photos and
history; and a report found by the id a button carries."""

from __future__ import annotations

import logging

from bot.core.context import Context
from bot.domain.report_news import BAN_NOTE_PREFIX as BAN_NOTE_PREFIX  # for admin_bans.py
from bot.domain.report_news import STATUS_KEYS, public_note
from handlers.menu import main_menu
from handlers.reports.buttons import MAX_ID
from storage.models import Report, ReportEvent, ReportStatus
from storage.repos import reports

log = logging.getLogger(__name__)


def status_label(ctx: Context, status: str) -> str:
    return ctx.t(STATUS_KEYS[ReportStatus(status)])


def category_label(ctx: Context, code: str) -> str:
    category = ctx.services.city.category(code)
    return category.label(ctx.language) if category else code


def district_label(ctx: Context, code: str | None) -> str:
    district = ctx.services.city.district(code) if code else None
    return district.name(ctx.language) if district else ctx.t("report.district_unknown")


def location_text(
    ctx: Context,
    *,
    lat: float | None,
    lon: float | None,
    address: str | None,
    district: str | None,
) -> str:
    place = district_label(ctx, district)
    if address:
        return f"{address}, {place}"
    if lat is not None and lon is not None:
        return f"{place} ({lat:.5f}, {lon:.5f})"
    return place


def report_card(ctx: Context, report: Report, *, photos: int = 0) -> str:
    """The report's main facts, as the citizen and staff see them."""
    lines = [
        ctx.t("report.card_title", id=report.public_id, status=status_label(ctx, report.status)),
        ctx.t("report.card_category", category=category_label(ctx, report.category)),
        ctx.t(
            "report.card_location",
            location=location_text(
                ctx,
                lat=report.lat,
                lon=report.lon,
                address=report.address,
                district=report.district,
            ),
        ),
        ctx.t("report.card_filed", when=ctx.when(report.created_at)),
    ]
    if photos:
        lines.append(ctx.t("report.card_photos", count=photos))
    lines.append("")
    lines.append(report.description)
    return "\n".join(lines)


def history_text(ctx: Context, events: list[ReportEvent]) -> str:
    lines = [ctx.t("report.history_title")]
    for event in events:
        when = ctx.when(event.at)
        if event.kind == "reopened":
            line = ctx.t("report.history_reopened", when=when)
        elif event.kind == "confirmed":  # bot/domain/confirmation.py
            line = ctx.t("confirm.history_confirmed", when=when)
        elif event.to_status and event.kind in ("created", "status"):
            line = f"{when} — {status_label(ctx, event.to_status)}"
        else:
            continue  # moderation events are not part of the public history
        note = public_note(ctx.services.city, ctx.language, event.note)
        if note and event.kind != "created":
            line += f"\n   “{note}”"
        lines.append(line)
    return "\n".join(lines)


async def send_photos(ctx: Context, report: Report, names: list[str]) -> None:
    """Each photo as an image message, captioned with the report's id."""
    store = ctx.services.photos
    if store is None:
        return
    for number, name in enumerate(names, start=1):
        try:
            content = await store.read(name)
        except (FileNotFoundError, ValueError):
            log.warning("photo %d of report %s is missing", number, report.public_id)
            continue
        ctx.reply(f"📷 {report.public_id} ({number}/{len(names)})", image=content)


async def find_report(ctx: Context, report_id: object, *, lock: bool = False) -> Report | None:
    """The report a button or a conversation step names by id; None if there is none (an id
    that is not a 32-bit number names none)."""
    if not isinstance(report_id, int) or not 0 < report_id <= MAX_ID:
        return None
    if lock:
        return await reports.get_for_update(ctx.session, report_id=report_id)
    return await reports.get(ctx.session, report_id=report_id)


def say_unavailable(ctx: Context) -> None:
    """A citizen's button names a report they may not see, or one that is gone."""
    ctx.reply(ctx.t("followup.unavailable"), main_menu(ctx))
