"""Each body's figures: open, overdue, the median times to acknowledge and to resolve, the
share solved on time and the share citizens confirmed fixed. The one place they are defined;
/stats, /metrics, open data and the console's dashboard all show these.

- on time: resolved by the resolve deadline. Late: resolved after it, **or still open past
  it** (counting only closed reports would flatter a body that leaves the hard ones open).
  Open reports not yet due, and rejected or duplicate ones, are neither.
- confirmed fixed: of the "Is it fixed?" answers, the share of ✅; each ❌ counts as "not
  fixed" against the body (a report reopened twice counts twice).
- Hidden reports count nowhere; a report counts for the body it is with now.

Who sees what: staff their bodies' figures (city-wide staff and admins every body's); a
system actor (open data, /metrics) every body's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.bodies import actor_bodies
from bot.domain.work import Work
from storage.models import Report, Role
from storage.repos import body_figures as repo


@dataclass(frozen=True, slots=True)
class BodyFigures:
    code: str
    open: int
    overdue: int
    late_open: int
    resolved_on_time: int
    resolved_late: int
    acknowledge_median: timedelta | None
    resolve_median: timedelta | None
    confirmed_fixed: int
    not_fixed: int

    @property
    def late(self) -> int:
        return self.resolved_late + self.late_open

    @property
    def on_time_share(self) -> float | None:
        """Resolved on time ÷ (resolved + open past the deadline); None with nothing due."""
        due = self.resolved_on_time + self.late
        return self.resolved_on_time / due if due else None

    @property
    def confirmed_share(self) -> float | None:
        """✅ ÷ answers to "Is it fixed?"; None with no answer."""
        answers = self.confirmed_fixed + self.not_fixed
        return self.confirmed_fixed / answers if answers else None


async def body_figures(work: Work) -> list[BodyFigures]:
    """The figures of every body the actor may see, in the city pack's order (bodies with no
    report yet included, with zeros); codes no longer in the pack come last."""
    work.actor.require(Role.STAFF)
    scope = await actor_bodies(work)
    codes = [b.code for b in work.city.bodies.bodies if scope is None or b.code in scope]
    if scope is not None:
        codes += sorted(scope - set(codes))
    selected = None if scope is None else sorted(scope)
    session = work.session
    counts = await repo.counts(session, now=work.now, bodies=selected)
    acknowledge = await repo.acknowledge_medians(session, bodies=selected)
    resolve = await repo.resolve_medians(session, bodies=selected)
    codes += sorted(set(counts) - set(codes))
    empty = repo.Counts()
    out = []
    for code in codes:
        c = counts.get(code, empty)
        out.append(
            BodyFigures(
                code=code,
                open=c.open,
                overdue=c.overdue,
                late_open=c.late_open,
                resolved_on_time=c.resolved_on_time,
                resolved_late=c.resolved_late,
                acknowledge_median=acknowledge.get(code),
                resolve_median=resolve.get(code),
                confirmed_fixed=c.confirmed_fixed,
                not_fixed=c.not_fixed,
            )
        )
    return out


async def overdue_reports(work: Work, *, offset: int, limit: int) -> tuple[list[Report], int]:
    """Overdue reports, the most overdue first: staff see their bodies', admins every
    body's."""
    work.actor.require(Role.STAFF)
    scope = await actor_bodies(work)
    return await repo.overdue_page(
        work.session,
        now=work.now,
        bodies=None if scope is None else sorted(scope),
        offset=offset,
        limit=limit,
    )
