"""Staff and admin commands: /staffhelp, /stats, roles (/grant, /revoke, /staff), bans
(/ban, /unban), /find, /audit, /forwarding; targets.py finds the citizen a command names by
their ref."""

from __future__ import annotations

from bot.core.router import Router
from handlers.admin import audit, bans, find, forwarding, help, roles, stats

router = Router("admin")
for module in (help, roles, bans, find, audit, stats, forwarding):
    router.include(module.router)
