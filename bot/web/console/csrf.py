"""Every state-changing request carries the session's CSRF token: a form field `csrf`, or
the X-CSRF-Token header htmx sends (set once on <body hx-headers>). SameSite=Lax already
keeps the cookie off cross-site POSTs; the token also covers same-site attackers."""

from __future__ import annotations

import hmac

from aiohttp import web
from multidict import MultiDictProxy

FIELD = "csrf"
HEADER = "X-CSRF-Token"


def valid(request: web.Request, form: MultiDictProxy[object], expected: str) -> bool:
    given = request.headers.get(HEADER) or form.get(FIELD)
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())
