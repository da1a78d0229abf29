"""Sending a report on to the body that fixes it: by email (email.py) or to the body's own
Open311 GeoReport v2 endpoint (open311.py).

Each sender is one `async send(...) -> result` that raises `RetryableError` (try again
later: a timeout, a refused connection, a 4xx SMTP answer, an HTTP 5xx or 429) or
`PermanentError` (retrying cannot help: a rejected recipient, an HTTP 4xx with the
endpoint's error, a malformed answer), so a delivery engine can retry with backoff and give
up cleanly. What is sent is a `ForwardedReport` (report.py), built once from the report.
"""

from bot.forwarding.errors import ForwardingError, PermanentError, RetryableError
from bot.forwarding.report import ForwardedReport, forwarded_report

__all__ = [
    "ForwardedReport",
    "ForwardingError",
    "PermanentError",
    "RetryableError",
    "forwarded_report",
]
