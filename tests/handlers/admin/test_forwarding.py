"""/forwarding: admins see the reports that did not reach a body outside the bot, failed
first, and send a failed one again with its "Retry" button (audited) — through the console
and the real Telegram path. The sending itself is tests/scheduler/test_forwarding.py's."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.channels.console import RecordingChannel
from storage.db import Database
from storage.models import AuditEntry, ReportForward
from storage.repos import forwards, reports
from tests.conftest import Clock
from tests.steps import labels, onboard, texts


async def test_admins_see_failed_forwards_and_retry_one(
    chat: RecordingChannel, db: Database, clock: Clock
):
    await onboard(chat, "admin")
    assert texts(await chat.say("/forwarding", user="admin")) == [
        "Nothing is waiting: every report for a body outside the bot has reached it."
    ]
    async with db.sessions() as session, session.begin():
        ids = []
        for _ in range(2):
            report = await reports.create(
                session,
                city="sofia",
                prefix="SOF",
                category="sofia-28",
                description="The street light is out.",
                source="console",
                district="15",
                body_code="district-15",
                now=clock.now,
            )
            assert report.id is not None
            ids.append(report.public_id)
            await forwards.queue(
                session, report_id=report.id, body_code="district-15", how="email", now=clock.now
            )
        (claimed,) = await forwards.claim(
            session, instance="t", now=clock.now, lease=timedelta(minutes=10), limit=1
        )
        await forwards.mark_failed(
            session, forward_id=claimed.id, instance="t", error="SMTP 550 No such mailbox"
        )
        # The waiting one's citizen answered "not fixed" since: sent on too, labelled so.
        await forwards.queue_reopening(
            session,
            report_id=report.id,
            body_code="district-15",
            how="email",
            event_id=1,
            photo_name=None,
            now=clock.now,
        )
    failed, waiting = ids

    (listing,) = await chat.say("/forwarding", user="admin")
    assert listing.text.splitlines() == [
        "3 reports for bodies outside the bot failed or are waiting (1 failed):",
        f"{failed} → Mladost District Administration, by email: failed after 1 attempt "
        "(SMTP 550 No such mailbox)",
        f"{waiting} → Mladost District Administration, by email: "
        "waiting, next attempt 27 Nov 2026, 12:00",
        f"{waiting}, reopened (“not fixed”) → Mladost District Administration, by email: "
        "waiting, next attempt 27 Nov 2026, 12:00",
    ]
    assert labels(listing) == [f"Retry {failed}"]

    assert texts(await chat.tap(f"Retry {failed}", user="admin")) == [
        "We are sending it to Mladost District Administration again now."
    ]
    assert texts(await chat.tap(f"Retry {failed}", user="admin")) == [
        "That report is not waiting for a retry (any more): nothing to do."
    ]
    async with db.sessions() as session:
        found = (await session.exec(select(ReportForward).order_by(ReportForward.id))).all()
        audit = (await session.exec(select(AuditEntry))).all()
    assert [(r.state, r.attempts) for r in found] == [("pending", 0)] * 3
    assert [(a.action, a.object_id) for a in audit] == [("forward_retry", failed)]
