"""Surveys in chat: citizens answer them (answer.py), staff run them (manage.py: /survey,
/results, invitations, CSV) and make simple ones (create.py: /newsurvey); views.py shows
them the same way to both; buttons.py holds every button family's typed payload."""

from __future__ import annotations

from bot.core.router import Router
from handlers.surveys import answer, create, manage

router = Router("surveys")
for module in (answer, manage, create):
    router.include(module.router)
