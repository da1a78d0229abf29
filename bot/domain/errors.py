"""Why an action cannot be done as asked (beyond the actor's role, which is `Forbidden`).

`key` is the i18n key of the sentence an interface says; `values` fill it in. `code` is a short
machine name an API can return."""

from __future__ import annotations


class Refused(Exception):
    def __init__(self, code: str, key: str, /, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.key = key
        self.values = values
