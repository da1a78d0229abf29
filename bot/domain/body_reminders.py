"""What reminds a body of its reports: the daily digest of new reports (for the staff who chose
it with /notify) and the overdue reminder, once a working day.

- Digest (`send_digests`): each staff member who chose the digest gets, on each of their
  channels, the open reports that reached their bodies in the last day (filed or reassigned
  to them): how many and the first `limit`, each with an Open button. Nothing when none.
- Overdue (`remind_overdue`): on a working day in the city (bot/domain/deadlines.py: weekends
  and the pack's public holidays off) each body with open reports past a deadline (not
  acknowledged by its acknowledge-by time, or not resolved by its resolve-by time) hears of
  them: its team chat, or, without one, its staff who get notifications (every report or the
  digest). How many and the longest overdue first `limit`, each with an Open button.

Both are run by the scheduler (scheduler/body_reminders.py) as the system actor "scheduler"
and queue outbox rows in the caller's transaction; the caller delivers them after the commit.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from bot.domain import body_news
from bot.domain.bodies import members_told
from bot.domain.body_news import DIGEST, EVERY, OPEN_LABEL, OPEN_PREFIX
from bot.domain.deadlines import is_working_day
from bot.domain.work import Work
from storage.models import Report
from storage.repos import bodies as bodies_repo
from storage.repos import outbox
from storage.repos.reports import Recipient

log = logging.getLogger(__name__)

DIGEST_WINDOW = timedelta(days=1)


async def send_digests(work: Work, *, limit: int) -> list[int]:
    """Queue each digest-choosing staff member's digest; the outbox row ids."""
    codes = [body.code for body in work.city.bodies.bodies]
    found = await members_told(work, codes, mode=DIGEST)
    by_recipient: dict[tuple[int, str, str, str], list[str]] = defaultdict(list)
    for r, body_code in found:
        by_recipient[(r.citizen_id, r.language, r.channel, r.user_id)].append(body_code)
    queued: list[int] = []
    since = work.now - DIGEST_WINDOW
    for key, bodies in by_recipient.items():
        recipient = Recipient(*key)
        count, first = await bodies_repo.reached_since(
            work.session, body_codes=bodies, since=since, limit=limit
        )
        if not count:
            continue
        language = recipient.language
        title = work.translator.translate_n(language, "bodies.digest_title", count, count=count)
        queued.append(await work.tell(recipient, _listing(work, language, title, first)))
    log.info("body digests: %d queued", len(queued))
    return queued


async def remind_overdue(work: Work, *, limit: int) -> list[int]:
    """Queue the overdue reminders of a working day (nothing on a day off); the row ids."""
    today = work.now.astimezone(work.city.timezone).date()
    if not is_working_day(today, work.city.working_time):
        return []
    queued: list[int] = []
    for body in work.city.bodies.bodies:
        count, first = await bodies_repo.overdue(
            work.session, body_code=body.code, now=work.now, limit=limit
        )
        if not count:
            continue
        chat = await body_news.team_chat(work, body)
        if chat is not None:
            language = work.settings.default_language
            title = _overdue_title(work, language, count, body.name(language))
            row = await outbox.enqueue_direct(
                work.session,
                citizen_id=None,
                channel=chat[0],
                user_id=chat[1],
                language=language,
                payload=_listing(work, language, title, first),
                urgent=True,
                now=work.now,
            )
            assert row.id is not None
            queued.append(row.id)
            continue
        for mode in (EVERY, DIGEST):
            members = await members_told(work, [body.code], mode=mode)
            for recipient, _ in members:
                language = recipient.language
                title = _overdue_title(work, language, count, body.name(language))
                queued.append(await work.tell(recipient, _listing(work, language, title, first)))
    log.info("overdue reminders: %d queued", len(queued))
    return queued


def _overdue_title(work: Work, language: str, count: int, body: str) -> str:
    return work.translator.translate_n(
        language, "bodies.overdue_title", count, count=count, body=body
    )


def _listing(work: Work, language: str, title: str, reports: list[Report]) -> dict[str, Any]:
    """A title, one line per report (id, category, due date) and an Open button each."""
    lines = [title, ""]
    buttons = []
    for report in reports:
        name, when = body_news.category_and_due(work, language, report)
        lines.append(
            work.translator.translate(
                language, "bodies.listing_line", id=report.public_id, category=name, due=when
            )
        )
        label = work.translator.translate(language, OPEN_LABEL) + f" {report.public_id}"
        buttons.append([{"label": label, "payload": f"{OPEN_PREFIX}:{report.id}"}])
    return {"text": "\n".join(lines), "buttons": buttons}
