"""What a body hears of its reports, and where: the hook the domain calls when a report reaches a
body (filed and routed to it, or reassigned to it), the body's team chat and each staff
member's own choice.

- `report_reached_body` runs inside the filing's or the reassignment's transaction: it queues
  outbox rows (the delivery engine sends them right after the commit,
  `work.deliver_after_commit`), never sends anything itself. One message goes to the body's
  team chat (linked by an admin inside a group, `link_chat`, or named by the pack's
  bodies.json), one to each of the body's staff who chose every report (the default), on each
  of their channels; staff who chose the daily digest hear of it in the digest
  (bot/domain/body_reminders.py), staff who chose none do not. The one who made the change
  (a reassignment) is not told of it. A hidden report (a banned citizen's) is not announced.
- The message: public id, category, place, a snippet of the description, the deadlines, with
  buttons Acknowledge / Assign to me / Open. The domain imports no interface, so the buttons
  are plain data (scheduler/payloads.py) naming the chat's body routes: `bak:<report id>`,
  `bam:<report id>`, `bop:<report id>` (handlers/bodies/buttons.py parses them, and the taps
  are checked against the tapper's role and body by bot/domain/handling.py).
- A burst: when more of a team chat's new-report messages wait than Telegram lets into a
  group soon (20 a minute), the delivery engine sends them as one (scheduler/delivery/
  bundling.py): the team chat's row is of kind "body_news" and carries, besides its own
  text and buttons, its part of such a message (`combined`: line, public id, Open button's
  payload); `combined_payload` writes the
  message: "N new reports", the first COMBINED_LINES lines, "and M more", an Open button for
  the first COMBINED_OPEN and one for the list of new reports (`bls`: the tapper's /reports
  of new reports, in their private chat). Reassignments are not combined (each has a reason).
- `link_chat` / `unlink_chat`: admins only, inside a group; `set_notify`: staff choose.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from bot.city.bodies import Body
from bot.domain import forwarding_queue
from bot.domain.bodies import members_told
from bot.domain.errors import Refused
from bot.domain.work import Work
from bot.i18n import N_, Translator, format_when, shorten
from storage.models import OutboxKind, Report, Role
from storage.repos import bodies as bodies_repo
from storage.repos import outbox

log = logging.getLogger(__name__)

Why = Literal["filed", "reassigned"]

# The chat's body buttons (handlers/bodies/buttons.py keeps this wire format).
ACK_PREFIX = "bak"
ASSIGN_ME_PREFIX = "bam"
OPEN_PREFIX = "bop"
LIST_NEW_PREFIX = "bls"  # the new reports of the tapper's bodies (a combined message's)
ASSIGN_TO_PREFIX = "sas"  # "Assign to…": the body's staff to choose from (handlers/reports/card.py)
ACK_LABEL = N_("bodies.btn_acknowledge")
ASSIGN_ME_LABEL = N_("bodies.btn_assign_me")
OPEN_LABEL = N_("bodies.btn_open")
ASSIGN_TO_LABEL = N_("bodies.btn_assign_to")
LIST_NEW_LABEL = N_("bodies.btn_list_new")

EVERY, DIGEST, NONE = "every", "digest", "none"
NOTIFY_MODES = (EVERY, DIGEST, NONE)
SNIPPET = 160  # characters of the description in a notification
LINE_MAX = 200  # characters of a report's line in a combined message
COMBINED_LINES = 20  # reports named in a combined message (the others counted)
COMBINED_OPEN = 4  # reports with an Open button in a combined message
TEXT_MAX = 4000  # a message's characters at most (Telegram takes 4096)

Button = dict[str, str]


async def report_reached_body(
    work: Work, report: Report, *, why: Why, reason: str | None = None
) -> None:
    """`report` is now `report.body_code`'s: a new report, or one reassigned (with `reason`)."""
    log.debug("report %s reached body %s (%s)", report.public_id, report.body_code, why)
    await forwarding_queue.queue(work, report, why=why)  # a body outside the bot: email, Open311
    body = work.city.body(report.body_code)
    if body is None or report.hidden:
        return
    queued: list[int] = []
    chat = await team_chat(work, body)
    if chat is not None:
        language = work.settings.default_language
        payload = news_payload(work, language, body, report, why, reason)
        kind = OutboxKind.DIRECT.value
        if why == "filed":  # combined with others when many wait (the module's docstring)
            payload["combined"] = {
                "line": combined_line(work, language, report),
                "id": report.public_id,
                "open": f"{OPEN_PREFIX}:{report.id}",
            }
            kind = OutboxKind.BODY_NEWS.value
        row = await outbox.enqueue_direct(
            work.session,
            citizen_id=None,
            channel=chat[0],
            user_id=chat[1],
            language=language,
            payload=payload,
            urgent=True,
            now=work.now,
            kind=kind,
        )
        assert row.id is not None
        queued.append(row.id)
    members = await members_told(work, [body.code], mode=EVERY)
    for recipient, _ in members:
        if recipient.citizen_id == work.actor.citizen_id:
            continue
        payload = news_payload(work, recipient.language, body, report, why, reason)
        queued.append(await work.tell(recipient, payload))
    work.deliver_after_commit(queued)


async def team_chat(work: Work, body: Body) -> tuple[str, str] | None:
    """(channel, chat id) of the body's team chat: the one linked in a group, else the
    pack's; None without one."""
    link = await bodies_repo.chat_of(work.session, body_code=body.code)
    if link is not None:
        if link.broken_at is not None:
            return None  # unreachable (team_chat_lost): its members are told in private
        return link.channel, link.chat_id
    return body.team_chat


def news_payload(
    work: Work, language: str, body: Body, report: Report, why: Why, reason: str | None
) -> dict[str, Any]:
    def t(key: str, /, **values: object) -> str:
        return work.translator.translate(language, key, **values)

    if why == "reassigned":
        lines = [t("bodies.news_reassigned", id=report.public_id, body=body.name(language))]
        if reason:
            lines.append(t("bodies.news_reason", reason=reason))
    else:
        lines = [t("bodies.news_new", id=report.public_id, body=body.name(language))]
    lines += report_lines(work, language, report)
    assert report.id is not None
    buttons = [
        [
            _button(t(ACK_LABEL), f"{ACK_PREFIX}:{report.id}"),
            _button(t(ASSIGN_ME_LABEL), f"{ASSIGN_ME_PREFIX}:{report.id}"),
        ],
        [
            _button(t(ASSIGN_TO_LABEL), f"{ASSIGN_TO_PREFIX}:{report.id}"),
            _button(t(OPEN_LABEL), f"{OPEN_PREFIX}:{report.id}"),
        ],
    ]
    return {"text": "\n".join(lines), "buttons": buttons}


def report_lines(work: Work, language: str, report: Report) -> list[str]:
    """Category, place, snippet and deadlines, as a body's staff read them."""

    def t(key: str, /, **values: object) -> str:
        return work.translator.translate(language, key, **values)

    category = work.city.category(report.category)
    lines = [t("bodies.news_category", category=category.label(language) if category else "?")]
    place = [report.address] if report.address else []
    district = work.city.district(report.district) if report.district else None
    if district is not None:
        place.append(district.name(language))
    if place:
        lines.append(t("bodies.news_place", place=", ".join(place)))
    snippet = shorten(" ".join(report.description.split()), SNIPPET)
    if snippet:
        lines.append(f"„{snippet}“" if language == "bg" else f"“{snippet}”")
    tz = work.city.timezone
    if report.ack_due_at is not None and report.acknowledged_at is None:
        lines.append(t("bodies.news_ack_by", when=format_when(report.ack_due_at, language, tz)))
    if report.resolve_due_at is not None:
        when = format_when(report.resolve_due_at, language, tz, "date")
        lines.append(t("bodies.news_resolve_by", when=when))
    return lines


def category_and_due(work: Work, language: str, report: Report) -> tuple[str, str]:
    """A report's category and the date by which it is due (resolved, else acknowledged), as
    a list of reports shows them."""
    category = work.city.category(report.category)
    due = report.resolve_due_at or report.ack_due_at
    when = format_when(due, language, work.city.timezone, "date") if due is not None else "—"
    return (category.label(language) if category else report.category), when


def combined_line(work: Work, language: str, report: Report) -> str:
    """The report's line in a combined message: public id, category, address (or district),
    the date by which it should be resolved."""
    district = work.city.district(report.district) if report.district else None
    place = report.address or (district.name(language) if district is not None else "—")
    category, due = category_and_due(work, language, report)
    line = work.translator.translate(
        language,
        "bodies.combined_line",
        id=report.public_id,
        category=category,
        place=" ".join(place.split()),
        due=due,
    )
    return shorten(line, LINE_MAX)


def combined_payload(
    translator: Translator, language: str, payloads: list[dict[str, Any]]
) -> dict[str, Any]:
    """One message for the team chat carrying these news (their rows' payloads, oldest
    first): "N new reports", a line each for the first COMBINED_LINES (fewer if the text
    would pass TEXT_MAX), "and M more", an Open button for the first COMBINED_OPEN reports and
    one for the list of new reports."""
    count = len(payloads)
    items = [_item(payload) for payload in payloads]
    head = translator.translate_n(language, "bodies.combined_title", count, count=count)
    lines: list[str] = []
    size = len(head) + 200  # room for the "and M more" line
    for item in items[:COMBINED_LINES]:
        line = item["line"]
        if size + len(line) + 1 > TEXT_MAX:
            break
        lines.append(line)
        size += len(line) + 1
    text = [head, "", *lines]
    if more := count - len(lines):
        text += ["", translator.translate_n(language, "bodies.combined_more", more, count=more)]
    opens = [
        _button(f"{translator.translate(language, OPEN_LABEL)} {item['id']}", item["open"])
        for item in items[:COMBINED_OPEN]
        if item.get("id") and item.get("open")
    ]
    buttons = [opens[i : i + 2] for i in range(0, len(opens), 2)]
    buttons.append([_button(translator.translate(language, LIST_NEW_LABEL), LIST_NEW_PREFIX)])
    return {"text": "\n".join(text), "buttons": buttons}


def _item(payload: dict[str, Any]) -> dict[str, str]:
    """A news payload's part for a combined message (its first line if it has none)."""
    item = payload.get("combined")
    if isinstance(item, dict) and isinstance(item.get("line"), str):
        return item
    return {"line": str(payload.get("text", "")).split("\n", 1)[0][:LINE_MAX]}


def _button(label: str, payload: str) -> Button:
    return {"label": label, "payload": payload}


# -- the team chat and each member's choice ----------------------------------------------------


async def link_chat(work: Work, body_code: str, *, channel: str, chat_id: str | None) -> Body:
    """The group (channel, chat_id) becomes the body's team chat (replacing an earlier one).
    Admins only; refused outside a group ("not_a_group") and for a body the pack does not
    have ("unknown_body")."""
    work.actor.require(Role.ADMIN)
    if chat_id is None:
        raise Refused("not_a_group", N_("bodies.link_in_group"))
    body = work.city.body(body_code.strip().lower())
    if body is None:
        raise Refused("unknown_body", N_("bodies.unknown_body"), body=body_code.strip()[:32])
    await bodies_repo.link_chat(
        work.session,
        body_code=body.code,
        channel=channel,
        chat_id=chat_id,
        linked_by=work.actor.citizen_id,
    )
    await work.audit("link_chat", "body", body.code, channel=channel)
    log.info("body %s: team chat linked on %s by %s", body.code, channel, work.actor.ref)
    return body


async def unlink_chat(
    work: Work, body_code: str | None, *, channel: str, chat_id: str | None
) -> list[str]:
    """The group is no longer the team chat of `body_code` (of every body it serves when
    None). Admins only, inside the group; Refused("not_linked") when it serves none of them."""
    work.actor.require(Role.ADMIN)
    if chat_id is None:
        raise Refused("not_a_group", N_("bodies.link_in_group"))
    linked = await bodies_repo.bodies_of_chat(work.session, channel=channel, chat_id=chat_id)
    if body_code:
        wanted = body_code.strip().lower()
        linked = [code for code in linked if code == wanted]
    if not linked:
        raise Refused("not_linked", N_("bodies.not_linked"))
    for code in linked:
        await bodies_repo.unlink_chat(work.session, body_code=code)
        await work.audit("unlink_chat", "body", code, channel=channel)
    return linked


async def notify_mode(work: Work) -> str:
    work.actor.require(Role.STAFF)
    assert work.actor.citizen_id is not None
    return await bodies_repo.notify_mode(work.session, citizen_id=work.actor.citizen_id)


async def set_notify(work: Work, mode: str) -> None:
    """A staff member's own choice of how they hear of their bodies' new reports."""
    work.actor.require(Role.STAFF)
    if mode not in NOTIFY_MODES or work.actor.citizen_id is None:
        raise Refused("stale", N_("staff.stale"))
    await bodies_repo.set_notify_mode(
        work.session, citizen_id=work.actor.citizen_id, mode=mode, now=work.now
    )


# -- a team chat that moved or cannot be reached ------------------------------------------------


async def team_chat_moved(work: Work, *, channel: str, old_id: str, new_id: str) -> list[str]:
    """The group became another chat (Telegram: a group upgraded to a supergroup gets a new
    id, `migrate_to_chat_id`): the bodies whose team chat it was follow it. A platform's
    fact, reported by the channel or the delivery engine as a system actor. A chat the pack
    names (bodies.json) is linked first, so the new id is kept. The codes."""
    await _adopt_pack_chat(work, channel=channel, chat_id=old_id)
    codes = await bodies_repo.move_chat(work.session, channel=channel, old_id=old_id, new_id=new_id)
    for code in codes:
        await work.audit("chat_moved", "body", code, channel=channel)
        log.info("body %s: its team chat on %s moved to a new id", code, channel)
    return codes


async def team_chat_lost(work: Work, *, channel: str, chat_id: str) -> list[str]:
    """The group cannot be reached any more (the bot was removed, the chat is gone): each
    body whose team chat it is has the link marked broken (nothing more is posted there,
    `team_chat`), and, once, its members (staff and admins, bot/domain/roles.py) are told in
    private whatever their /notify choice. Relinking (`link_chat`) mends it. The codes
    newly marked. A chat the pack names (bodies.json) is linked first, to be marked."""
    await _adopt_pack_chat(work, channel=channel, chat_id=chat_id)
    codes = await bodies_repo.mark_broken(
        work.session, channel=channel, chat_id=chat_id, now=work.now
    )
    queued: list[int] = []
    for code in codes:
        await work.audit("chat_lost", "body", code, channel=channel)
        log.warning("body %s: its team chat on %s cannot be reached", code, channel)
        body = work.city.body(code)
        if body is None:
            continue
        for recipient, _ in await members_told(work, [code], mode=None):
            language = recipient.language
            text = work.translator.translate(
                language, "bodies.chat_lost", body=body.name(language), code=body.code
            )
            queued.append(await work.tell(recipient, {"text": text}))
    work.deliver_after_commit(queued)
    return codes


async def _adopt_pack_chat(work: Work, *, channel: str, chat_id: str) -> None:
    """The bodies whose team chat is the pack's (channel, chat_id), with no link of their
    own, get it as a link (by nobody), so that what the platform said of it can be kept."""
    for body in work.city.bodies.bodies:
        if body.team_chat != (channel, chat_id):
            continue
        if await bodies_repo.chat_of(work.session, body_code=body.code) is None:
            await bodies_repo.link_chat(
                work.session, body_code=body.code, channel=channel, chat_id=chat_id, linked_by=None
            )
