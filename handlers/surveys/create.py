"""/newsurvey: staff make a simple survey in chat.

title → for each question: its text → its type (single or multiple choice, a 1–5 or 0–10
scale, free text) → the options, one per line → another question or the dates → opens (now
or a typed date and time) → closes (in a week, two, a month, or typed) → summary → publish or
keep as a draft. Texts may carry an English version after " | " ("Паркове | Parks"); the
Bulgarian one is required. Questions made here are all required, for every district and
language; YAML files (citizenbot surveys load) can do more.

The draft lives in the conversation state; the steps are FLOW. Every route needs Role.STAFF.
Buttons: NewSurveyButton (its choice: t:<type> the question's type; more another question;
dates go on; now open now; c:<days> close after that many days; publish | draft save);
CancelButton cancels (handlers.surveys.manage); both in buttons.py.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from bot.core.context import Context
from bot.core.conversation import Conversation
from bot.core.messages import IncomingMessage, Kind, rows
from bot.core.router import Router
from bot.dates import WHEN_ERRORS, parse_when
from bot.domain import surveys as domain
from bot.domain.errors import Refused
from bot.i18n import N_, without_icon
from bot.surveys.schema import MAX_OPTIONS, MAX_QUESTIONS, Questionnaire, localized
from handlers.surveys.buttons import NewSurveyButton
from handlers.surveys.manage import cancel_button, show_card
from handlers.surveys.views import local_moment
from storage.models import Role

log = logging.getLogger(__name__)
router = Router("surveys.create")

PREFIX = "sn"  # the conversation's states: "sn.<step>" (FLOW, at the end)
TITLE = "sn.title"
QUESTION = "sn.question"
TYPE = "sn.type"
OPTIONS = "sn.options"
MORE = "sn.more"
OPENS = "sn.opens"
CLOSES = "sn.closes"
CONFIRM = "sn.confirm"
TYPED = (TITLE, QUESTION, OPTIONS, OPENS, CLOSES)

TYPES = {
    "single": N_("surveys.type_single"),
    "multiple": N_("surveys.type_multiple"),
    "rating5": N_("surveys.type_rating5"),
    "rating10": N_("surveys.type_rating10"),
    "text": N_("surveys.type_text"),
}
CLOSE_AFTER_DAYS = (7, 14, 30)
TITLE_MAX, QUESTION_MAX, OPTION_MAX = 200, 500, 100


def _draft(ctx: Context) -> dict[str, Any]:
    return ctx.state.data


_cancel = cancel_button


def bilingual(text: str, limit: int) -> dict[str, str] | str:
    """ "bg | en" → {"bg": …, "en": …}; or an error key."""
    bg, _, en = (part.strip() for part in text.partition("|"))
    if not bg:
        return N_("surveys.new_text_empty")
    if len(bg) > limit or len(en) > limit:
        return N_("surveys.new_text_too_long")
    return {"bg": bg, "en": en} if en else {"bg": bg}


@router.command("newsurvey", role=Role.STAFF)
async def on_new(msg: IncomingMessage, ctx: Context) -> None:
    ctx.state.set(TITLE, questions=[])
    FLOW.goto(ctx, TITLE)


def ask_title(ctx: Context) -> None:
    ctx.reply(ctx.t("surveys.new_ask_title", max=TITLE_MAX), rows(_cancel(ctx)))


@router.state(TITLE, role=Role.STAFF)
async def on_title(msg: IncomingMessage, ctx: Context) -> None:
    texts = bilingual(msg.text, TITLE_MAX)
    if isinstance(texts, str):
        ctx.reply(ctx.t(texts, max=TITLE_MAX), rows(_cancel(ctx)))
        return
    ctx.state.update(title=texts)
    FLOW.goto(ctx, QUESTION)


def ask_question(ctx: Context, note: str | None = None) -> None:
    n = len(_draft(ctx)["questions"]) + 1
    text = ctx.t("surveys.new_ask_question", n=n, max=QUESTION_MAX)
    ctx.reply(f"{note}\n\n{text}" if note else text, rows(_cancel(ctx)))


@router.state(QUESTION, role=Role.STAFF)
async def on_question(msg: IncomingMessage, ctx: Context) -> None:
    texts = bilingual(msg.text, QUESTION_MAX)
    if isinstance(texts, str):
        return FLOW.goto(ctx, QUESTION, note=ctx.t(texts, max=QUESTION_MAX))
    ctx.state.update(current=texts)
    FLOW.goto(ctx, TYPE)


def ask_type(ctx: Context) -> None:
    buttons = [NewSurveyButton(f"t:{code}").button(ctx.t(key)) for code, key in TYPES.items()]
    ctx.reply(ctx.t("surveys.new_ask_type"), rows(*buttons, (_cancel(ctx),), per_row=2))


# Not bound to the flow's states: the router resolves a state before it checks the role, so a
# citizen would be told "no longer active" instead of "staff only"; and an earlier step's button
# tells staff it is out of date (below), keeping the draft where it is.
@router.button(NewSurveyButton, role=Role.STAFF)
async def on_button(msg: IncomingMessage, ctx: Context) -> None:
    action, _, arg = NewSurveyButton.of(msg).choice.partition(":")
    state = ctx.state.name
    if action == "t" and state == TYPE and arg in TYPES:
        return _take_type(ctx, arg)
    if action == "more" and state == MORE:
        return FLOW.goto(ctx, QUESTION)
    if action == "dates" and state == MORE:
        return FLOW.goto(ctx, OPENS)
    if action == "now" and state == OPENS:
        ctx.state.update(opens=ctx.now.isoformat(), opens_now=True)
        return FLOW.goto(ctx, CLOSES)
    if action == "c" and state == CLOSES and arg.isdigit() and int(arg) in CLOSE_AFTER_DAYS:
        opens_at = datetime.fromisoformat(_draft(ctx)["opens"])
        ctx.state.update(closes=(opens_at + timedelta(days=int(arg))).isoformat())
        return FLOW.goto(ctx, CONFIRM)
    if action in ("publish", "draft") and state == CONFIRM:
        return await save(ctx, publish=action == "publish")
    # Another step's button of this draft (an earlier message's): staff are told it is out of
    # date and the draft stays where it is (the fallback's menu would not say so).
    ctx.reply(ctx.t("surveys.staff_stale"))


def _take_type(ctx: Context, code: str) -> None:
    if code in ("single", "multiple"):
        ctx.state.update(kind=code)
        FLOW.goto(ctx, OPTIONS)
        return
    question: dict[str, Any] = {"text": _draft(ctx)["current"]}
    if code == "text":
        question["type"] = "text"
    else:
        question |= {"type": "rating", "scale": "1-5" if code == "rating5" else "0-10"}
    _add_question(ctx, question)


@router.state(OPTIONS, role=Role.STAFF)
async def on_options(msg: IncomingMessage, ctx: Context) -> None:
    options = []
    for line in filter(None, (line.strip() for line in msg.text.splitlines())):
        texts = bilingual(line, OPTION_MAX)
        if isinstance(texts, str):
            ctx.reply(ctx.t(texts, max=OPTION_MAX), rows(_cancel(ctx)))
            return
        options.append({"id": str(len(options) + 1), "text": texts})
    if not 2 <= len(options) <= MAX_OPTIONS:
        ctx.reply(ctx.t("surveys.new_options_count", max=MAX_OPTIONS), rows(_cancel(ctx)))
        return
    draft = _draft(ctx)
    _add_question(
        ctx, {"type": draft.get("kind", "single"), "text": draft["current"], "options": options}
    )


def ask_options(ctx: Context) -> None:
    ctx.reply(ctx.t("surveys.new_ask_options", max=MAX_OPTIONS), rows(_cancel(ctx)))


def _add_question(ctx: Context, question: dict[str, Any]) -> None:
    draft = _draft(ctx)
    questions = [*draft["questions"], {"id": f"q{len(draft['questions']) + 1}", **question}]
    ctx.state.update(questions=questions, current=None, kind=None)
    if len(questions) >= MAX_QUESTIONS:
        return FLOW.goto(ctx, OPENS, note=ctx.t("surveys.new_enough", max=MAX_QUESTIONS))
    FLOW.goto(ctx, MORE)


def ask_more(ctx: Context) -> None:
    ctx.reply(
        ctx.t("surveys.new_added", n=len(_draft(ctx)["questions"])),
        rows(
            NewSurveyButton("more").button(ctx.t("surveys.btn_more")),
            NewSurveyButton("dates").button(ctx.t("surveys.btn_dates")),
            _cancel(ctx),
            per_row=2,
        ),
    )


def ask_opens(ctx: Context, note: str | None = None) -> None:
    text = ctx.t("surveys.new_ask_opens")
    ctx.reply(
        f"{note}\n\n{text}" if note else text,
        rows(NewSurveyButton("now").button(ctx.t("surveys.btn_now")), _cancel(ctx), per_row=2),
    )


def ask_closes(ctx: Context, note: str | None = None) -> None:
    text = ctx.t("surveys.new_ask_closes")
    buttons = [
        NewSurveyButton(f"c:{days}").button(ctx.tn("surveys.btn_close_after", days, days=days))
        for days in CLOSE_AFTER_DAYS
    ]
    ctx.reply(f"{note}\n\n{text}" if note else text, rows(*buttons, _cancel(ctx), per_row=3))


def _when(ctx: Context, text: str) -> datetime | str:
    found = parse_when(text, now=ctx.now, tz=ctx.services.city.timezone)
    return ctx.t(WHEN_ERRORS[found]) if isinstance(found, str) else found


@router.state(OPENS, role=Role.STAFF)
async def on_opens(msg: IncomingMessage, ctx: Context) -> None:
    found = _when(ctx, msg.text)
    if isinstance(found, str):
        return FLOW.ask_again(ctx, note=found)
    ctx.state.update(opens=found.isoformat(), opens_now=False)
    FLOW.goto(ctx, CLOSES)


@router.state(CLOSES, role=Role.STAFF)
async def on_closes(msg: IncomingMessage, ctx: Context) -> None:
    found = _when(ctx, msg.text)
    if isinstance(found, str):
        return FLOW.ask_again(ctx, note=found)
    try:
        domain.check_period(datetime.fromisoformat(_draft(ctx)["opens"]), found)
    except Refused as refusal:
        return FLOW.ask_again(ctx, note=ctx.t(refusal.key, **refusal.values))
    ctx.state.update(closes=found.isoformat())
    FLOW.goto(ctx, CONFIRM)


@router.state(
    *TYPED, TYPE, MORE, CONFIRM, kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT), role=Role.STAFF
)
async def on_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("surveys.new_wrong_kind"), rows(_cancel(ctx)))


@router.state(TYPE, MORE, CONFIRM, role=Role.STAFF)
async def on_text_instead_of_button(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("surveys.use_buttons"), rows(_cancel(ctx)))


def _questionnaire(ctx: Context) -> Questionnaire:
    draft = _draft(ctx)
    return Questionnaire.model_validate({"title": draft["title"], "questions": draft["questions"]})


def _type_name(ctx: Context, question: Any) -> str:
    """The question's type as its button said it ("Скала 1–5"), not the file's code."""
    code = question.type
    if code == "rating":
        code = "rating10" if question.scale == "0-10" else "rating5"
    return without_icon(ctx.t(TYPES[code])) if code in TYPES else code


def show_summary(ctx: Context) -> None:
    draft = _draft(ctx)
    survey = _questionnaire(ctx)
    lines = [ctx.t("surveys.new_summary", title=localized(survey.title, ctx.language))]
    for n, question in enumerate(survey.questions, start=1):
        line = f"{n}. {question.label(ctx.language)} ({_type_name(ctx, question)})"
        options = getattr(question, "options", [])
        if options:
            line += "\n" + "\n".join(f"   • {localized(o.text, ctx.language)}" for o in options)
        lines.append(line)
    opens_at = datetime.fromisoformat(draft["opens"])
    closes_at = datetime.fromisoformat(draft["closes"])
    lines.append(
        ctx.t(
            "surveys.staff_dates",
            opens=ctx.t("surveys.now") if draft.get("opens_now") else local_moment(ctx, opens_at),
            closes=local_moment(ctx, closes_at, closing=True),
        )
    )
    ctx.reply(
        "\n\n".join(lines),
        rows(
            NewSurveyButton("publish").button(ctx.t("surveys.btn_publish")),
            NewSurveyButton("draft").button(ctx.t("surveys.btn_save_draft")),
            _cancel(ctx),
            per_row=2,
        ),
    )


async def save(ctx: Context, *, publish: bool) -> None:
    draft = _draft(ctx)
    try:
        survey = _questionnaire(ctx)
    except ValidationError:
        log.exception("a survey made in chat did not validate")
        ctx.state.clear()
        ctx.reply(ctx.t("surveys.new_failed"))
        return
    opens_at = ctx.now if draft.get("opens_now") else datetime.fromisoformat(draft["opens"])
    try:
        created = await domain.create(
            ctx.work,
            definition=survey.to_json(),
            opens_at=opens_at,
            closes_at=datetime.fromisoformat(draft["closes"]),
            publish=publish,
        )
    except Refused as refusal:
        return FLOW.goto(ctx, CLOSES, note=ctx.t(refusal.key, **refusal.values))
    ctx.state.clear()
    key = N_("surveys.new_published") if publish else N_("surveys.new_saved")
    await show_card(ctx, created, ctx.t(key, id=created.id))


# The whole conversation, step by step: what each step asks.
FLOW = Conversation(
    PREFIX,
    {
        TITLE: ask_title,
        QUESTION: ask_question,
        TYPE: ask_type,
        OPTIONS: ask_options,
        MORE: ask_more,
        OPENS: ask_opens,
        CLOSES: ask_closes,
        CONFIRM: show_summary,
    },
)
