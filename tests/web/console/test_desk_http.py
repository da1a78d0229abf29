"""The desk over plain HTTP: the queue's filters by body, overdue and assigned to me; assign,
move and the internal note on a report and in bulk; the audit log's filters, labels and
paging; surveys opened, closed, charted and downloaded; /web in /staffhelp."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import AuditEntry, Report, ReportNote
from storage.refs import public_ref
from storage.repos import bodies, citizens
from tests.bot.surveys.seed import add_survey, respond
from tests.conftest import Clock, recording_channel
from tests.web.console.support import (
    client,
    console_bot,
    csrf_of,
    link_from_chat,
    seed_reports,
    sign_in,
)


def ids_in(html: str) -> set[str]:
    return set(re.findall(r'<a href="/console/reports/(SOF-[0-9-]+)">', html))


async def test_filters_assign_move_note_bulk_and_the_audit_log(
    bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    # Report 1 is made overdue below; the late-news tick (its own tests) must not tell its
    # reporter, here where nothing may be told: its first tick, at start, could run late.
    await app.late_news.close()
    made = await seed_reports(db, chat, clock.now, 4)
    async with db.sessions() as session, session.begin():
        admin = await citizens.find_by_identity(session, channel=chat.name, user_id="admin")
        assert admin is not None and admin.id is not None
        admin.role = "admin"  # granted in chat (an assignee must hold a staff role)
        await bodies.add(session, citizen_id=admin.id, body_codes=["district-15", "district-01"])
        for i, report in enumerate(made):
            stored = await session.get(Report, report.id)
            assert stored is not None
            stored.body_code = "district-15" if i < 3 else "sofia-municipality"
            stored.resolve_due_at = clock.now + (
                timedelta(days=-1) if i == 0 else timedelta(days=5)
            )
    me = public_ref(admin.id)
    base = app.web.url
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat))
        token = await csrf_of(http, app)
        async with http.get(f"{base}/console/?body=sofia-municipality") as page:
            assert ids_in(await page.text()) == {made[3].public_id}
        async with http.get(f"{base}/console/?overdue=yes") as page:
            assert ids_in(await page.text()) == {made[0].public_id}
        report_url = f"{base}/console/reports/{made[1].public_id}"
        async with http.post(
            f"{report_url}/assign", data={"csrf": token, "assignee": "me"}
        ) as done:
            html = await done.text()
        assert f"Assigned to {me}." in html and 'id="report-assignee">' + me in html
        async with http.get(f"{base}/console/?assigned=me") as page:
            assert ids_in(await page.text()) == {made[1].public_id}
        async with http.post(
            f"{report_url}/note", data={"csrf": token, "text": "Call the contractor"}
        ) as done:
            html = await done.text()
        assert "The internal note is saved." in html and "Call the contractor" in html
        async with http.post(
            f"{report_url}/move", data={"csrf": token, "body": "sofia-municipality", "reason": ""}
        ) as done:
            assert 'role="alert"' in await done.text()  # a reason is needed: the domain says so
        async with http.post(
            f"{report_url}/move",
            data={"csrf": token, "body": "sofia-municipality", "reason": "Central boulevard"},
        ) as done:
            html = await done.text()
        assert "Moved to Sofia Municipality." in html and "Central boulevard" in html
        bulk = [("csrf", token), ("id", str(made[0].id)), ("id", str(made[2].id))]
        async with http.post(
            f"{base}/console/bulk", data=[*bulk, ("do", "assign"), ("assignee", "me")]
        ) as done:
            assert "2 reports changed" in await done.text()
        async with http.post(
            f"{base}/console/bulk",
            data=[*bulk, ("do", "move"), ("body", "district-01"), ("reason", "Wrong district")],
        ) as done:
            assert "2 reports changed" in await done.text()
        async with http.post(
            f"{base}/console/bulk", data=[*bulk, ("do", "move"), ("body", "")]
        ) as done:
            assert "Choose the body to move the reports to." in await done.text()
        async with http.get(f"{base}/console/?body=district-01") as page:
            assert ids_in(await page.text()) == {made[0].public_id, made[2].public_id}
        # The audit log: labels, not codes; filtered by action and actor; a page at a time.
        async with http.get(f"{base}/console/audit?action=reassign&actor={me}") as page:
            html = await page.text()
        assert html.count("Report moved to another body") == 1 + 3  # the option and 3 rows
        assert ">reassign<" not in html
        async with http.get(f"{base}/console/audit?actor=C-NOBODY") as page:
            assert "Nothing in the audit log matches this filter." in await page.text()
        today = clock.now.date().isoformat()
        async with http.get(f"{base}/console/audit?from={today}&to={today}") as page:
            html = await page.text()
        assert "Signed in to the console" in html and "Internal note added" in html
    async with db.sessions() as session:
        notes = (await session.exec(select(ReportNote))).all()
        actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
    assert sorted(n.kind for n in notes) == ["note", "reassigned", "reassigned", "reassigned"]
    assert actions.count("assign") == 3 and actions.count("reassign") == 3
    assert chat.pop("u1") == []  # none of it is told to the citizen


async def test_surveys_open_close_charts_and_csv(
    bot_factory: Callable[..., object], db: Database, db_url: str
):
    if not db_url.startswith("sqlite"):
        pytest.skip("the surveys' queries are the chat's, tested on both databases there")
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    survey_id = await add_survey(db)
    for n in range(3):
        await respond(
            db, survey_id, {"go": ("yes",), "which": ("south",), "clean": ("4",)}, user=f"r{n}"
        )
    base = app.web.url
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat))
        token = await csrf_of(http, app)
        async with http.get(f"{base}/console/surveys") as page:
            html = await page.text()
        assert f'href="/console/surveys/{survey_id}">The parks' in html
        async with http.get(f"{base}/console/surveys/{survey_id}") as page:
            html = await page.text()
        assert 'id="responses">3<' in html and "South Park" in html
        async with http.get(f"{base}/console/surveys/{survey_id}/charts/1.png") as png:
            assert png.status == 200 and (await png.read()).startswith(b"\x89PNG")
        async with http.post(
            f"{base}/console/surveys/{survey_id}/close", data={"csrf": token}
        ) as done:
            html = await done.text()
        assert "The survey is closed." in html and "Open the survey" in html
        async with http.post(
            f"{base}/console/surveys/{survey_id}/open", data={"csrf": token}
        ) as done:
            assert "The survey is open." in await done.text()
        async with http.get(f"{base}/console/surveys/{survey_id}/responses.csv") as exported:
            assert exported.headers["Content-Type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO((await exported.text()).lstrip("\ufeff"))))
        assert len(rows) == 1 + 3
        async with http.get(f"{base}/console/surveys/999999") as missing:
            assert missing.status == 404
    async with db.sessions() as session:
        actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
    assert {"close", "publish", "export"} <= set(actions)
    (help_text,) = await chat.say("/staffhelp", user="admin")
    assert "/web – a link to sign in to the web console" in help_text.text
