"""Why an action cannot be done as asked (beyond the actor's role, which is `Forbidden`): the one
refusal every domain module (reports, notices, surveys, citizens) raises.

`code` is a short machine name an API maps (Open311 answers the reports quotas with 429); `key`
is the i18n key of the sentence a conversation says (handlers/refusals.py), None for a refusal
only an API meets; `values` fill it in. A plural sentence (`Refused.plural`) agrees with `n`."""

from __future__ import annotations


class Refused(Exception):
    n: int | None = None

    def __init__(self, code: str, key: str | None, /, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.key = key
        self.values = values

    @classmethod
    def plural(cls, code: str, key: str, n: int, /, **values: object) -> Refused:
        """A refusal whose sentence is a plural entry, in the form that agrees with `n`."""
        refusal = cls(code, key, **values)
        refusal.n = n
        return refusal
