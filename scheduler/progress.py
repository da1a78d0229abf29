"""The broadcast's progress message for the staff member who sent it.

A notice with `progress_channel`/`progress_user_id` gets one message in that chat, posted by
the engine when its run starts (unless the alerts handler already stored
`progress_message_id`) and edited every few seconds while the run is sending: "sent / total,
rate, time left", then once more when the run is done. Texts are in the sender's language
(the citizen behind the progress address).

A channel that cannot edit a message (`capabilities.edits_in_place` False: Viber, where each
message is also billed) gets a new message only at milestones: when the run starts, when a
quarter, half and three quarters of it are sent, and the final figures — at most five, never
one per tick.
The last milestone posted is kept in `progress_message_id` ("m:<run id>:<percent>", 100 for
the final one) and only ever moved forward, in one UPDATE, so with several instances (or a
tick racing the final report) each milestone is posted once.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.core.channel import Channel, SendStatus
from bot.core.messages import Address, Reply
from bot.i18n import Translator, format_number
from storage.db import Database
from storage.repos import citizens, run_figures, run_progress
from storage.repos.run_progress import RunProgress

log = logging.getLogger(__name__)

RATE_WINDOW = 30.0  # seconds of samples behind the shown rate
MILESTONE = 25  # percent sent between the progress messages of a channel that cannot edit
MARK = "m:"  # progress_message_id of such a channel: "m:<run id>:<last milestone posted>"
DONE = 100
MILESTONES = tuple(range(0, DONE + 1, MILESTONE))


def milestone(sent: int, total: int) -> int:
    """The last milestone `sent` of `total` has passed while sending: 0, 25, 50 or 75 (100 is
    reserved for the final figures, posted when the run is done)."""
    if total <= 0:
        return 0
    return min(DONE - MILESTONE, sent * 100 // total // MILESTONE * MILESTONE)


def posted_milestone(run: RunProgress) -> int:
    """The last milestone posted for this run (-1: none yet)."""
    mark = run.message_id or ""
    if not mark.startswith(MARK):
        return -1
    run_id, _, percent = mark.removeprefix(MARK).partition(":")
    if run_id != str(run.run_id) or not percent.isdigit():
        return -1  # an earlier run of the notice
    return int(percent)


@dataclass
class _Shown:
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=64))
    text: str | None = None


def duration(t: Callable[..., str], seconds: float) -> str:
    """`seconds` as "42 s", "3 min 5 s" or "2 h 10 min" (t: a translate bound to a language)."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return t("delivery.seconds", s=seconds)
    if seconds < 3600:
        return t("delivery.minutes", m=seconds // 60, s=seconds % 60)
    return t("delivery.hours", h=seconds // 3600, m=seconds % 3600 // 60)


class ProgressReporter:
    def __init__(
        self,
        *,
        db: Database,
        translator: Translator,
        channels: Callable[[str], Channel | None],
        charge: Callable[[str], None],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.translator = translator
        self.channels = channels
        self.charge = charge
        self.monotonic = monotonic
        self._shown: dict[int, _Shown] = {}
        self._languages: dict[tuple[str, str], str] = {}

    async def tick(self) -> None:
        """Edit the progress message of every active run whose figures changed."""
        async with self.db.sessions() as session:
            runs = await run_progress.progress_runs(session)
        for run in runs:
            await self._report(run, done=False)
        active = {run.run_id for run in runs}
        for run_id in list(self._shown):
            if run_id not in active:
                del self._shown[run_id]

    async def finished(self, run_ids: Iterable[int]) -> None:
        """The final edit of runs that just finished."""
        ids = list(run_ids)
        if not ids:
            return
        async with self.db.sessions() as session:
            runs = await run_progress.progress_runs(session, run_ids=ids, active=False)
        for run in runs:
            await self._report(run, done=True)
            self._shown.pop(run.run_id, None)

    async def _report(self, run: RunProgress, *, done: bool) -> None:
        try:
            async with self.db.sessions() as session:
                counts = await run_figures.run_counts(session, run_id=run.run_id)
                language = await self._language(session, run)
            text = self._text(run, counts, language, done=done)
            channel = self.channels(run.channel)
            if channel is not None and not channel.capabilities.edits_in_place:
                reached = DONE if done else milestone(*run_figures.sent_of(counts))
                await self._post_milestone(run, channel, reached, Reply(text))
                return
            shown = self._shown.setdefault(run.run_id, _Shown())
            if text != shown.text:
                await self._show(run, Reply(text))
                shown.text = text
        except Exception:
            log.exception("progress of notice run %s not shown", run.run_id)

    async def _language(self, session: object, run: RunProgress) -> str:
        key = (run.channel, run.user_id)
        if key not in self._languages:
            citizen = await citizens.find_by_identity(
                session,  # type: ignore[arg-type]
                channel=run.channel,
                user_id=run.user_id,
            )
            self._languages[key] = citizen.language if citizen else self.translator.default
        return self._languages[key]

    def _text(self, run: RunProgress, counts: dict[str, int], language: str, *, done: bool) -> str:
        def t(key: str, /, **values: object) -> str:
            return self.translator.translate(language, key, **values)

        sent, total = run_figures.sent_of(counts)
        if done:
            elapsed = (run.finished_at - run.created_at).total_seconds() if run.finished_at else 0
            lines = [
                t(
                    "delivery.progress_done",
                    id=run.notice_id,
                    sent=sent,
                    total=total,
                    elapsed=duration(t, elapsed),
                )
            ]
            if counts["failed"] or counts["blocked"] or counts["cancelled"]:
                lines.append(
                    t(
                        "delivery.progress_losses",
                        failed=counts["failed"],
                        blocked=counts["blocked"],
                        cancelled=counts["cancelled"],
                    )
                )
            return "\n".join(lines)
        rate = self._rate(run.run_id, sent)
        if rate:
            line = t(
                "delivery.progress_running",
                id=run.notice_id,
                sent=sent,
                total=total,
                rate=format_number(rate, language),
                left=duration(t, counts["queued"] / rate),
            )
        else:
            line = t("delivery.progress_started", id=run.notice_id, sent=sent, total=total)
        if counts["deferred"]:
            deferred = counts["deferred"]
            line += "\n" + self.translator.translate_n(
                language, "delivery.progress_deferred", deferred, count=deferred
            )
        return line

    def _rate(self, run_id: int, sent: int) -> float | None:
        samples = self._shown.setdefault(run_id, _Shown()).samples
        now = self.monotonic()
        samples.append((now, sent))
        while len(samples) > 2 and now - samples[0][0] > RATE_WINDOW:
            samples.popleft()
        first_t, first_sent = samples[0]
        if now - first_t < 1 or sent <= first_sent:
            return None
        return (sent - first_sent) / (now - first_t)

    async def _post_milestone(
        self, run: RunProgress, channel: Channel, reached: int, reply: Reply
    ) -> None:
        """A new message for a channel that cannot edit, if `reached` is a milestone not
        posted yet (one instance wins it)."""
        if reached <= posted_milestone(run):
            return
        later = [f"{MARK}{run.run_id}:{p}" for p in MILESTONES if p >= reached]
        async with self.db.sessions() as session, session.begin():
            mine = await run_progress.move_progress_mark(
                session, notice_id=run.notice_id, new=later[0], unless=later
            )
        if not mine:
            return
        self.charge(run.channel)
        result = await channel.send(Address(run.channel, run.user_id), reply)
        if not result.ok:
            log.info("progress of run %s not sent: %s", run.run_id, result.error)

    async def _show(self, run: RunProgress, reply: Reply) -> None:
        channel = self.channels(run.channel)
        if channel is None:
            return
        to = Address(run.channel, run.user_id)
        if run.message_id:
            self.charge(run.channel)
            result = await channel.edit(to, run.message_id, reply)
            if result.status is SendStatus.FAILED:
                log.info("progress of run %s not edited: %s", run.run_id, result.error)
            return
        if run.message_id == "":
            return  # another instance is posting it (or lost it in a crash): no second one
        async with self.db.sessions() as session, session.begin():
            mine = await run_progress.claim_progress_message(session, notice_id=run.notice_id)
        if not mine:
            return
        self.charge(run.channel)
        result = await channel.send(to, reply)
        async with self.db.sessions() as session, session.begin():
            await run_progress.set_progress_message(
                session, notice_id=run.notice_id, message_id=result.message_id
            )
