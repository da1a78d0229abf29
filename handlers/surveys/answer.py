"""Citizens answer surveys: /surveys (and the menu) lists the open ones, a deep link
(/start survey_<id>) opens one, one question at a time with buttons and progress ("2/5").

Every answer is saved as it is given (storage.repos.surveys), so a citizen who leaves is
offered to continue where they stopped; a completed response can be changed, one answer at
a time, until the survey closes. A district-targeted survey asks for the citizen's district
once (unless their alert places name one of its districts) and keeps it on the response.

Buttons: handlers/surveys/buttons.py (ListButton … NotifyButton), one class per family.
The conversation is two steps (FLOW): the question being asked, or the district.

Stale buttons: a payload that does not parse, a district or a multiple-choice tick outside its
step, is answered by the router (the fallback). An answer button is checked against the
survey (still open?), the question (still there, shown to this citizen?) and the question
being asked now: the router knows the step, not which question of which survey is asked, so
this stays here (`_tap`): a repeat of an answer already saved is acknowledged; anything else
gets the current question again (back to where the citizen is in the survey, which the
fallback's menu would lose).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from bot.core.context import Context
from bot.core.conversation import Conversation
from bot.core.messages import Button, IncomingMessage, Kind, Rows, rows
from bot.core.router import Router
from bot.i18n import N_
from bot.surveys.lifecycle import Phase, phase, questions_of, speaks
from bot.surveys.schema import (
    Answer,
    FreeText,
    MultipleChoice,
    Question,
    Rating,
    SingleChoice,
    answer_text,
    answers_from_rows,
    hidden_answered,
    localized,
    next_unanswered,
    progress,
    visible,
)
from handlers.menu import main_menu, menu_entry, show_menu
from handlers.start import deep_link
from handlers.surveys.buttons import (
    CONTINUE,
    START_OVER,
    AnswerButton,
    ChangeButton,
    DistrictButton,
    DoneButton,
    LaterButton,
    ListButton,
    NotifyButton,
    OpenButton,
    QuestionButton,
    ResumeButton,
    SkipButton,
    ToggleButton,
)
from handlers.surveys.views import closes, districts_text, opens, short, title
from storage.models import AlertPlace, PlaceKind, Survey, SurveyResponse
from storage.repos import alerts
from storage.repos import surveys as repo

log = logging.getLogger(__name__)
router = Router("surveys.answer")

ANSWERING = "survey.answer"  # data: s (survey id), q (question id), picked (a multiple choice)
DISTRICT = "survey.district"  # data: s
# Scale buttons show keycaps, not bare digits (which the console reads as "the n-th button").
KEYCAPS = ("0️⃣", "1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")


# -- helpers ------------------------------------------------------------------------------


def _citizen_id(ctx: Context) -> int:
    assert ctx.citizen.id is not None
    return ctx.citizen.id


def _survey_id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _leave(ctx: Context) -> None:
    if FLOW.active(ctx):
        ctx.state.clear()


def _asking(ctx: Context, survey_id: int, question_id: str | None = None) -> bool:
    data = ctx.state.data
    return (
        ctx.state.name == ANSWERING
        and data.get("s") == survey_id
        and (question_id is None or data.get("q") == question_id)
    )


async def load_answers(ctx: Context, response: SurveyResponse) -> dict[str, Answer]:
    assert response.id is not None
    return answers_from_rows(await repo.answers(ctx.session, response_id=response.id))


# -- the list -----------------------------------------------------------------------------


@menu_entry("surveys")
async def show_list(ctx: Context, note: str | None = None) -> None:
    _leave(ctx)
    known = await _place_districts(ctx)
    candidates = [
        s for s in await repo.open_now(ctx.session, now=ctx.now) if speaks(s, ctx.language)
    ]
    responses = await repo.responses_of(
        ctx.session, citizen_id=_citizen_id(ctx), survey_ids=[s.id for s in candidates if s.id]
    )
    found = [s for s in candidates if _may_take(s, known, responses.get(s.id or 0))]
    lines = [note] if note else []
    buttons: list[Button | tuple[Button, ...]] = []
    if found:
        lines.append(ctx.t("surveys.list_title"))
    else:
        lines.append(ctx.t("surveys.list_empty"))
    for survey in found:
        assert survey.id is not None
        state = await _state_line(ctx, survey, responses.get(survey.id))
        lines.append(f"• {title(ctx, survey)}\n  {state}")
        buttons.append(OpenButton(survey.id).button(f"📝 {short(title(ctx, survey))}"))
    on = await repo.opted_in(ctx.session, citizen_id=_citizen_id(ctx))
    toggle = N_("surveys.btn_notify_off") if on else N_("surveys.btn_notify_on")
    lines.append(ctx.t(N_("surveys.notify_on_note") if on else N_("surveys.notify_off_note")))
    buttons.append(NotifyButton(not on).button(ctx.t(toggle)))
    ctx.reply("\n\n".join(lines), rows(*buttons))


async def _state_line(ctx: Context, survey: Survey, response: SurveyResponse | None) -> str:
    until = closes(ctx, survey)
    if response is None:
        return ctx.t("surveys.state_new", closes=until)
    if response.completed_at is not None:
        return ctx.t("surveys.state_done", closes=until)
    answers = await load_answers(ctx, response)
    questionnaire = questions_of(survey)
    shown = visible(questionnaire, answers)
    done = sum(1 for q in shown if q.id in answers)
    return ctx.t("surveys.state_started", done=done, total=len(shown), closes=until)


@router.command("surveys")
async def on_surveys(msg: IncomingMessage, ctx: Context) -> None:
    await show_list(ctx)


@router.button(ListButton)
async def on_list(msg: IncomingMessage, ctx: Context) -> None:
    await show_list(ctx)


@router.button(NotifyButton)
async def on_notify(msg: IncomingMessage, ctx: Context) -> None:
    on = NotifyButton.of(msg).on
    await repo.set_opt_in(ctx.session, citizen_id=_citizen_id(ctx), on=on, now=ctx.now)
    await show_list(
        ctx, ctx.t(N_("surveys.notify_on_done") if on else N_("surveys.notify_off_done"))
    )


# -- districts ----------------------------------------------------------------------------


async def _place_districts(ctx: Context) -> list[str]:
    """The districts of the citizen's alert places, in the order they chose them."""
    places: list[AlertPlace] = await alerts.places(ctx.session, citizen_id=_citizen_id(ctx))
    return [p.district for p in places if p.kind == PlaceKind.DISTRICT.value and p.district]


def _may_take(survey: Survey, known: list[str], response: SurveyResponse | None) -> bool:
    """Not a survey for other districts than the citizen's: the one on their response, else
    the ones their alerts follow (a citizen who follows no district may be asked)."""
    if not survey.districts:
        return True
    if response is not None:
        return response.district in survey.districts
    return not known or any(d in survey.districts for d in known)


def _district_for(survey: Survey, known: list[str]) -> str | None:
    if survey.districts:
        return next((d for d in known if d in survey.districts), None)
    return known[0] if len(known) == 1 else None


def ask_district(ctx: Context, survey: Survey) -> None:
    assert survey.id is not None
    ctx.state.set(DISTRICT, s=survey.id)
    buttons = [
        DistrictButton(survey.id, d.code).button(d.name(ctx.language))
        for d in ctx.services.city.districts
    ]
    ctx.reply(
        ctx.t("surveys.ask_district", title=title(ctx, survey)),
        rows(*buttons, (_later_button(ctx),), per_row=3),
    )


def _later_button(ctx: Context) -> Button:
    return LaterButton().button(ctx.t("surveys.btn_later"))


@router.button(DistrictButton, state=DISTRICT)
async def on_district(msg: IncomingMessage, ctx: Context) -> None:
    tapped = DistrictButton.of(msg)
    survey = await _open_survey_or_explain(ctx, tapped.survey)
    if survey is None:
        return
    assert survey.id is not None
    code = tapped.district
    if not survey.districts:
        return await open_survey(ctx, survey.id)  # not a district survey (a forged tap)
    if ctx.services.city.district(code) is None:
        return FLOW.goto(ctx, DISTRICT, survey=survey)
    if await repo.response(ctx.session, survey_id=survey.id, citizen_id=_citizen_id(ctx)):
        return await open_survey(ctx, survey.id)  # answered already (a double tap)
    if code not in survey.districts:
        _leave(ctx)
        text = ctx.t("surveys.other_district", districts=districts_text(ctx, survey.districts))
        ctx.reply(text, main_menu(ctx))
        return
    response = await repo.start_response(
        ctx.session, survey_id=survey.id, citizen_id=_citizen_id(ctx), district=code, now=ctx.now
    )
    await _begin(ctx, survey, response)


@router.state(DISTRICT, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_district_expected(msg: IncomingMessage, ctx: Context) -> None:
    survey = await repo.get(ctx.session, survey_id=int(ctx.state.data.get("s", 0)))
    if survey is None:
        _leave(ctx)
        return show_menu(ctx, N_("fallback.button"))
    FLOW.goto(ctx, DISTRICT, survey=survey)


# -- opening a survey ---------------------------------------------------------------------


@deep_link("survey_")
async def on_deep_link(ctx: Context, rest: str) -> bool:
    survey_id = _survey_id(rest)
    if survey_id is None:
        ctx.reply(ctx.t("surveys.not_found"), main_menu(ctx))
        return True
    await open_survey(ctx, survey_id)
    return True


@router.button(OpenButton)
async def on_open(msg: IncomingMessage, ctx: Context) -> None:
    await open_survey(ctx, OpenButton.of(msg).survey)


async def _open_survey_or_explain(ctx: Context, survey_id: int) -> Survey | None:
    """The survey if it is open to this citizen; otherwise says why and returns None."""
    valid = 0 < survey_id < 10**9
    survey = await repo.get(ctx.session, survey_id=survey_id) if valid else None
    stage = phase(survey, ctx.now) if survey else None
    if survey is None or stage is Phase.DRAFT:
        _leave(ctx)
        ctx.reply(ctx.t("surveys.not_found"), main_menu(ctx))
        return None
    if stage is Phase.SCHEDULED:
        _leave(ctx)
        ctx.reply(ctx.t("surveys.not_yet", title=title(ctx, survey), opens=opens(ctx, survey)))
        return None
    if stage is Phase.CLOSED:
        if ctx.state.data.get("s") == survey.id:
            _leave(ctx)
        ctx.reply(ctx.t("surveys.closed", title=title(ctx, survey)), main_menu(ctx))
        return None
    if not speaks(survey, ctx.language):
        _leave(ctx)
        ctx.reply(ctx.t("surveys.other_language"), main_menu(ctx))
        return None
    return survey


async def open_survey(ctx: Context, survey_id: int) -> None:
    survey = await _open_survey_or_explain(ctx, survey_id)
    if survey is None:
        return
    assert survey.id is not None
    response = await repo.response(ctx.session, survey_id=survey.id, citizen_id=_citizen_id(ctx))
    if response is None:
        known = await _place_districts(ctx)
        district = _district_for(survey, known)
        if survey.districts and district is None:
            return FLOW.goto(ctx, DISTRICT, survey=survey)
        response = await repo.start_response(
            ctx.session,
            survey_id=survey.id,
            citizen_id=_citizen_id(ctx),
            district=district,
            now=ctx.now,
        )
        return await _begin(ctx, survey, response)
    if survey.districts and response.district not in survey.districts:
        _leave(ctx)
        text = ctx.t("surveys.other_district", districts=districts_text(ctx, survey.districts))
        ctx.reply(text, main_menu(ctx))
        return
    answers = await load_answers(ctx, response)
    if response.completed_at is not None:
        return show_summary(ctx, survey, answers)
    if not answers:
        return await _begin(ctx, survey, response)
    questionnaire = questions_of(survey)
    shown = visible(questionnaire, answers)
    done = sum(1 for q in shown if q.id in answers)
    _leave(ctx)
    ctx.reply(
        ctx.t("surveys.resume_offer", title=title(ctx, survey), done=done, total=len(shown)),
        rows(
            ResumeButton(survey.id, CONTINUE).button(ctx.t("surveys.btn_continue")),
            ResumeButton(survey.id, START_OVER).button(ctx.t("surveys.btn_start_over")),
            per_row=2,
        ),
    )


async def _begin(ctx: Context, survey: Survey, response: SurveyResponse) -> None:
    questionnaire = questions_of(survey)
    intro = [f"📝 {localized(questionnaire.title, ctx.language)}"]
    if questionnaire.intro:
        intro.append(localized(questionnaire.intro, ctx.language))
    intro.append(ctx.t("surveys.intro_closes", closes=closes(ctx, survey)))
    await advance(ctx, survey, response, {}, note="\n".join(intro))


@router.button(ResumeButton)
async def on_resume(msg: IncomingMessage, ctx: Context) -> None:
    tapped = ResumeButton.of(msg)
    survey = await _open_survey_or_explain(ctx, tapped.survey)
    if survey is None:
        return
    assert survey.id is not None
    response = await repo.response(ctx.session, survey_id=survey.id, citizen_id=_citizen_id(ctx))
    if response is None or response.completed_at is not None:
        return await open_survey(ctx, survey.id)
    if tapped.how == START_OVER:
        assert response.id is not None
        await repo.delete_answers(ctx.session, response_id=response.id)
        return await _begin(ctx, survey, response)
    await advance(ctx, survey, response, await load_answers(ctx, response))


@router.button(LaterButton)
async def on_later(msg: IncomingMessage, ctx: Context) -> None:
    _leave(ctx)
    show_menu(ctx, N_("surveys.later"))


# -- asking -------------------------------------------------------------------------------


def ask(
    ctx: Context,
    survey: Survey,
    question: Question,
    answers: Mapping[str, Answer],
    *,
    note: str | None = None,
    picked: list[str] | None = None,
    editing: bool = False,
) -> None:
    """Ask `question` (and remember it is the one being asked)."""
    assert survey.id is not None
    questionnaire = questions_of(survey)
    position, total = progress(questionnaire, answers, question.id)
    if isinstance(question, MultipleChoice) and picked is None:
        current = answers.get(question.id)
        picked = list(current.values) if current else []
    data: dict[str, Any] = {"s": survey.id, "q": question.id}
    if picked is not None:
        data["picked"] = picked
    if editing:
        data["edit"] = True
    ctx.state.set(ANSWERING, **data)
    lines = [note] if note else []
    lines.append(ctx.t("surveys.progress", n=position, total=total))
    lines.append(question.label(ctx.language))
    lines += _hints(ctx, question)
    current_text = answer_text(question, answers.get(question.id), ctx.language)
    if current_text:
        lines.append(ctx.t("surveys.current_answer", answer=current_text))
    ctx.reply("\n\n".join(lines), _buttons(ctx, survey.id, question, picked or []))


def _hints(ctx: Context, question: Question) -> list[str]:
    if isinstance(question, Rating):
        low, high = question.bounds
        parts = []
        if question.low:
            parts.append(f"{low} = {localized(question.low, ctx.language)}")
        if question.high:
            parts.append(f"{high} = {localized(question.high, ctx.language)}")
        return [" · ".join(parts)] if parts else []
    if isinstance(question, MultipleChoice):
        if question.max_choices:
            return [ctx.t("surveys.hint_multiple_max", max=question.max_choices)]
        return [ctx.t("surveys.hint_multiple")]
    if isinstance(question, FreeText):
        return [ctx.t("surveys.hint_text", max=question.max_length)]
    return []


def _buttons(ctx: Context, survey_id: int, question: Question, picked: list[str]) -> Rows:
    q = question.id
    layout: list[Button | tuple[Button, ...]] = []
    if isinstance(question, SingleChoice):
        layout += [
            AnswerButton(survey_id, q, o.id).button(localized(o.text, ctx.language))
            for o in question.options
        ]
    elif isinstance(question, MultipleChoice):
        for o in question.options:
            on = o.id in picked
            label = localized(o.text, ctx.language)
            layout.append(
                ToggleButton(survey_id, q, o.id, not on).button(f"✅ {label}" if on else label)
            )
        layout.append(DoneButton(survey_id, q).button(ctx.t("surveys.btn_done")))
    elif isinstance(question, Rating):
        numbers = [AnswerButton(survey_id, q, v).button(KEYCAPS[int(v)]) for v in question.values]
        half = 6 if len(numbers) > 6 else len(numbers)
        layout += [tuple(numbers[:half]), *([tuple(numbers[half:])] if numbers[half:] else [])]
    extra = []
    if question.optional:
        extra.append(SkipButton(survey_id, q).button(ctx.t("surveys.btn_skip")))
    extra.append(_later_button(ctx))
    layout.append(tuple(extra))
    return rows(*layout)


# The answering conversation: the question being asked (its buttons, or a typed answer), or
# first the citizen's district for a district survey.
FLOW = Conversation("survey", {ANSWERING: ask, DISTRICT: ask_district})


async def advance(
    ctx: Context,
    survey: Survey,
    response: SurveyResponse,
    answers: Mapping[str, Answer],
    *,
    note: str | None = None,
) -> None:
    """The next unanswered question, or the end: completed (thanks) or, when changing an
    answer of a completed response, the summary."""
    questionnaire = questions_of(survey)
    question = next_unanswered(questionnaire, answers)
    if question is not None:
        return ask(
            ctx, survey, question, answers, note=note, editing=response.completed_at is not None
        )
    _leave(ctx)
    if response.completed_at is not None:
        return show_summary(ctx, survey, answers, note=ctx.t("surveys.changed"))
    response.completed_at = ctx.now
    ctx.session.add(response)
    log.info("survey %s completed by citizen #%s", survey.id, ctx.citizen.id)
    thanks = (
        localized(questionnaire.thanks, ctx.language)
        if questionnaire.thanks
        else ctx.t("surveys.thanks")
    )
    text = "\n\n".join(
        filter(None, (note, thanks, ctx.t("surveys.can_change", closes=closes(ctx, survey))))
    )
    ctx.reply(text, main_menu(ctx))


async def _save(
    ctx: Context,
    survey: Survey,
    response: SurveyResponse,
    question: Question,
    *,
    values: tuple[str, ...] = (),
    text: str | None = None,
) -> None:
    await repo.save_answer(
        ctx.session, response=response, question=question.id, values=values, text=text, now=ctx.now
    )
    answers = await load_answers(ctx, response)
    hidden = hidden_answered(questions_of(survey), answers)
    if hidden:
        assert response.id is not None
        await repo.delete_answers(ctx.session, response_id=response.id, questions=hidden)
        answers = {q: a for q, a in answers.items() if q not in hidden}
    await advance(ctx, survey, response, answers)


# -- answers by button --------------------------------------------------------------------


class _Tap:
    """A tapped answer button, checked: the survey is open, the question exists and is
    shown to this citizen, and a response exists."""

    def __init__(
        self,
        survey: Survey,
        question: Question,
        response: SurveyResponse,
        answers: dict[str, Answer],
    ) -> None:
        self.survey, self.question, self.response, self.answers = (
            survey,
            question,
            response,
            answers,
        )


async def _tap(
    ctx: Context, tapped: QuestionButton, fits: Callable[[Question], bool] = lambda q: True
) -> _Tap | None:
    """The tapped button's survey, question and response; None after answering a button
    that no longer fits (a question gone or hidden, an option the question has not)."""
    survey = await _open_survey_or_explain(ctx, tapped.survey)
    if survey is None:
        return None
    assert survey.id is not None
    response = await repo.response(ctx.session, survey_id=survey.id, citizen_id=_citizen_id(ctx))
    if response is None:
        await open_survey(ctx, survey.id)
        return None
    answers = await load_answers(ctx, response)
    question = questions_of(survey).question(tapped.question)
    shown = {q.id for q in visible(questions_of(survey), answers)}
    if question is None or question.id not in shown or not fits(question):
        await _back(ctx, survey, response, answers)
        return None
    return _Tap(survey, question, response, answers)


async def _back(
    ctx: Context, survey: Survey, response: SurveyResponse, answers: Mapping[str, Answer]
) -> None:
    """An old or forged answer button: back to where the citizen is in this survey."""
    note = ctx.t("surveys.stale")
    asked = ctx.state.data.get("q") if _asking(ctx, survey.id or 0) else None
    question = questions_of(survey).question(asked) if asked else None
    if question is not None:
        return ask(
            ctx,
            survey,
            question,
            answers,
            note=note,
            picked=ctx.state.data.get("picked"),
            editing=bool(ctx.state.data.get("edit")),
        )
    if response.completed_at is not None:
        return show_summary(ctx, survey, answers, note=note)
    await advance(ctx, survey, response, answers, note=note)


async def _not_current(ctx: Context, tap: _Tap, values: tuple[str, ...] | None) -> None:
    """A tap on a question not being asked now: a repeat of the saved answer (a double
    tap) is acknowledged; anything else brings back the question being asked."""
    saved = tap.answers.get(tap.question.id)
    if saved is not None and values is not None and saved.values == values:
        ctx.reply(ctx.t("surveys.already_saved"))
        return
    await _back(ctx, tap.survey, tap.response, tap.answers)


# A single answer or a skip may come in any step (a double tap after the last question is
# acknowledged); ticking and "done" belong to the multiple choice being asked.


@router.button(AnswerButton)
async def on_answer(msg: IncomingMessage, ctx: Context) -> None:
    value = AnswerButton.of(msg).value
    tap = await _tap(
        ctx,
        AnswerButton.of(msg),
        lambda q: isinstance(q, SingleChoice | Rating) and value in q.values,
    )
    if tap is None:
        return
    if not _asking(ctx, tap.survey.id or 0, tap.question.id):
        return await _not_current(ctx, tap, (value,))
    await _save(ctx, tap.survey, tap.response, tap.question, values=(value,))


@router.button(ToggleButton, state=ANSWERING)
async def on_toggle(msg: IncomingMessage, ctx: Context) -> None:
    tapped = ToggleButton.of(msg)
    tap = await _tap(
        ctx, tapped, lambda q: isinstance(q, MultipleChoice) and tapped.option in q.values
    )
    if tap is None:
        return
    question = tap.question
    assert isinstance(question, MultipleChoice)
    if not _asking(ctx, tap.survey.id or 0, question.id):
        return await _not_current(ctx, tap, None)
    picked = [v for v in ctx.state.data.get("picked", []) if v in question.values]
    note = None
    option = tapped.option
    if tapped.on and option not in picked:
        if question.max_choices and len(picked) >= question.max_choices:
            note = ctx.t("surveys.too_many", max=question.max_choices)
        else:
            picked.append(option)
    elif not tapped.on and option in picked:
        picked.remove(option)
    picked = [v for v in question.values if v in picked]  # in the question's order
    ask(
        ctx,
        tap.survey,
        question,
        tap.answers,
        note=note,
        picked=picked,
        editing=bool(ctx.state.data.get("edit")),
    )


@router.button(DoneButton, state=ANSWERING)
async def on_done(msg: IncomingMessage, ctx: Context) -> None:
    tap = await _tap(ctx, DoneButton.of(msg), lambda q: isinstance(q, MultipleChoice))
    if tap is None:
        return
    question = tap.question
    assert isinstance(question, MultipleChoice)
    if not _asking(ctx, tap.survey.id or 0, question.id):
        return await _not_current(ctx, tap, None)
    picked = [v for v in question.values if v in ctx.state.data.get("picked", [])]
    if not picked:
        editing = bool(ctx.state.data.get("edit"))
        return ask(
            ctx,
            tap.survey,
            question,
            tap.answers,
            note=ctx.t("surveys.pick_one"),
            picked=[],
            editing=editing,
        )
    await _save(ctx, tap.survey, tap.response, question, values=tuple(picked))


@router.button(SkipButton)
async def on_skip(msg: IncomingMessage, ctx: Context) -> None:
    tap = await _tap(ctx, SkipButton.of(msg), lambda q: q.optional)
    if tap is None:
        return
    if not _asking(ctx, tap.survey.id or 0, tap.question.id):
        return await _not_current(ctx, tap, ())
    await _save(ctx, tap.survey, tap.response, tap.question)


@router.button(ChangeButton)
async def on_change(msg: IncomingMessage, ctx: Context) -> None:
    tap = await _tap(ctx, ChangeButton.of(msg))
    if tap is None:
        return
    if tap.response.completed_at is None:  # not completed: there is no summary to change
        return await _back(ctx, tap.survey, tap.response, tap.answers)
    ask(ctx, tap.survey, tap.question, tap.answers, editing=True)


# -- typed answers ------------------------------------------------------------------------


async def _asked(ctx: Context) -> tuple[Survey, Question, SurveyResponse] | None:
    """The survey, question and response of the question being asked now, if still valid."""
    survey = await _open_survey_or_explain(ctx, int(ctx.state.data.get("s", 0)))
    if survey is None:
        return None
    assert survey.id is not None
    question = questions_of(survey).question(str(ctx.state.data.get("q", "")))
    response = await repo.response(ctx.session, survey_id=survey.id, citizen_id=_citizen_id(ctx))
    if question is None or response is None:
        _leave(ctx)
        await open_survey(ctx, survey.id)
        return None
    return survey, question, response


@router.state(ANSWERING)
async def on_text(msg: IncomingMessage, ctx: Context) -> None:
    asked = await _asked(ctx)
    if asked is None:
        return
    survey, question, response = asked
    answers = await load_answers(ctx, response)
    editing = bool(ctx.state.data.get("edit"))
    picked = ctx.state.data.get("picked")
    if not isinstance(question, FreeText):
        return ask(
            ctx,
            survey,
            question,
            answers,
            note=ctx.t("surveys.use_buttons"),
            picked=picked,
            editing=editing,
        )
    text = msg.text.strip()
    if not text:
        return ask(ctx, survey, question, answers, editing=editing)
    if len(text) > question.max_length:
        note = ctx.t("surveys.text_too_long", max=question.max_length, length=len(text))
        return ask(ctx, survey, question, answers, note=note, editing=editing)
    await _save(ctx, survey, response, question, text=text)


@router.state(ANSWERING, kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_other(msg: IncomingMessage, ctx: Context) -> None:
    asked = await _asked(ctx)
    if asked is None:
        return
    survey, question, response = asked
    answers = await load_answers(ctx, response)
    key = (
        N_("surveys.text_expected") if isinstance(question, FreeText) else N_("surveys.use_buttons")
    )
    ask(
        ctx,
        survey,
        question,
        answers,
        note=ctx.t(key),
        picked=ctx.state.data.get("picked"),
        editing=bool(ctx.state.data.get("edit")),
    )


# -- a completed response -----------------------------------------------------------------


def show_summary(
    ctx: Context, survey: Survey, answers: Mapping[str, Answer], *, note: str | None = None
) -> None:
    assert survey.id is not None
    _leave(ctx)
    questionnaire = questions_of(survey)
    lines = [note] if note else []
    lines.append(ctx.t("surveys.summary_title", title=title(ctx, survey)))
    buttons = []
    for n, question in enumerate(visible(questionnaire, answers), start=1):
        answer = answer_text(question, answers.get(question.id), ctx.language)
        shown = answer if answer else ctx.t("surveys.skipped")
        lines.append(f"{n}. {question.label(ctx.language)}\n   → {shown}")
        buttons.append(ChangeButton(survey.id, question.id).button(f"✏️ {n}"))
    lines.append(ctx.t("surveys.can_change", closes=closes(ctx, survey)))
    ctx.reply(
        "\n\n".join(lines),
        rows(*buttons, (ListButton().button(ctx.t("surveys.btn_list")),), per_row=5),
    )
