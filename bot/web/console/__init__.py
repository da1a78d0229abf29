"""The staff web console, served by `citizenbot run` under /console (docs/ARCHITECTURE.md).

Staff sign in with a one-time link from chat (/web, handlers/web_link.py), then triage
reports in the browser through the same domain actions as the chat (bot/domain/reports.py)."""

from bot.web.console.app import console_app

__all__ = ["console_app"]
