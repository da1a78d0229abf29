"""Surveys: create one (a draft or published), publish, close, make its results public or
private, invite citizens to it, and export its anonymised responses.

Staff do these (the command line acts as a system actor with the staff role). The rules: a
survey past its closing time cannot be published; invitations go only to an open survey,
within its districts and languages, never twice to a citizen, never to one who answered or
is banned (storage.repos.surveys.invite_batch), and quiet hours hold them like other
non-urgent messages. Each action writes its audit entry.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.errors import Refused
from bot.domain.quiet_hours import hold
from bot.domain.work import Work
from bot.i18n import N_
from bot.surveys.export import csv_chunks, csv_text
from bot.surveys.lifecycle import Phase, phase, questions_of
from storage.models import OutboxKind, Role, Survey, SurveyStatus
from storage.repos import outbox
from storage.repos import surveys as repo
from storage.repos.surveys import InviteAudience, Invitee

log = logging.getLogger(__name__)

NEEDED = Role.STAFF
INVITE_BATCH = 500
INLINE_INVITES = 20  # as many as the delivery engine sends inside the dispatch


def check_period(opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        raise Refused("closes_before_opens", N_("surveys.new_closes_before"))


async def create(
    work: Work,
    *,
    definition: dict[str, Any],
    opens_at: datetime,
    closes_at: datetime,
    publish: bool,
    source: str = "chat",
) -> Survey:
    """A new survey from a validated questionnaire (`definition`), published or a draft."""
    work.actor.require(NEEDED)
    check_period(opens_at, closes_at)
    created = await repo.create(
        work.session,
        code=None,
        status=SurveyStatus.PUBLISHED if publish else SurveyStatus.DRAFT,
        opens_at=opens_at,
        closes_at=closes_at,
        definition=definition,
        source=source,
        created_by=work.actor.citizen_id,
        now=work.now,
    )
    log.info("survey %s made (%s) by %s", created.id, source, work.actor.ref)
    await work.audit("create", "survey", created.id, published=publish)
    return created


async def publish(work: Work, survey: Survey) -> None:
    work.actor.require(NEEDED)
    if work.now >= survey.closes_at:
        raise Refused("closed", N_("surveys.staff_cannot_publish"), closes=survey.closes_at)
    await _set_status(work, survey, SurveyStatus.PUBLISHED)


async def close(work: Work, survey: Survey) -> None:
    work.actor.require(NEEDED)
    await _set_status(work, survey, SurveyStatus.CLOSED)


async def _set_status(work: Work, survey: Survey, status: SurveyStatus) -> None:
    survey.status = status.value
    survey.updated_at = work.now
    work.session.add(survey)
    log.info("survey %s %s by %s", survey.id, status.value, work.actor.ref)
    action = "publish" if status is SurveyStatus.PUBLISHED else "close"
    await work.audit(action, "survey", survey.id)


async def set_public(work: Work, survey: Survey, public: bool) -> None:
    """Show the survey's results on the public web page, or stop showing them."""
    work.actor.require(NEEDED)
    survey.public = public
    survey.updated_at = work.now
    work.session.add(survey)
    await work.audit("public" if public else "private", "survey", survey.id)


async def export(work: Work, survey: Survey, *, fits: Callable[[str], bool] | None = None) -> str:
    """The anonymised responses as CSV text (with a BOM, CRLF line ends). Refused, and not
    recorded, if `fits` (what the interface can hand over) says the text does not fit."""
    work.actor.require(NEEDED)
    text = await csv_text(
        work.session, survey=survey, questionnaire=questions_of(survey), tz=work.city.timezone
    )
    if fits is not None and not fits(text):
        raise Refused("too_large", N_("surveys.csv_too_large"), id=survey.id)
    await work.audit("export", "survey", survey.id, responses=text.count("\n") - 1)
    return text


async def export_chunks(work: Work, survey: Survey) -> AsyncIterator[str]:
    """The same CSV in pieces, for a survey of any size (the command line); recorded once
    all of it was handed over."""
    work.actor.require(NEEDED)
    lines = 0
    async for chunk in csv_chunks(
        work.session, survey=survey, questionnaire=questions_of(survey), tz=work.city.timezone
    ):
        lines += chunk.count("\n")
        yield chunk
    await work.audit("export", "survey", survey.id, responses=lines - 1)


def audience(work: Work, survey: Survey, topic: str | None) -> InviteAudience:
    """Whom an invitation goes to: those who opted in to surveys (`topic` None) or a topic's
    subscribers, within the survey's districts and languages."""
    if topic is not None and work.city.topic(topic) is None:
        raise Refused("unknown_topic", N_("surveys.staff_stale"))
    return InviteAudience(
        topic=topic,
        districts=frozenset(survey.districts),
        languages=frozenset(survey.languages),
    )


def check_invitable(work: Work, survey: Survey) -> None:
    work.actor.require(NEEDED)
    stage = phase(survey, work.now)
    if stage is not Phase.OPEN:
        raise Refused("not_open", N_("surveys.invite_not_open"), phase=stage)


@dataclass(frozen=True)
class Invited:
    citizens: int
    messages: int


async def invite(
    work: Work, survey: Survey, audience: InviteAudience, payloads: dict[str, dict[str, Any]]
) -> Invited:
    """Queue the invitations (`payloads`: the rendered invitation per language) in batches of
    recipients. A small audience's messages leave right after the commit; a larger one's are
    found by the delivery engine's own polling."""
    check_invitable(work, survey)
    assert survey.id is not None
    citizens = messages = 0
    pending: list[dict[str, Any]] = []
    flushed = False
    while batch := await repo.invite_batch(
        work.session, survey_id=survey.id, audience=audience, limit=INVITE_BATCH, now=work.now
    ):
        found = _outbox_rows(work, batch, payloads)
        citizens += len(batch)
        messages += len(found)
        pending += found
        if len(pending) > INLINE_INVITES:
            await outbox.enqueue_many(work.session, rows=pending, now=work.now)
            pending, flushed = [], True
    if flushed:
        await outbox.enqueue_many(work.session, rows=pending, now=work.now)
    elif pending:
        ids = []
        for row in pending:
            queued = await outbox.enqueue_direct(work.session, now=work.now, **row)
            assert queued.id is not None
            ids.append(queued.id)
        work.deliver_after_commit(ids)
    log.info("survey %s: %s invitations queued by %s", survey.id, messages, work.actor.ref)
    await work.audit("invite", "survey", survey.id, citizens=citizens)
    return Invited(citizens, messages)


def _outbox_rows(
    work: Work, batch: list[Invitee], payloads: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    tz = work.city.timezone
    out = []
    for invitee in batch:
        held, at = hold(invitee.settings, urgent=False, now=work.now, tz=tz, digest=False)
        language = invitee.language if invitee.language in payloads else work.translator.default
        for channel, user_id in invitee.addresses:
            out.append(
                {
                    "citizen_id": invitee.citizen_id,
                    "channel": channel,
                    "user_id": user_id,
                    "language": language,
                    "payload": payloads[language],
                    "kind": OutboxKind.INVITE.value,
                    "held": held.value if held else None,
                    "next_attempt_at": at,
                }
            )
    return out
