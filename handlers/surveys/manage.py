"""Staff run surveys: /survey (the list), /survey ID (a survey's card), /survey ID publish |
close | invite | export, /results ID. (/newsurvey is handlers.surveys.create.)

Results: the counts and percentages per question, responses by district, a bar chart per
choice or scale question (PNG, labelled in the staff member's language), free-text answers
a page at a time, and the anonymised responses as CSV (sent as text: the channels have no
documents yet). Charts are drawn after the transaction commits (an after-commit task), so
the database is never held while matplotlib works.

Invitations (the delivery engine's "direct" outbox rows, one per recipient and channel, with
a button that opens the survey): to everyone who opted in to surveys, or to the subscribers
of an alert topic; within the survey's districts and languages; never twice to a citizen,
never to one who has answered. Quiet hours hold them like other non-urgent messages.

Every route needs Role.STAFF. Buttons: handlers/surveys/buttons.py (CardButton … CancelButton).
"""

from __future__ import annotations

import functools
import logging

from bot.core.context import Context
from bot.core.messages import Address, Button, IncomingMessage, Reply, Rows, rows
from bot.core.router import Router
from bot.core.text import split_text
from bot.domain import surveys as domain
from bot.domain.errors import Refused
from bot.i18n import N_
from bot.surveys.charts import ChartSpec, chart_spec, render
from bot.surveys.lifecycle import Phase, phase, questions_of
from bot.surveys.results import QuestionResult, SurveyResults, summarize
from bot.surveys.schema import FreeText, localized
from handlers.labels import channel_counts, topic_label
from handlers.picker import Choice, offer
from handlers.reports.views import district_label
from handlers.surveys.buttons import (
    AudienceButton,
    CancelButton,
    CardButton,
    CsvButton,
    InviteButton,
    OpenButton,
    PublicButton,
    ResultsButton,
    SendInvitesButton,
    TextsButton,
)
from handlers.surveys.views import closes, districts_text, opens, phase_label, short, title
from scheduler.payloads import direct_payload
from storage.models import Role, Survey
from storage.repos import surveys as repo
from storage.repos.surveys import InviteAudience

log = logging.getLogger(__name__)
router = Router("surveys.manage")

TEXT_PAGE = 10
CSV_CHUNK = 3500
CSV_MAX_CHUNKS = 15
OPT_IN = "*"


async def _survey(ctx: Context, ref: str | int) -> Survey | None:
    ref = str(ref)
    survey = await repo.find(ctx.session, ref=ref) if ref else None
    if survey is None:
        ctx.reply(ctx.t("surveys.staff_not_found", ref=ref[:40]))
    return survey


# -- /survey ------------------------------------------------------------------------------


@router.command("survey", role=Role.STAFF)
async def on_survey(msg: IncomingMessage, ctx: Context) -> None:
    words = msg.args.split()
    if not words:
        return await show_surveys(ctx)
    survey = await _survey(ctx, words[0])
    if survey is None:
        return
    action = words[1].lower() if len(words) > 1 else ""
    actions = {
        "": show_card,
        "invite": ask_audience,
        "export": send_csv,
        "csv": send_csv,
        "results": show_results,
        "publish": publish,
        "open": publish,
        "close": close,
    }
    handler = actions.get(action)
    if handler is None:
        ctx.reply(ctx.t("surveys.staff_usage"))
        return
    await handler(ctx, survey)


async def show_surveys(ctx: Context) -> None:
    found = await repo.listed(ctx.session)
    if not found:
        ctx.reply(ctx.t("surveys.staff_none"))
        return
    lines = [ctx.t("surveys.staff_list_title")]
    for survey in found:
        lines.append(
            f"#{survey.id} {title(ctx, survey)} · {phase_label(ctx, phase(survey, ctx.now))} · "
            + ctx.t("surveys.staff_dates", opens=opens(ctx, survey), closes=closes(ctx, survey))
        )
    buttons = [CardButton(s.id or 0).button(f"#{s.id} {short(title(ctx, s), 30)}") for s in found]
    ctx.reply("\n".join(lines), rows(*buttons, per_row=2))


@router.button(CardButton, role=Role.STAFF)
async def on_card(msg: IncomingMessage, ctx: Context) -> None:
    survey = await _survey(ctx, CardButton.of(msg).survey)
    if survey is not None:
        await show_card(ctx, survey)


async def show_card(ctx: Context, survey: Survey, note: str | None = None) -> None:
    assert survey.id is not None
    questionnaire = questions_of(survey)
    tallies = await repo.tallies(ctx.session, survey_id=survey.id)
    invited = await repo.invited_count(ctx.session, survey_id=survey.id)
    stage = phase(survey, ctx.now)
    lines = [note] if note else []
    lines.append(f"📝 #{survey.id} {title(ctx, survey)}")
    lines.append(
        ctx.t(
            "surveys.staff_card",
            code=survey.code,
            phase=phase_label(ctx, stage),
            opens=opens(ctx, survey),
            closes=closes(ctx, survey),
            questions=len(questionnaire.questions),
            responses=tallies.responses,
            started=tallies.started,
            invited=invited,
        )
    )
    lines.append(_targeting(ctx, survey))
    lines.append(ctx.t("surveys.staff_link", id=survey.id))
    if survey.public:
        base = ctx.services.settings.public_url
        lines.append(
            ctx.t(
                "surveys.staff_public_url", url=f"{base}/opendata/surveys/{survey.id}/results.json"
            )
        )
    ctx.reply("\n\n".join(lines), card_buttons(ctx, survey, stage))


def _targeting(ctx: Context, survey: Survey) -> str:
    districts = (
        districts_text(ctx, survey.districts)
        if survey.districts
        else ctx.t("surveys.all_districts")
    )
    languages = ", ".join(survey.languages) if survey.languages else ctx.t("surveys.all_languages")
    return ctx.t("surveys.staff_targeting", districts=districts, languages=languages)


def card_buttons(ctx: Context, survey: Survey, stage: Phase) -> Rows:
    assert survey.id is not None
    sid = survey.id
    buttons = [
        ResultsButton(sid).button(ctx.t("surveys.btn_results")),
        CsvButton(sid).button(ctx.t("surveys.btn_csv")),
    ]
    if stage is Phase.OPEN:
        buttons.append(InviteButton(sid).button(ctx.t("surveys.btn_invite")))
    public_key = N_("surveys.btn_make_private") if survey.public else N_("surveys.btn_make_public")
    buttons.append(PublicButton(sid, not survey.public).button(ctx.t(public_key)))
    return rows(*buttons, per_row=2)


@router.button(PublicButton, role=Role.STAFF)
async def on_public(msg: IncomingMessage, ctx: Context) -> None:
    tapped = PublicButton.of(msg)
    survey = await _survey(ctx, tapped.survey)
    if survey is None:
        return
    await domain.set_public(ctx.work, survey, tapped.public)
    key = N_("surveys.staff_now_public") if survey.public else N_("surveys.staff_now_private")
    await show_card(ctx, survey, ctx.t(key))


async def publish(ctx: Context, survey: Survey) -> None:
    try:
        await domain.publish(ctx.work, survey)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, survey, refusal))
        return
    await show_card(ctx, survey, ctx.t("surveys.staff_published"))


async def close(ctx: Context, survey: Survey) -> None:
    await domain.close(ctx.work, survey)
    await show_card(ctx, survey, ctx.t("surveys.staff_closed"))


def refusal_text(ctx: Context, survey: Survey, refusal: Refused) -> str:
    """The domain's refusal, with the survey's closing time and phase as staff read them."""
    values = dict(refusal.values)
    if "closes" in values:
        values["closes"] = closes(ctx, survey)
    if isinstance(values.get("phase"), Phase):
        values["phase"] = phase_label(ctx, values["phase"])
    return ctx.t(refusal.key, **values)


# -- /results -----------------------------------------------------------------------------


@router.command("results", role=Role.STAFF)
async def on_results(msg: IncomingMessage, ctx: Context) -> None:
    ref = msg.args.strip()
    if not ref:
        return await offer_results(ctx)
    survey = await _survey(ctx, ref.split()[0])
    if survey is not None:
        await show_results(ctx, survey)


async def offer_results(ctx: Context) -> None:
    """`/results` without an id: the surveys that have results (open ones and closed ones,
    newest first), one button each."""
    found = [
        s for s in await repo.listed(ctx.session) if phase(s, ctx.now) in (Phase.OPEN, Phase.CLOSED)
    ]
    offer(
        ctx,
        ctx.t("surveys.pick_results"),
        [
            Choice(
                f"#{s.id} {short(title(ctx, s), 30)}",
                ResultsButton(s.id or 0).pack(),
                line=f"#{s.id} {title(ctx, s)} · {phase_label(ctx, phase(s, ctx.now))}",
            )
            for s in found
        ],
        empty=ctx.t("surveys.pick_results_none"),
    )


@router.button(ResultsButton, role=Role.STAFF)
async def on_results_button(msg: IncomingMessage, ctx: Context) -> None:
    survey = await _survey(ctx, ResultsButton.of(msg).survey)
    if survey is not None:
        await show_results(ctx, survey)


async def show_results(ctx: Context, survey: Survey) -> None:
    assert survey.id is not None
    results = summarize(questions_of(survey), await repo.tallies(ctx.session, survey_id=survey.id))
    ctx.reply(results_text(ctx, survey, results))
    specs = [
        chart_spec(r, ctx.language, ctx.tn("surveys.chart_answered", r.answered, n=r.answered))
        for r in results.questions
        if r.charted and r.answered
    ]
    texts = [r for r in results.questions if isinstance(r.question, FreeText) and r.answered]
    buttons = [
        TextsButton(survey.id, r.question.id, 0).button(
            ctx.t("surveys.btn_texts", n=_number(results, r))
        )
        for r in texts
    ]
    buttons.append(CsvButton(survey.id).button(ctx.t("surveys.btn_csv")))
    closing = Reply(ctx.t("surveys.results_more"), buttons=rows(*buttons, per_row=2))
    # Drawing takes tens of milliseconds a chart: done after the commit, in a thread.
    ctx.after_commit.append(functools.partial(_send_charts, ctx, specs, closing))


async def _send_charts(ctx: Context, specs: list[ChartSpec], closing: Reply) -> None:
    """Queues the charts and the closing message behind the replies already queued (the
    dispatcher sends them once the after-commit tasks are done)."""
    to: Address = ctx.address
    for spec in specs:
        try:
            image = await render(spec)
        except Exception:
            log.exception("a survey chart could not be drawn")
            ctx.outgoing.append(
                (to, Reply(ctx.t("surveys.chart_failed", question=short(spec.title))))
            )
            continue
        ctx.outgoing.append((to, Reply(f"📊 {short(spec.title, 200)}", image=image)))
    ctx.outgoing.append((to, closing))


def _number(results: SurveyResults, result: QuestionResult) -> int:
    return next(i for i, r in enumerate(results.questions, start=1) if r is result)


def results_text(ctx: Context, survey: Survey, results: SurveyResults) -> str:
    stage = phase(survey, ctx.now)
    lines = [
        ctx.t("surveys.results_title", title=title(ctx, survey)),
        ctx.t(
            "surveys.results_head",
            phase=phase_label(ctx, stage),
            closes=closes(ctx, survey),
            responses=results.responses,
            started=results.started,
        ),
    ]
    for n, result in enumerate(results.questions, start=1):
        lines.append(_question_text(ctx, n, result))
    if results.by_district:
        ordered = sorted(results.by_district.items(), key=lambda kv: (-kv[1], kv[0] or "~"))
        district_lines = [f"{district_label(ctx, code)} — {count}" for code, count in ordered]
        lines.append(ctx.t("surveys.results_by_district") + "\n" + "\n".join(district_lines))
    return "\n\n".join(lines)


def _question_text(ctx: Context, n: int, result: QuestionResult) -> str:
    question = result.question
    head = f"{n}. {question.label(ctx.language)}\n" + ctx.t(
        "surveys.results_answered", answered=result.answered, skipped=result.skipped
    )
    if isinstance(question, FreeText) or not result.answered:
        return head
    lines = [head]
    for option in result.options:
        lines.append(f"   {option.label(ctx.language)} — {option.count} ({option.percent:.0f}%)")
    if result.mean is not None:
        lines.append(ctx.t("surveys.results_mean", mean=ctx.number(result.mean, 2, fixed=True)))
    return "\n".join(lines)


@router.button(TextsButton, role=Role.STAFF)
async def on_texts(msg: IncomingMessage, ctx: Context) -> None:
    tapped = TextsButton.of(msg)
    survey = await _survey(ctx, tapped.survey)
    if survey is None:
        return
    assert survey.id is not None
    question = questions_of(survey).question(tapped.question)
    page = tapped.page
    # A question changed or gone since the results were shown: staff are told so.
    if not isinstance(question, FreeText) or not 0 <= page < 10**5:
        ctx.reply(ctx.t("surveys.staff_stale"))
        return
    found, total = await repo.texts(
        ctx.session,
        survey_id=survey.id,
        question=question.id,
        offset=page * TEXT_PAGE,
        limit=TEXT_PAGE,
    )
    if not found:
        ctx.reply(ctx.t("surveys.texts_none", question=question.label(ctx.language)))
        return
    first = page * TEXT_PAGE + 1
    lines = [
        ctx.t(
            "surveys.texts_title",
            question=question.label(ctx.language),
            first=first,
            last=first + len(found) - 1,
            total=total,
        )
    ]
    lines += [f"💬 {text}" for text in found]
    nav = []
    if page > 0:
        nav.append(TextsButton(survey.id, question.id, page - 1).button("◀️"))
    if first + len(found) - 1 < total:
        nav.append(TextsButton(survey.id, question.id, page + 1).button("▶️"))
    ctx.reply("\n\n".join(lines), rows(tuple(nav)) if nav else ())


# -- CSV ----------------------------------------------------------------------------------


@router.button(CsvButton, role=Role.STAFF)
async def on_csv(msg: IncomingMessage, ctx: Context) -> None:
    survey = await _survey(ctx, CsvButton.of(msg).survey)
    if survey is not None:
        await send_csv(ctx, survey)


async def send_csv(ctx: Context, survey: Survey) -> None:
    """The anonymised responses as CSV text in chat (channels have no document sending):
    split at line ends; a survey too large for chat is pointed to the command line."""
    assert survey.id is not None
    try:
        text = await domain.export(
            ctx.work, survey, fits=lambda text: len(_csv_chunks(text)) <= CSV_MAX_CHUNKS
        )
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, survey, refusal))
        return
    chunks = _csv_chunks(text)
    responses = text.count("\n") - 1
    ctx.reply(
        ctx.tn("surveys.csv_intro", responses, title=title(ctx, survey), n=responses, id=survey.id)
    )
    for chunk in chunks:
        ctx.reply(chunk)


def _csv_chunks(text: str) -> list[str]:
    return split_text(text.removeprefix("\ufeff").replace("\r\n", "\n"), CSV_CHUNK)


# -- invitations --------------------------------------------------------------------------


@router.button(InviteButton, role=Role.STAFF)
async def on_invite(msg: IncomingMessage, ctx: Context) -> None:
    survey = await _survey(ctx, InviteButton.of(msg).survey)
    if survey is not None:
        await ask_audience(ctx, survey)


async def ask_audience(ctx: Context, survey: Survey) -> None:
    try:
        domain.check_invitable(ctx.work, survey)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, survey, refusal))
        return
    assert survey.id is not None
    sid = survey.id
    buttons = [AudienceButton(sid, OPT_IN).button(ctx.t("surveys.btn_audience_optin"))]
    buttons += [
        AudienceButton(sid, topic.code).button(topic.short_name(ctx.language))
        for topic in ctx.services.city.topics
    ]
    buttons.append(cancel_button(ctx))
    ctx.reply(ctx.t("surveys.invite_audience", title=title(ctx, survey)), rows(*buttons, per_row=2))


def cancel_button(ctx: Context) -> Button:
    return CancelButton().button(ctx.t("surveys.btn_cancel"))


async def _invite_target(
    ctx: Context, tapped: AudienceButton | SendInvitesButton
) -> tuple[Survey, InviteAudience, str] | None:
    survey = await _survey(ctx, tapped.survey)
    if survey is None:
        return None
    key = tapped.audience
    try:
        audience = domain.audience(ctx.work, survey, None if key == OPT_IN else key)
        domain.check_invitable(ctx.work, survey)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, survey, refusal))
        return None
    return survey, audience, key


@router.button(AudienceButton, role=Role.STAFF)
async def on_audience(msg: IncomingMessage, ctx: Context) -> None:
    target = await _invite_target(ctx, AudienceButton.of(msg))
    if target is None:
        return
    survey, audience, key = target
    assert survey.id is not None
    counts = await repo.count_invitees(ctx.session, survey_id=survey.id, audience=audience)
    who = (
        ctx.t("surveys.audience_optin")
        if key == OPT_IN
        else ctx.t("surveys.audience_topic", topic=topic_label(ctx, key))
    )
    lines = [ctx.t("surveys.invite_preview_title")]
    for language in ctx.services.translator.languages:
        lines.append(f"[{language}]\n" + invitation_text(ctx, survey, language))
    lines.append(ctx.t("surveys.invite_who", who=who) + "\n" + _targeting(ctx, survey))
    lines.append(audience_size(ctx, counts))
    buttons = [cancel_button(ctx)]
    if sum(counts.values()):
        buttons.insert(
            0, SendInvitesButton(survey.id, key).button(ctx.t("surveys.btn_send_invites"))
        )
    ctx.reply("\n\n".join(lines), rows(*buttons, per_row=2))


def audience_size(ctx: Context, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return ctx.t("surveys.audience_none")
    return ctx.t("surveys.audience_size", total=total, channels=channel_counts(ctx, counts))


def invitation_text(ctx: Context, survey: Survey, language: str) -> str:
    translator = ctx.services.translator
    questionnaire = questions_of(survey)
    parts = [
        translator.translate(
            language,
            "surveys.invite_text",
            city=ctx.services.city.name(language),
            title=localized(questionnaire.title, language),
        )
    ]
    if questionnaire.intro:
        parts.append(localized(questionnaire.intro, language))
    parts.append(translator.translate(language, "surveys.intro_closes", closes=closes(ctx, survey)))
    return "\n\n".join(parts)


def invitation(ctx: Context, survey: Survey, language: str) -> Reply:
    label = ctx.services.translator.translate(language, "surveys.btn_take")
    return Reply(
        invitation_text(ctx, survey, language),
        buttons=((OpenButton(survey.id or 0).button(label),),),
    )


@router.button(SendInvitesButton, role=Role.STAFF)
async def on_send_invites(msg: IncomingMessage, ctx: Context) -> None:
    target = await _invite_target(ctx, SendInvitesButton.of(msg))
    if target is None:
        return
    survey, audience, _key = target
    payloads = {
        language: direct_payload(invitation(ctx, survey, language))
        for language in ctx.services.translator.languages
    }
    invited = await domain.invite(ctx.work, survey, audience, payloads)
    citizens, messages = invited.citizens, invited.messages
    ctx.reply(
        ctx.t(
            "surveys.invites_queued",
            citizens=ctx.tn("surveys.n_citizens", citizens, n=citizens),
            messages=ctx.tn("surveys.n_messages", messages, n=messages),
        )
    )


@router.button(CancelButton, role=Role.STAFF)
async def on_cancel(msg: IncomingMessage, ctx: Context) -> None:
    """Cancels an invitation, or the /newsurvey draft (handlers.surveys.create, which imports
    this module: its state family is named here, not imported)."""
    if (ctx.state.name or "").startswith("sn."):
        ctx.state.clear()
    ctx.reply(ctx.t("surveys.staff_cancelled"))
