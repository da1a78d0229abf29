"""The console over plain HTTP: signing in with the link from /web (once, for ten minutes),
CSRF refused, a revoked member out at once, citizens told it is for staff, the security
headers, the queue's filters in the URL and the CSV export — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from sqlmodel import select

from storage.db import Database
from storage.models import AuditEntry, ConsoleLink, ReportEvent
from storage.refs import public_ref
from storage.repos import citizens
from tests.conftest import Clock, recording_channel
from tests.steps import onboard
from tests.steps.admin import ref_of
from tests.web.console.support import (
    client,
    console_bot,
    csrf_of,
    link_from_chat,
    local,
    seed_reports,
    sign_in,
)


async def test_a_link_signs_in_once_and_the_session_reads_the_queue(
    bot_factory: Callable[..., object], db: Database
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    link = await link_from_chat(chat)
    async with db.sessions() as session:
        (stored,) = (await session.exec(select(ConsoleLink))).all()
    assert link.rsplit("/", 1)[1] not in stored.token_hash  # only its hash is kept
    async with client() as http:
        response = await sign_in(http, app, link)
        assert response.status == 303 and response.headers["Location"] == "/console/"
        cookie = response.cookies["citizenbot_console"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
        async with http.get(f"{app.web.url}/console/") as page:
            assert page.status == 200
            assert "Staff console" in await page.text()
    async with client() as other:  # the same link again, in another browser
        again = await sign_in(other, app, link)
        assert again.status == 403
        async with other.get(f"{app.web.url}/console/", allow_redirects=False) as page:
            assert page.status == 303 and page.headers["Location"] == "/console/signed-out"
    async with db.sessions() as session:
        actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
    assert actions == ["console_link", "console_signin"]


async def test_an_expired_link_is_refused(bot_factory: Callable[..., object], clock: Clock):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    link = await link_from_chat(chat)
    clock.advance(minutes=10, seconds=1)
    async with client() as http:
        response = await sign_in(http, app, link)
        assert response.status == 403
        assert "Връзката е изтекла" in response.text


async def test_a_citizen_is_told_the_console_is_for_staff(bot_factory: Callable[..., object]):
    chat = recording_channel()
    await console_bot(bot_factory, chat)
    await onboard(chat, "u1")
    (reply,) = await chat.say("/web", user="u1")
    assert reply.text.startswith("The web console is for municipal staff.")
    assert "/console/" not in reply.text


async def test_a_post_without_the_csrf_token_is_refused(
    bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    (report,) = await seed_reports(db, chat, clock.now, 1)
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat))
        url = f"{app.web.url}/console/reports/{report.public_id}/status"
        for form in ({"status": "acknowledged"}, {"status": "acknowledged", "csrf": "forged"}):
            async with http.post(url, data=form) as refused:
                assert refused.status == 403
                assert "This form has expired" in await refused.text()
        assert chat.pop("u1") == []
        token = await csrf_of(http, app)
        async with http.post(url, data={"status": "acknowledged", "csrf": token}) as done:
            assert done.status == 200
            assert "Status is now “Acknowledged”. 1 citizen was told." in await done.text()
    (news,) = chat.pop("u1")
    assert report.public_id in news.text and "Приет" in news.text


async def test_a_template_chosen_without_the_script_reaches_each_reader_in_their_language(
    bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    (report,) = await seed_reports(db, chat, clock.now, 1, language="en")
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat))
        form = {
            "status": "resolved",
            "template": "fixed",
            "note": "",
            "csrf": await csrf_of(http, app),
        }
        url = f"{app.web.url}/console/reports/{report.public_id}/status"
        async with http.post(url, data=form) as done:
            assert done.status == 200
    (news,) = chat.pop("u1")
    assert "The problem has been fixed. Thank you for reporting it!" in news.text
    async with db.sessions() as session:
        event = (await session.exec(select(ReportEvent).where(ReportEvent.kind == "status"))).one()
    assert event.note == "Проблемът е отстранен. Благодарим Ви за сигнала!"  # the default language


async def test_a_revoked_member_is_signed_out_at_once(
    bot_factory: Callable[..., object], db: Database
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    await onboard(chat, "s1")
    ref = await ref_of(chat, db, "s1")
    await chat.say(f"/grant staff {ref}", user="admin")
    chat.pop("s1")
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat, "s1"))
        async with http.get(f"{app.web.url}/console/", allow_redirects=False) as page:
            assert page.status == 200
        await chat.say(f"/revoke {ref}", user="admin")
        async with http.get(f"{app.web.url}/console/", allow_redirects=False) as page:
            assert page.status == 303 and page.headers["Location"] == "/console/signed-out"
        async with http.get(
            f"{app.web.url}/console/", headers={"HX-Request": "true"}, allow_redirects=False
        ) as partial:
            assert partial.status == 401 and partial.headers["HX-Redirect"] == "/console/signed-out"


async def test_logout_and_eight_idle_hours_end_the_session(
    bot_factory: Callable[..., object], clock: Clock
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    async with client() as idle:
        await sign_in(idle, app, await link_from_chat(chat))
        clock.advance(hours=7, minutes=59)
        async with idle.get(f"{app.web.url}/console/", allow_redirects=False) as page:
            assert page.status == 200  # a request: idle from now on
        clock.advance(hours=8, seconds=1)
        async with idle.get(f"{app.web.url}/console/", allow_redirects=False) as page:
            assert page.status == 303 and page.headers["Location"] == "/console/signed-out"
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat))
        token = await csrf_of(http, app)
        async with http.post(
            f"{app.web.url}/console/logout", data={"csrf": token}, allow_redirects=False
        ) as out:
            assert out.status == 303
        async with http.get(f"{app.web.url}/console/", allow_redirects=False) as page:
            assert page.status == 303


async def test_security_headers_and_no_server_version(bot_factory: Callable[..., object]):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    async with client() as http:
        for path in ("/console/", "/console/signed-out", "/console/static/console.css"):
            async with http.get(f"{app.web.url}{path}", allow_redirects=False) as response:
                headers = response.headers
                policy = headers["Content-Security-Policy"]
                assert "script-src 'self'" in policy and "style-src 'self'" in policy
                assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
                assert "img-src 'self' data: https://tile.openstreetmap.org" in policy
                assert headers["X-Frame-Options"] == "DENY"
                assert headers["Referrer-Policy"] == "same-origin"
                assert headers["X-Content-Type-Options"] == "nosniff"
                assert headers["Server"] == "citizenbot"
        async with http.get(f"{app.web.url}/healthz") as health:
            assert health.headers["Server"] == "citizenbot"


async def test_the_filter_lives_in_the_url_and_the_export_follows_it(
    bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    made = await seed_reports(db, chat, clock.now, 3)
    async with db.sessions() as session, session.begin():
        first = await session.get(type(made[0]), made[0].id)
        assert first is not None
        first.description = '=HYPERLINK("http://x")'
        first.status = "resolved"
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat))
        query = "status=open&q=%D0%BB%D0%B0%D0%BC%D0%BF%D0%B0%D1%82%D0%B0&sort=oldest"
        async with http.get(f"{app.web.url}/console/?{query}") as page:
            html = await page.text()
        assert made[1].public_id in html and made[2].public_id in html
        assert made[0].public_id not in html
        assert html.index(made[1].public_id) < html.index(made[2].public_id)
        assert "2 reports found" in html
        for literal in ("%25", "_", "!"):  # LIKE's wildcards and escape are plain text
            async with http.get(f"{app.web.url}/console/?q={literal}") as page:
                assert "0 reports found" in await page.text()
        # Texts under three characters (no trigram index on SQLite) in any case, Cyrillic too.
        for text, found in (("ЛА", "2 reports"), ("пР", "2 reports"), ("(2", "1 report")):
            async with http.get(f"{app.web.url}/console/", params={"q": text}) as page:
                assert f"{found} found" in await page.text(), text
        async with http.get(f"{app.web.url}/console/export.csv?status=resolved") as exported:
            assert exported.headers["Content-Type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO((await exported.text()).lstrip("\ufeff"))))
        assert rows[0][0] == "public_id" and len(rows) == 2
        assert rows[1][0] == made[0].public_id and rows[1][7] == '\'=HYPERLINK("http://x")'
        async with http.get(f"{app.web.url}/console/map/markers.json?status=open") as markers:
            data = await markers.json()
        assert sorted(m[2] for m in data["markers"]) == sorted(r.public_id for r in made[1:])
        async with http.get(local(app, "/console/reports/SOF-1900-000001")) as missing:
            assert missing.status == 404


async def test_behind_https_the_cookie_is_secure(bot_factory: Callable[..., object]):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat, http_public_url="https://city.example.org")
    link = await link_from_chat(chat)
    assert link.startswith("https://city.example.org/console/login/")
    async with client() as http:
        response = await sign_in(http, app, link)
    cookie = response.cookies["citizenbot_console"]
    assert response.status == 303 and cookie["secure"] and cookie["httponly"]
    assert "Strict-Transport-Security" in response.headers


async def test_the_dashboard_shows_each_body_to_its_staff(
    bot_factory: Callable[..., object], db: Database, clock: Clock
):
    from datetime import timedelta

    from tests.bot.domain.test_body_figures import _report

    chat = recording_channel()
    app = await console_bot(bot_factory, chat)
    start = clock.now - timedelta(days=20)
    async with db.sessions() as session, session.begin():
        await _report(session, "district-15", start, start + timedelta(days=5))
        await _report(session, "district-01", start, start + timedelta(days=50))
    await onboard(chat, "s1", "Български")
    async with db.sessions() as session:
        member = await citizens.find_by_identity(session, channel="console", user_id="s1")
    assert member is not None and member.id is not None
    await chat.say(f"/grant staff district-15 {public_ref(member.id)}", user="admin")
    chat.pop("s1")
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat))
        async with http.get(f"{app.web.url}/console/dashboard") as page:
            assert page.status == 200
            html = await page.text()
    assert '<a href="/console/dashboard" aria-current="page">Dashboard</a>' in html
    assert "The whole city" in html and "Mladost District Administration" in html
    assert "Sredets District Administration" in html and "Reports filed per week" in html
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat, "s1"))
        async with http.get(f"{app.web.url}/console/dashboard") as page:
            html = await page.text()
    assert "<h1>Табло</h1>" in html and "Общо за града" not in html  # staff: no city figures
    assert "Район „Младост“" in html and "Средец" not in html
    assert "0 %" in html  # the open report past its deadline: 0 % on time
