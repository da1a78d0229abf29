"""The desk in a real browser (headless Chromium): the queue's new filters, assigning and
moving a report and a bulk assignment, the surveys and audit log pages; axe-core on each new
page (no serious or critical violation)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from storage.db import Database
from storage.models import Report
from storage.refs import public_ref
from storage.repos import bodies, citizens
from tests.bot.surveys.seed import add_survey, respond
from tests.conftest import Clock, recording_channel
from tests.web.console.conftest import Browser, axe_check
from tests.web.console.support import NO_TILES, console_bot, link_from_chat, local, seed_reports

pytestmark = pytest.mark.usefixtures("browser_thread")


@pytest.fixture
async def db_url(sqlite_templates: Any) -> str:  # the browser tests run on SQLite
    return await sqlite_templates.fresh()


async def test_filter_assign_move_bulk_surveys_and_audit(
    browser: Browser, bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat, console_tile_url=NO_TILES)
    # Report 1 is made overdue below; the late-news tick (its own tests) must not tell its
    # reporter, here where nothing may be told: its first tick, at start, could run late.
    await app.late_news.close()
    made = await seed_reports(db, chat, clock.now, 3)
    survey_id = await add_survey(db)
    await respond(db, survey_id, {"go": ("yes",), "which": ("south",)}, user="r1")
    async with db.sessions() as session, session.begin():
        admin = await citizens.find_by_identity(session, channel=chat.name, user_id="admin")
        assert admin is not None and admin.id is not None
        admin.role = "admin"
        await bodies.add(session, citizen_id=admin.id, body_codes=["district-15"])
        for i, report in enumerate(made):
            stored = await session.get(Report, report.id)
            assert stored is not None
            stored.body_code = "district-15"
            stored.resolve_due_at = clock.now + timedelta(days=-1 if i == 0 else 5)
    me = public_ref(admin.id)
    link = local(app, await link_from_chat(chat))
    page = browser.page
    first, second, third = (r.public_id for r in made)

    async def desk() -> None:
        await page.goto(link)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_label("Body").select_option(label="Mladost District Administration")
        await page.get_by_label("Deadline").select_option(label="Overdue only")
        await page.get_by_role("button", name="Show", exact=True).click()
        await expect(page.get_by_text("1 report found")).to_be_visible()
        assert "overdue=yes" in page.url and "body=district-15" in page.url
        await axe_check(page)
        await page.get_by_role("link", name=first).click()
        await page.get_by_label("Assign to").select_option(label="To me")
        await page.get_by_role("button", name="Assign", exact=True).click()
        await expect(page.locator("#message")).to_have_text(f"Assigned to {me}.")
        await page.get_by_label("Internal note").fill("Call the contractor")
        await page.get_by_role("button", name="Save the note").click()
        await expect(page.locator("#notes")).to_contain_text("Call the contractor")
        await axe_check(page)
        await page.get_by_label("Move to").select_option(label="Sofia Municipality")
        await page.get_by_label("Reason (for staff only)").fill("Central boulevard")
        await page.get_by_role("button", name="Move", exact=True).click()
        await expect(page.locator("#message")).to_have_text("Moved to Sofia Municipality.")
        await page.goto(f"{app.web.url}/console/?body=district-15")
        await page.get_by_label(f"Select {second}").check()
        await page.get_by_label(f"Select {third}").check()
        await page.get_by_role("button", name="Assign", exact=True).click()
        await expect(page.locator("#bulk-result")).to_contain_text("2 reports changed.")
        await page.goto(f"{app.web.url}/console/?assigned=me")
        await expect(page.get_by_text("2 reports found")).to_be_visible()  # moved: unassigned
        # Surveys: the list, the results with the chat's chart, closing.
        await page.get_by_role("link", name="Surveys", exact=True).click()
        await axe_check(page)
        await page.get_by_role("link", name="The parks").click()
        chart = page.get_by_role("img", name="Chart of the answers to: Do you go to the park?")
        await expect(chart).to_be_visible()
        await page.wait_for_function(  # drawn by the chat's chart code and loaded
            "img => img.complete && img.naturalWidth > 0", arg=await chart.element_handle()
        )
        await axe_check(page)
        await page.get_by_role("button", name="Close the survey").click()
        await expect(page.locator("#message")).to_have_text("The survey is closed.")
        # The audit log, filtered by action.
        await page.get_by_role("link", name="Audit log", exact=True).click()
        await page.get_by_label("Action").select_option(label="Survey closed")
        await page.get_by_role("button", name="Show", exact=True).click()
        await expect(page.locator("#audit tbody tr")).to_have_count(1)
        await expect(page.locator("#audit")).to_contain_text(f"survey {survey_id}")
        await axe_check(page)

    await browser.run(desk())
    assert chat.pop("u1") == []
