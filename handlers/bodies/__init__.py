"""Bodies' staff in the chat: their team chat, how each hears of new reports, and the buttons
on those messages. The rules are bot/domain/body_news.py's (what a body hears, linking) and
bot/domain/handling.py's (acknowledge, assign); these only ask, call and say.

- link.py     /linkbody BODY, /unlinkbody [BODY]: an admin, inside a group, makes it (or no
              longer) a body's team chat
- notify.py   /notify: a staff member chooses every report, a daily digest, or none
- actions.py  the notification's buttons Acknowledge / Assign to me / Open, tapped in a
              private chat or in the team chat (the tapper's own role and body count)
- buttons.py  the typed payloads: bak, bam, bop (the domain writes them), bn
"""

from __future__ import annotations

from bot.core.router import Router
from handlers.bodies import actions, link, notify

router = Router("bodies")
for module in (link, notify, actions):
    router.include(module.router)
