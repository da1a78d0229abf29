"""Helpers of the console tests: a bot with its web server and a recording chat, a staff
member's sign-in through /web, and reports filed straight into the database."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import SimpleCookie

import aiohttp

from bot.app import CitizenBot
from bot.channels.console import RecordingChannel
from storage.db import Database
from storage.models import Report
from storage.repos import citizens, reports
from tests.steps import onboard

LINK = re.compile(r"https?://\S+/console/login/\S+")
LADY = "Лампата пред блок 12 не свети от седмица."


# Map tiles from a closed port: the tests need no network, and the map works without tiles.
NO_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


async def console_bot(
    bot_factory: Callable[..., object], chat: RecordingChannel, **overrides: object
) -> CitizenBot:
    app = await bot_factory([chat], web=True, **overrides)  # type: ignore[operator]
    await onboard(chat, "admin")
    return app  # type: ignore[return-value]


async def link_from_chat(chat: RecordingChannel, user: str = "admin") -> str:
    (reply,) = await chat.say("/web", user=user)
    found = LINK.search(reply.text)
    assert found, reply.text
    return found.group(0)


def local(app: CitizenBot, url: str) -> str:
    """The link as the test reaches it: the bot's real address (its public URL is a default)."""
    return app.web.url + url[url.index("/console/") :]


def client() -> aiohttp.ClientSession:
    # unsafe: cookies for an IP address (127.0.0.1), as a browser keeps them
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    cookies: SimpleCookie
    text: str


async def sign_in(http: aiohttp.ClientSession, app: CitizenBot, link: str) -> Answer:
    """Open the link, then press its button, as a browser does."""
    url = local(app, link)
    async with http.get(url) as page:
        assert page.status == 200
    async with http.post(url, allow_redirects=False) as response:
        return Answer(response.status, response.headers, response.cookies, await response.text())


async def csrf_of(http: aiohttp.ClientSession, app: CitizenBot) -> str:
    async with http.get(f"{app.web.url}/console/") as page:
        html = await page.text()
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def seed_reports(
    db: Database,
    chat: RecordingChannel,
    now: datetime,
    count: int,
    *,
    reporter: str = "u1",
    language: str = "bg",
    near: tuple[float, float] = (42.6497, 23.3790),
) -> list[Report]:
    """`count` new reports by one citizen (speaking `language`), a minute apart, around `near`."""
    made: list[Report] = []
    async with db.sessions() as session, session.begin():
        citizen, _ = await citizens.get_or_create_by_identity(
            session, channel=chat.name, user_id=reporter, language=language, now=now
        )
        citizen.consent_version = 1
        for i in range(count):
            report = await reports.create(
                session,
                city="sofia",
                prefix="SOF",
                category="sofia-28",
                description=f"{LADY} ({i + 1})",
                source="console",
                lat=near[0] + i * 0.00001,
                lon=near[1],
                address="бул. Александър Малинов 12",
                district="15",
                reporter_id=citizen.id,
                now=now - timedelta(minutes=count - i),
            )
            made.append(report)
    return made
