"""Staff notices: /broadcast, the composer (flow.py holds its steps' table; compose.py,
audience.py and schedule.py its answers), /notices and /notice ID (notices.py), and the staff's
review of official feeds' alerts (feeds_review.py)."""

from __future__ import annotations

from bot.core.router import Router
from handlers.broadcast import audience, compose, feeds_review, notices, schedule

router = Router("broadcast")
router.include(compose.router)
router.include(audience.router)
router.include(schedule.router)
router.include(notices.router)
router.include(feeds_review.router)
