"""The two ways a forwarding can fail: worth retrying, or not."""

from __future__ import annotations


class ForwardingError(Exception):
    """Sending a report to a body failed; `retryable` says whether trying later may work.
    The message never holds a secret (a password, an API key)."""

    retryable: bool = False


class RetryableError(ForwardingError):
    """A timeout, a refused or dropped connection, a temporary refusal (SMTP 4xx, HTTP 5xx,
    HTTP 429): the same send may succeed later."""

    retryable = True


class PermanentError(ForwardingError):
    """The body's side refused what was sent (SMTP 5xx, HTTP 4xx with its error) or answered
    something unreadable: sending the same again will not help; staff must look."""

    retryable = False
