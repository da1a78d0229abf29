"""Which questions a citizen sees (show_if), given their answers."""

from __future__ import annotations

from pathlib import Path

from bot.surveys.loader import load_text
from bot.surveys.schema import (
    SKIPPED,
    Answer,
    ShowIf,
    answer_text,
    answers_from_rows,
    hidden_answered,
    next_unanswered,
    progress,
    visible,
)
from tests.bot.surveys.seed import PARKS, SOFIA

SURVEY = load_text(PARKS, file=Path("parks.yaml"), tz=SOFIA).survey


def ids(questions) -> list[str]:
    return [q.id for q in questions]


def test_show_if_shows_a_question_only_for_a_matching_answer():
    assert ids(visible(SURVEY, {})) == ["go", "clean", "nps", "idea"]
    assert ids(visible(SURVEY, {"go": Answer(("yes",))})) == ["go", "which", "clean", "nps", "idea"]
    assert ids(visible(SURVEY, {"go": Answer(("no",))})) == ["go", "clean", "nps", "idea"]
    assert ids(visible(SURVEY, {"go": SKIPPED})) == ["go", "clean", "nps", "idea"]


def test_scale_bounds_and_chains():
    at_most_two = ShowIf(question="clean", at_most=2)
    assert at_most_two.matches(Answer(("1",))) and at_most_two.matches(Answer(("2",)))
    assert not at_most_two.matches(Answer(("3",))) and not at_most_two.matches(SKIPPED)
    between = ShowIf(question="clean", at_least=2, at_most=4)
    assert [between.matches(Answer((str(n),))) for n in range(1, 6)] == [
        False,
        True,
        True,
        True,
        False,
    ]
    chained = PARKS.replace(
        "  - id: clean\n", "  - id: clean\n    show_if: {question: which, any_of: [south]}\n"
    )
    survey = load_text(chained, file=Path("c.yaml"), tz=SOFIA).survey
    # "clean" depends on "which", which depends on "go": hiding "which" hides "clean" too.
    answers = {"go": Answer(("yes",)), "which": Answer(("south",))}
    assert "clean" in ids(visible(survey, answers))
    answers["go"] = Answer(("no",))
    assert ids(visible(survey, answers)) == ["go", "nps", "idea"]
    assert hidden_answered(survey, answers) == ["which"]


def test_next_question_and_progress():
    answers = {"go": Answer(("yes",))}
    question = next_unanswered(SURVEY, answers)
    assert question is not None and question.id == "which"
    assert progress(SURVEY, answers, "which") == (2, 5)
    answers |= {"which": Answer(("west",)), "clean": Answer(("3",)), "nps": SKIPPED}
    assert next_unanswered(SURVEY, answers).id == "idea"  # type: ignore[union-attr]
    answers["idea"] = Answer(text="Benches")
    assert next_unanswered(SURVEY, answers) is None


def test_answers_from_rows_and_in_words():
    answers = answers_from_rows(
        [
            ("which", "west", None),
            ("which", "south", None),
            ("nps", None, None),
            ("idea", None, "Hi"),
        ]
    )
    assert answers == {
        "which": Answer(("west", "south")),
        "nps": SKIPPED,
        "idea": Answer(text="Hi"),
    }
    which = SURVEY.question("which")
    assert which is not None
    assert answer_text(which, answers["which"], "en") == "West Park, South Park"
    assert answer_text(which, answers["which"], "bg") == "Западен парк, Южен парк"
    assert answer_text(which, None, "en") is None and answer_text(which, SKIPPED, "en") == ""
