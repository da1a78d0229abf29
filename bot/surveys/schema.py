"""What a survey is: its questions (pydantic models), the rules between them, and which
questions a citizen sees given their answers so far.

A `Questionnaire` (title, intro, questions) is what the database keeps as JSON; a
`SurveyFile` adds what a YAML file in the city pack also says (code, status, dates,
targeting). Every text is {bg, en} with bg required (a plain string is the bg text); English
readers get bg where en is missing.

Ids (`[a-z0-9_-]`, at most 20 characters) go into button payloads, so "sv:<survey>:<q>:<opt>"
always fits Telegram's 64 bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES
from bot.i18n import localized as localized  # the one definition; survey modules import it here

MAX_QUESTIONS = 30
MAX_OPTIONS = 12

Path = tuple[str | int, ...]
"""Where something is in a survey file: keys and list indexes, as pydantic reports them."""


# -- texts --------------------------------------------------------------------------------


def _bg_if_plain(value: object) -> object:
    return {DEFAULT_LANGUAGE: value} if isinstance(value, str) else value


def _texts_checker(max_length: int) -> Callable[[dict[str, str]], dict[str, str]]:
    def check(value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"unknown language {unknown[0]!r}: texts are given as bg and en")
        out: dict[str, str] = {}
        for language in LANGUAGES:
            if language not in value:
                continue
            text = value[language].strip()
            if not text:
                raise ValueError(f"the {language} text is empty")
            if len(text) > max_length:
                raise ValueError(f"the {language} text is longer than {max_length} characters")
            out[language] = text
        if DEFAULT_LANGUAGE not in out:
            raise ValueError("the Bulgarian text (bg) is required")
        return out

    return check


def _texts(max_length: int) -> Any:
    return Annotated[
        dict[str, str],
        BeforeValidator(_bg_if_plain),
        AfterValidator(_texts_checker(max_length)),
    ]


Title = _texts(200)
LongText = _texts(1000)
QuestionText = _texts(500)
OptionText = _texts(100)
ScaleLabel = _texts(60)


# -- ids ----------------------------------------------------------------------------------


def _scalar_as_text(value: object) -> object:
    """YAML reads `1` or `1.5` as numbers; ids and show_if values are text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Id = Annotated[
    str,
    BeforeValidator(_scalar_as_text),
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,19}$"),
]
SurveyCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Value = Annotated[str, BeforeValidator(_scalar_as_text)]


class _Model(BaseModel):
    # Validators built when a questionnaire is first read: a bot may serve for days without
    # one (idle RSS, bench/README.md).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# -- answers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """What a citizen answered to one question: chosen values (option ids, or the number of
    a scale), or a free text; neither means the question was skipped."""

    values: tuple[str, ...] = ()
    text: str | None = None

    @property
    def skipped(self) -> bool:
        return not self.values and self.text is None


SKIPPED = Answer()


def answers_from_rows(rows: Iterable[tuple[str, str | None, str | None]]) -> dict[str, Answer]:
    """(question, value, text) rows as stored → one Answer per question."""
    values: dict[str, list[str]] = {}
    texts: dict[str, str | None] = {}
    for question, value, text in rows:
        values.setdefault(question, [])
        texts.setdefault(question, None)
        if value is not None:
            values[question].append(value)
        if text is not None:
            texts[question] = text
    return {q: Answer(tuple(values[q]), texts[q]) for q in values}


# -- questions ----------------------------------------------------------------------------


class ShowIf(_Model):
    """Ask the question only if the answer to an earlier one matches: `any_of` its options
    (or scale numbers), or for a scale `at_least` / `at_most` a number."""

    question: Id
    any_of: list[Value] | None = None
    at_least: int | None = None
    at_most: int | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> ShowIf:
        bounds = self.at_least is not None or self.at_most is not None
        if self.any_of is None and not bounds:
            raise ValueError("show_if needs any_of, at_least or at_most")
        if self.any_of is not None and bounds:
            raise ValueError("show_if takes either any_of or at_least/at_most, not both")
        if self.any_of is not None and not self.any_of:
            raise ValueError("any_of is empty")
        return self

    def matches(self, answer: Answer | None) -> bool:
        if answer is None or answer.skipped:
            return False
        if self.any_of is not None:
            return bool(set(self.any_of) & set(answer.values))
        try:
            number = int(answer.values[0])
        except (IndexError, ValueError):
            return False
        low = self.at_least if self.at_least is not None else number
        high = self.at_most if self.at_most is not None else number
        return low <= number <= high


class Option(_Model):
    id: Id
    text: OptionText


class _Question(_Model):
    id: Id
    text: QuestionText
    optional: bool = False  # a "Skip" button
    show_if: ShowIf | None = None

    def label(self, language: str | None) -> str:
        return localized(self.text, language)


class _Choice(_Question):
    options: list[Option] = Field(min_length=2, max_length=MAX_OPTIONS)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def values(self) -> list[str]:
        return [o.id for o in self.options]

    def value_label(self, value: str, language: str | None) -> str:
        option = self.option(value)
        return localized(option.text, language) if option else value


class SingleChoice(_Choice):
    type: Literal["single"]


class MultipleChoice(_Choice):
    type: Literal["multiple"]
    max_choices: int | None = Field(default=None, ge=1)


class Rating(_Question):
    type: Literal["rating"]
    scale: Literal["1-5", "0-10"] = "1-5"
    low: ScaleLabel | None = None  # what the lowest number means
    high: ScaleLabel | None = None  # what the highest number means

    @property
    def bounds(self) -> tuple[int, int]:
        return (1, 5) if self.scale == "1-5" else (0, 10)

    @property
    def values(self) -> list[str]:
        low, high = self.bounds
        return [str(n) for n in range(low, high + 1)]

    def value_label(self, value: str, language: str | None) -> str:
        return value


class FreeText(_Question):
    type: Literal["text"]
    max_length: int = Field(default=500, ge=10, le=2000)


Question = Annotated[SingleChoice | MultipleChoice | Rating | FreeText, Field(discriminator="type")]
Choice = SingleChoice | MultipleChoice | Rating
"""Questions answered with buttons (and counted, and charted)."""
QUESTION_TYPES = ("single", "multiple", "rating", "text")


class Questionnaire(_Model):
    """What the database keeps as a survey's definition."""

    title: Title
    intro: LongText | None = None
    thanks: LongText | None = None  # said when the citizen has answered everything
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)

    def question(
        self, question_id: str
    ) -> SingleChoice | MultipleChoice | Rating | FreeText | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def index(self, question_id: str) -> int:
        return next(i for i, q in enumerate(self.questions) if q.id == question_id)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def questionnaire(definition: Mapping[str, Any]) -> Questionnaire:
    """A stored definition back as a Questionnaire."""
    return Questionnaire.model_validate(definition)


# -- a survey file ------------------------------------------------------------------------


def _instant(value: object, info: ValidationInfo) -> datetime:
    """A date or a date and time in city time (`tz` in the validation context) → UTC. A bare
    date opens a survey at the start of that day and closes it at the end of it."""
    tz: ZoneInfo = (info.context or {}).get("tz") or ZoneInfo("UTC")
    closing = info.field_name == "closes_at"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        day = value + timedelta(days=1) if closing else value
        moment = datetime.combine(day, time(0))
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                "expected a date (2026-12-01) or a date and time (2026-12-01 09:00)"
            ) from None
        if len(value.strip()) == 10:  # a bare date given as text
            return _instant(moment.date(), info)
    else:
        raise ValueError("expected a date (2026-12-01) or a date and time (2026-12-01 09:00)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


class SurveyFile(Questionnaire):
    """A survey as a YAML file in the city pack says it (see the README's schema)."""

    id: SurveyCode
    status: Literal["draft", "published"] = "published"
    opens_at: datetime
    closes_at: datetime
    public: bool = False
    districts: list[Annotated[str, BeforeValidator(_scalar_as_text)]] = []
    languages: list[Literal["bg", "en"]] = []

    @field_validator("opens_at", "closes_at", mode="before")
    @classmethod
    def _parse_instants(cls, value: object, info: ValidationInfo) -> datetime:
        return _instant(value, info)

    def questionnaire(self) -> Questionnaire:
        return Questionnaire.model_validate(
            self.model_dump(include={"title", "intro", "thanks", "questions"})
        )


# -- the rules between questions ----------------------------------------------------------


def problems(survey: Questionnaire) -> list[tuple[Path, str]]:
    """What pydantic cannot see: duplicate ids, show_if pointing at a later, unknown or
    free-text question or at options that do not exist, max_choices above the options."""
    found: list[tuple[Path, str]] = []
    seen: dict[str, int] = {}
    for i, q in enumerate(survey.questions):
        here: Path = ("questions", i)
        if q.id in seen:
            found.append(((*here, "id"), f"question id {q.id!r} is used twice"))
        seen.setdefault(q.id, i)
        if isinstance(q, SingleChoice | MultipleChoice):
            option_ids: set[str] = set()
            for j, option in enumerate(q.options):
                if option.id in option_ids:
                    found.append(
                        ((*here, "options", j, "id"), f"option id {option.id!r} is used twice")
                    )
                option_ids.add(option.id)
        if isinstance(q, MultipleChoice) and q.max_choices and q.max_choices > len(q.options):
            found.append(((*here, "max_choices"), "max_choices is more than the options"))
        if q.show_if is not None:
            found += _show_if_problems(survey, i, q.show_if)
    return found


def _show_if_problems(survey: Questionnaire, index: int, show_if: ShowIf) -> list[tuple[Path, str]]:
    here: Path = ("questions", index, "show_if")
    earlier = {q.id: q for q in survey.questions[:index]}
    target = earlier.get(show_if.question)
    if target is None:
        where = "a later question" if survey.question(show_if.question) else "no question"
        return [((*here, "question"), f"show_if names {where} ({show_if.question!r})")]
    if isinstance(target, FreeText):
        return [((*here, "question"), "show_if cannot depend on a free-text answer")]
    if show_if.any_of is not None:
        unknown = [v for v in show_if.any_of if v not in target.values]
        if unknown:
            valid = ", ".join(target.values)
            return [
                ((*here, "any_of"), f"{unknown[0]!r} is not an answer of {target.id!r} ({valid})")
            ]
        return []
    if not isinstance(target, Rating):
        return [((*here,), "at_least/at_most need a rating question; use any_of")]
    low, high = target.bounds
    for key in ("at_least", "at_most"):
        bound = getattr(show_if, key)
        if bound is not None and not low <= bound <= high:
            return [((*here, key), f"{bound} is outside the scale {target.scale}")]
    return []


# -- who sees what ------------------------------------------------------------------------


def visible(survey: Questionnaire, answers: Mapping[str, Answer]) -> list[Question]:
    """The questions a citizen with these answers is asked, in order. A question whose
    show_if names a question that is hidden or skipped is hidden too."""
    shown: list[Question] = []
    shown_ids: set[str] = set()
    for q in survey.questions:
        condition = q.show_if
        if condition is None or (
            condition.question in shown_ids and condition.matches(answers.get(condition.question))
        ):
            shown.append(q)
            shown_ids.add(q.id)
    return shown


def next_unanswered(survey: Questionnaire, answers: Mapping[str, Answer]) -> Question | None:
    return next((q for q in visible(survey, answers) if q.id not in answers), None)


def hidden_answered(survey: Questionnaire, answers: Mapping[str, Answer]) -> list[str]:
    """Questions answered earlier that the current answers no longer show."""
    shown = {q.id for q in visible(survey, answers)}
    return [q.id for q in survey.questions if q.id in answers and q.id not in shown]


def progress(
    survey: Questionnaire, answers: Mapping[str, Answer], question_id: str
) -> tuple[int, int]:
    """(position of the question among those shown, how many are shown)."""
    shown = [q.id for q in visible(survey, answers)]
    position = shown.index(question_id) + 1 if question_id in shown else len(shown)
    return position, len(shown)


def answer_text(question: Question, answer: Answer | None, language: str | None) -> str | None:
    """An answer in words (None: not answered; "" for skipped)."""
    if answer is None:
        return None
    if answer.skipped:
        return ""
    if isinstance(question, FreeText):
        return answer.text or ""
    return ", ".join(question.value_label(v, language) for v in answer.values)


def choice_values(question: Question) -> Sequence[str]:
    return [] if isinstance(question, FreeText) else question.values
