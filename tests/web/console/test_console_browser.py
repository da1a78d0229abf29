"""The console in a real browser (headless Chromium): signing in with the link from the chat
(an expired and a used link refused, a form without the token refused, a revoked member out
at the next click, and a report triaged with the keyboard only),
triaging a report end to end while the reporter's chat receives the news in their language
(a note template's words in theirs too)
(and their "not fixed" answer, with its words and photo, shown above the reopened report),
a bulk change of 50 reports, the map without tiles, the dashboard, and axe-core on every page
(no serious or critical violation). With CONSOLE_SCREENSHOTS=1 the tests also write
docs/console/*.png."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from sqlmodel import select

from storage.db import Database
from storage.models import Report
from storage.refs import public_ref
from storage.repos import citizens
from tests.conftest import Clock, recording_channel
from tests.steps import onboard
from tests.steps.admin import ref_of
from tests.steps.notices import BG_TEXT, TZ
from tests.steps.reports import MLADOST, NEAR_MLADOST, file_report
from tests.web.console.conftest import SCREENSHOTS, Browser, axe_check, screenshot
from tests.web.console.support import NO_TILES, console_bot, link_from_chat, local, seed_reports

pytestmark = pytest.mark.usefixtures("browser_thread")
FIXED_EN = "The problem has been fixed. Thank you for reporting it!"  # a note template of Sofia


@pytest.fixture
async def db_url(sqlite_templates: Any) -> str:  # the browser tests run on SQLite
    return await sqlite_templates.fresh()


async def sign_in(page: Any, url: str, *, check: bool = False) -> None:
    await page.goto(url)
    if check:
        await axe_check(page)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()


async def test_triage_a_report_end_to_end(
    browser: Browser,
    bot_factory: Callable[..., object],
    db: Database,
    clock: Clock,
    jpeg: Path,
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat, console_tile_url=NO_TILES)
    await onboard(chat, "u1", "Български")
    first = await file_report(chat, "u1", where=MLADOST, photo=jpeg)
    (other,) = await seed_reports(
        db, chat, clock.now, 1, reporter="u2", language="en", near=NEAR_MLADOST
    )
    second = other.public_id
    chat.pop("u1")
    async with db.sessions() as session:
        reporter = await citizens.find_by_identity(session, channel=chat.name, user_id="u1")
    assert reporter is not None and reporter.id is not None
    reporter_id = reporter.id
    link = local(app, await link_from_chat(chat))
    page = browser.page

    async def triage() -> None:
        await sign_in(page, link, check=True)
        await axe_check(page)
        await screenshot(page, "queue-en")
        await page.get_by_label("Search (number, description, address)").fill(first)
        await page.get_by_role("button", name="Show", exact=True).click()
        await expect(page.get_by_text("1 report found")).to_be_visible()
        assert first in page.url  # the filter is in the address
        await page.get_by_role("link", name=first).click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(first)
        await expect(page.get_by_role("img", name=f"Photo 1 of report {first}")).to_be_visible()
        await expect(page.get_by_role("link", name=second)).to_be_visible()  # nearby
        await axe_check(page)
        await page.get_by_label("New status").select_option(label="In progress")
        await page.get_by_label("Note for citizens", exact=True).fill("Екипът е на място.")
        await page.get_by_role("button", name="Change status").click()
        await expect(page.locator("#message")).to_have_text(
            "Status is now “In progress”. 1 citizen was told."
        )
        await page.get_by_label("New status").select_option(label="Resolved")
        await page.get_by_label("Template (optional)").select_option(label=FIXED_EN)
        await expect(page.get_by_label("Note for citizens", exact=True)).to_have_value(FIXED_EN)
        await page.get_by_role("button", name="Change status").click()
        await expect(page.locator("#message")).to_contain_text("Status is now “Resolved”.")

    await browser.run(triage())
    progress, resolved = chat.pop("u1")
    assert first in progress.text and "В работа" in progress.text
    assert "Екипът е на място." in progress.text
    assert "Проблемът е отстранен. Благодарим Ви за сигнала!" in resolved.text  # the template
    # The reporter answers "not fixed" with their words and a photo: the report is open again.
    clock.advance(hours=1)  # the answer comes later (the session stays: idle 8 h)
    await chat.tap("❌ Не, не е отстранен", user="u1")
    await chat.say("Лампата пак не свети.", user="u1")
    await chat.say(f"/photo {jpeg}", user="u1")
    chat.pop("u1")

    async def answer_and_hide() -> None:
        await page.goto(f"{app.web.url}/console/?reopened=yes")
        await expect(page.get_by_text("1 report found")).to_be_visible()
        await expect(page.get_by_role("row", name=first)).to_contain_text("reopened")
        await page.get_by_role("link", name=first).click()
        answer = page.get_by_role("region", name="The reporter says it is not fixed")
        await expect(answer).to_contain_text("Лампата пак не свети.")
        photo = f"Photo sent by {public_ref(reporter_id)} with the answer"
        await expect(answer.get_by_role("img", name=photo)).to_be_visible()
        history = page.get_by_role("region", name="History")
        await expect(history).to_contain_text("the reporter says it is not fixed")
        await expect(history.get_by_role("img", name=photo)).to_have_count(1)
        await axe_check(page)
        await screenshot(page, "report-en")
        await page.get_by_label("New status").select_option(label="In progress")
        await page.get_by_role("button", name="Change status").click()
        await expect(page.locator("#message")).to_contain_text("Status is now “In progress”.")
        await expect(answer).to_be_visible()  # while the report is open, the answer stays
        await page.get_by_role("radio", name="Advertising or spam").check()
        await page.get_by_role("button", name="Hide from the public").click()
        await expect(page.locator("#message")).to_contain_text("The report is hidden")

    await browser.run(answer_and_hide())
    again, hidden = chat.pop("u1")
    assert first in again.text and "В работа" in again.text
    assert first in hidden.text and "Реклама" in hidden.text

    async def duplicate() -> None:
        await page.goto(f"{app.web.url}/console/reports/{second}")
        await page.get_by_role("button", name=f"Duplicate of {first}").click()
        await expect(page.locator("#message")).to_have_text(
            f"Marked as a duplicate of {first}. 1 citizen was told."
        )

    await browser.run(duplicate())
    (news,) = chat.pop("u2")
    assert second in news.text and "duplicate" in news.text.lower()


async def test_bulk_change_of_fifty_reports(
    browser: Browser, bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat, console_tile_url=NO_TILES)
    made = await seed_reports(db, chat, clock.now, 51)
    async with db.sessions() as session, session.begin():
        closed = await session.get(Report, made[-1].id)
        assert closed is not None
        closed.status = "resolved"  # the newest: on the first page, and refused
    link = local(app, await link_from_chat(chat))
    page = browser.page

    async def bulk() -> None:
        await sign_in(page, link)
        await page.get_by_label("Select all on this page").check()
        await page.get_by_label("New status").select_option(label="Acknowledged")
        await page.get_by_label("Note for citizens (optional)").fill("Приехме го.")
        await page.get_by_role("button", name="Change selected").click()
        await expect(page.locator("#bulk-result")).to_contain_text(
            "49 reports changed.", timeout=30_000
        )
        await expect(page.locator("#bulk-result")).to_contain_text("1 report was not changed:")
        await expect(page.locator("#bulk-result")).to_contain_text(made[-1].public_id)
        await axe_check(page)

    await browser.run(bulk())
    async with db.sessions() as session:
        statuses = [r.status for r in (await session.exec(select(Report))).all()]
    assert statuses.count("acknowledged") == 49 and statuses.count("resolved") == 1
    news = chat.pop("u1")
    assert len(news) == 49 and all("Приехме го." in n.text for n in news)


async def test_the_map_shows_the_filter_without_tiles_and_the_dashboard(
    browser: Browser, bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat, console_tile_url=NO_TILES)
    made = await seed_reports(db, chat, clock.now, 12)
    link = local(app, await link_from_chat(chat))
    page = browser.page

    async def look() -> None:
        await sign_in(page, link)
        await page.get_by_role("link", name="Map", exact=True).click()
        await expect(page.locator("[data-map]")).to_have_attribute("data-loaded", "12")
        await expect(page.locator(".marker-list li")).to_have_count(12)
        await expect(page.get_by_role("link", name=made[0].public_id)).to_be_visible()
        await axe_check(page)
        await screenshot(page, "map-en")
        await page.get_by_role("link", name="Dashboard", exact=True).click()
        await expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        await expect(
            page.get_by_role("rowheader", name="Mladost District Administration")
        ).to_be_visible()
        await axe_check(page)
        await screenshot(page, "dashboard-en")

    await browser.run(look())


@pytest.mark.skipif(not SCREENSHOTS, reason="screenshots only with CONSOLE_SCREENSHOTS=1")
async def test_screenshots_in_bulgarian(
    browser: Browser, bot_factory: Callable[..., object], db: Database, clock: Clock, jpeg: Path
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat, console_tile_url=NO_TILES)
    made = await seed_reports(db, chat, clock.now, 30)
    await onboard(chat, "s1", "Български")
    async with db.sessions() as session:
        member = await citizens.find_by_identity(session, channel="console", user_id="s1")
    assert member is not None and member.id is not None
    await chat.say(f"/grant staff {public_ref(member.id)}", user="admin")
    chat.pop("s1")
    link = local(app, await link_from_chat(chat, "s1"))
    await browser.close()
    await browser.open(locale="bg-BG")  # dates and times as a Bulgarian browser shows them
    page = browser.page
    tomorrow = (clock.now + timedelta(days=1)).astimezone(TZ).date().isoformat()

    async def shoot() -> None:
        await page.goto(link)
        await page.get_by_role("button", name="Вход").click()
        await expect(page.get_by_role("heading", name="Сигнали", level=1)).to_be_visible()
        await axe_check(page)
        await screenshot(page, "queue-bg")
        await page.goto(f"{app.web.url}/console/map")
        await expect(page.locator("[data-map]")).to_have_attribute("data-loaded", "30")
        await axe_check(page)
        await screenshot(page, "map-bg")
        await page.goto(f"{app.web.url}/console/reports/{made[0].public_id}")
        await axe_check(page)
        await screenshot(page, "report-bg")
        await page.get_by_role("link", name="Табло", exact=True).click()
        await axe_check(page)
        await screenshot(page, "dashboard-bg")
        # Notices: the composer with a photo and its preview, then the list.
        await page.get_by_role("link", name="Съобщения", exact=True).click()
        await page.get_by_role("link", name="Ново съобщение").click()
        await page.get_by_role("combobox", name="Тема").select_option(label="💧 Водоснабдяване")
        await page.get_by_label("Избрани райони").check()
        await page.get_by_label("Младост").check()
        await page.get_by_label("Текст на български (задължителен)").fill(BG_TEXT)
        await page.get_by_label("Снимка (по избор)").set_input_files(str(jpeg))
        await expect(page.locator("#photo-slot img")).to_be_visible()
        await page.get_by_label("Веднъж, на дата и час").check()
        await page.get_by_label("Дата", exact=True).fill(tomorrow)
        await page.get_by_label("Час", exact=True).first.fill("09:00")
        await page.get_by_role("button", name="Преглед").click()
        await expect(page.locator("#preview .message-text")).to_have_text([BG_TEXT])
        await axe_check(page)
        await screenshot(page, "notice-compose-bg")
        await page.get_by_role("button", name="Изпрати или насрочи").click()
        await expect(page.locator("#progress-1")).to_have_attribute("data-state", "scheduled")
        await axe_check(page)
        await screenshot(page, "notices-bg")

    await browser.run(shoot())


async def tab_to(page: Any, target: Any, limit: int = 80) -> None:
    """Press Tab until `target` has the focus, which it shows (an outline): keyboard only."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await target.evaluate("el => el === document.activeElement"):
            outline = await target.evaluate("el => getComputedStyle(el).outlineStyle")
            assert outline != "none", "the focus is not visible"
            return
    raise AssertionError(f"{target} cannot be reached with the Tab key")


async def test_links_csrf_a_revoked_member_and_the_keyboard(
    browser: Browser, bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat, console_tile_url=NO_TILES)
    (report,) = await seed_reports(db, chat, clock.now, 1, language="en")
    await onboard(chat, "s1")
    ref = await ref_of(chat, db, "s1")
    await chat.say(f"/grant staff {ref}", user="admin")
    chat.pop("s1")
    expired = local(app, await link_from_chat(chat, "s1"))
    clock.advance(minutes=10, seconds=1)
    link = local(app, await link_from_chat(chat, "s1"))
    page = browser.page
    refused = "This link has expired, has been used already or is not valid."
    status_url = f"{app.web.url}/console/reports/{report.public_id}/status"

    async def links_and_keyboard() -> None:
        await page.goto(expired)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_contain_text(refused)
        await axe_check(page)
        # Signing in and triaging a report with the keyboard only.
        await page.goto(link)
        await tab_to(page, page.get_by_role("button", name="Sign in"))
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
        await tab_to(page, page.get_by_label("Search (number, description, address)"))
        await page.keyboard.type(report.public_id)
        await page.keyboard.press("Enter")
        await expect(page.get_by_text("1 report found")).to_be_visible()
        await tab_to(page, page.get_by_role("link", name=report.public_id))
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1)).to_contain_text(report.public_id)
        await tab_to(page, page.get_by_label("New status"))  # "Acknowledged", the first
        await tab_to(page, page.get_by_label("Note for citizens", exact=True))
        await page.keyboard.type("We have it.")
        await tab_to(page, page.get_by_role("button", name="Change status"))
        await page.keyboard.press("Enter")
        await expect(page.locator("#message")).to_have_text(
            "Status is now “Acknowledged”. 1 citizen was told."
        )
        # The link again: used.
        await page.goto(link)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_contain_text(refused)
        # A form without the session's token (as another site would post it) is refused.
        await page.evaluate(
            """url => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = url;
                const field = document.createElement("input");
                field.name = "status";
                field.value = "in_progress";
                form.append(field);
                document.body.append(form);
                form.submit();
            }""",
            status_url,
        )
        await expect(page.get_by_role("alert")).to_have_text(
            "This form has expired. Reload the page and try again."
        )
        await axe_check(page)
        await page.goto(f"{app.web.url}/console/")

    await browser.run(links_and_keyboard())
    (news,) = chat.pop("u1")
    assert "We have it." in news.text
    await chat.say(f"/revoke {ref}", user="admin")

    async def revoked() -> None:
        await page.get_by_role("button", name="Show", exact=True).click()  # htmx, then out
        await expect(page.get_by_role("alert")).to_have_text(
            "You are not signed in. Send /web in the chat to get a sign-in link."
        )
        assert page.url.endswith("/console/signed-out")
        await axe_check(page)

    await browser.run(revoked())
    async with db.sessions() as session:
        stored = await session.get(Report, report.id)
    assert stored is not None and stored.status == "acknowledged"  # the forged post did nothing
