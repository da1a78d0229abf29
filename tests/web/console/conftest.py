"""One headless Chromium per test session (Debian's /usr/bin/chromium, driven by
Playwright), in a thread of its own with its own event loop: each test's loop serves the
bot while the browser thread clicks. Tests run their browser steps with `await
browser.run(coroutine)`; every test gets a fresh context (no cookies shared)."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
AXE = Path(__file__).parent / "axe" / "axe.min.js"
AXE_SOURCE = AXE.read_text(encoding="utf-8")
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS") == "1"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "console"


def chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserThread:
    def __init__(self, executable: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.playwright: Any = None
        self.browser: Any = None
        asyncio.run_coroutine_threadsafe(self._launch(executable), self.loop).result(60)

    async def _launch(self, executable: str) -> None:
        from playwright.async_api import async_playwright

        self.playwright = await async_playwright().start()
        self.browser = await self.playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run the coroutine on the browser's loop; this loop stays free meanwhile."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        async def _close() -> None:
            await self.browser.close()
            await self.playwright.stop()

        asyncio.run_coroutine_threadsafe(_close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="session")
def browser_thread() -> Iterator[BrowserThread]:
    executable = chromium()
    if executable is None:
        pytest.skip("no Chromium binary (apt-get install chromium): browser tests skipped")
    thread = BrowserThread(executable)
    yield thread
    thread.close()


class Browser:
    """A fresh browser context for one test, and its page."""

    def __init__(self, thread: BrowserThread) -> None:
        self.thread = thread
        self.context: Any = None
        self.page: Any = None
        self.csp_errors: list[str] = []

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return await self.thread.run(coroutine)

    async def open(self, locale: str = "en-GB") -> None:
        """A fresh context (no cookies) whose browser speaks `locale`."""

        async def _open() -> None:
            self.context = await self.thread.browser.new_context(
                locale=locale, viewport={"width": 1280, "height": 900}
            )
            self.page = await self.context.new_page()
            self.page.on("console", self._console)

        await self.run(_open())

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_errors.append(f"{message.location.get('url')}: {message.text[:90]}")

    async def close(self) -> None:
        if self.context is not None:
            await self.run(self.context.close())


@pytest.fixture
async def browser(browser_thread: BrowserThread) -> AsyncIterator[Browser]:
    opened = Browser(browser_thread)
    await opened.open()
    yield opened
    await opened.close()
    assert opened.csp_errors == []


async def axe_check(page: Any) -> None:
    """axe-core on the page (injected by evaluation, not served): no serious or critical
    violation of WCAG 2.1 A and AA."""
    await page.evaluate(AXE_SOURCE)
    result = await page.evaluate(
        """() => axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            resultTypes: ["violations"],
        })"""
    )
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], bad


async def screenshot(page: Any, name: str) -> None:
    """docs/console/<name>.png, only when CONSOLE_SCREENSHOTS=1 asks for it."""
    if SCREENSHOTS:
        DOCS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)
