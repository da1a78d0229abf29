"""Reports: citizens file them and follow them up; staff list and triage them.

- file.py          /report: filing one (category → place → description → photos → nearby
                   duplicates → summary), the draft resumed; `/report SOF-…` opens one
- known_outage.py  the filing's "we already know" (an official alert covers the pin)
- open_report.py   opening one report (`/report SOF-…`, 📄 buttons): staff view or card
- mine.py          /myreports, a report's card as a citizen sees it, unfollowing
- reopen.py        "Not fixed": reopening a resolved report
- confirm.py       the ✅ / ❌ answer to "Is it fixed?" after a resolution
- staff_list.py    /reports: the staff list with its filters; staff's /report picker
- triage.py        staff status changes with notes, duplicates, hiding
- card.py          the body's work from the staff card: assign (to me, to a colleague), an
                   internal note, move to another body; card_view.py what the card shows of it
- desk.py          the staff desk's conversation state (the list's filters, the question open)
- views.py         labels, cards, photos, history; a report found by a button's id
- buttons.py       every report button's typed payload
"""

from __future__ import annotations

from bot.core.router import Router
from handlers.reports import (
    card,
    confirm,
    file,
    mine,
    open_report,
    reopen,
    staff_list,
    triage,
)

router = Router("reports")
for module in (file, open_report, mine, reopen, confirm, staff_list, triage, card):
    router.include(module.router)
