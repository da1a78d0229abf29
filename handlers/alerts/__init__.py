"""Citizens' alerts: /alerts and its topics (subscribe.py), places (places.py), /mysubs
(mine.py), quiet hours and the digest (hours.py), /stop (stop.py), the official alerts in
force (/now: now.py; official.py describes them, also for the report step's "we already
know" in handlers/reports/known_outage.py). flow.py holds the steps that wait for an answer."""

from __future__ import annotations

from bot.core.router import Router
from handlers.alerts import hours, mine, now, places, stop, subscribe

router = Router("alerts")
router.include(subscribe.router)
router.include(places.router)
router.include(mine.router)
router.include(hours.router)
router.include(stop.router)
router.include(now.router)
