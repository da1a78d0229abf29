"""Survey YAML files: the Sofia example loads; a bad file is refused with file, line, reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.city import load_city
from bot.surveys.loader import SurveyFileError, load_paths, load_text
from bot.surveys.schema import FreeText, MultipleChoice, Rating, SingleChoice
from tests.bot.surveys.seed import DISTRICTS, PARKS, SOFIA, variant

FILE = Path("surveys/bad.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(SurveyFileError) as caught:
        load_text(text, file=FILE, tz=SOFIA, districts=DISTRICTS)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


def test_the_sofia_pack_example_loads():
    city = load_city("sofia")
    (loaded,) = load_paths([city.directory / "surveys"], tz=city.timezone, districts=DISTRICTS)
    survey = loaded.survey
    assert survey.id == "city-services-2026" and survey.public and survey.status == "published"
    assert survey.opens_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 09:00 Sofia time
    assert survey.closes_at == datetime(2027, 1, 31, 22, 0, tzinfo=UTC)  # the end of 31.01
    kinds = {type(q) for q in survey.questions}
    assert kinds == {SingleChoice, MultipleChoice, Rating, FreeText}
    assert any(q.optional for q in survey.questions)
    assert any(q.show_if is not None for q in survey.questions)
    for question in survey.questions:
        assert question.text["bg"] and question.text["en"]


def test_texts_default_to_bulgarian_and_ids_stay_text():
    loaded = load_text(
        PARKS.replace("{bg: Парковете, en: The parks}", "Парковете"), file=FILE, tz=SOFIA
    )
    assert loaded.survey.title == {"bg": "Парковете"}
    go = loaded.survey.question("go")
    assert isinstance(go, SingleChoice) and go.values == ["yes", "no"]  # not booleans
    which = loaded.survey.question("which")
    assert which is not None and which.show_if is not None and which.show_if.any_of == ["yes"]


SLIDER = PARKS.replace('type: rating\n    text: {bg: "Колко', 'type: slider\n    text: {bg: "Колко')
NO_BG = PARKS.replace('{id: no, text: {bg: Не, en: "No"}}', '{id: no, text: {en: "No"}}')
CASES = [
    (SLIDER, 24, "questions[2]: type must be one of: multiple, rating, single, text"),
    (NO_BG, 13, "questions[0].options[1].text: the Bulgarian text (bg) is required"),
    (
        PARKS.replace("    max_length: 50\n", "    max_length: 50\n    colour: red\n"),
        37,
        "questions[4].colour: Extra inputs are not permitted",
    ),
    (PARKS.replace("title: {bg: Парковете, en: The parks}\n", ""), 1, "title: Field required"),
    (
        PARKS.replace("any_of: [yes]", "any_of: [maybe]"),
        16,
        "questions[1].show_if.any_of: 'maybe' is not an answer of 'go' (yes, no)",
    ),
    (
        PARKS.replace("{question: go, any_of: [yes]}", "{question: idea, any_of: [yes]}"),
        16,
        "questions[1].show_if.question: show_if names a later question ('idea')",
    ),
    (
        PARKS.replace("{question: go, any_of: [yes]}", "{question: go, at_least: 3}"),
        16,
        "questions[1].show_if: at_least/at_most need a rating question; use any_of",
    ),
    (
        PARKS.replace("- {id: west,", "- {id: south,"),
        22,
        "questions[1].options[2].id: option id 'south' is used twice",
    ),
    (
        PARKS.replace("  - id: idea\n", "  - id: go\n"),
        33,
        "questions[4].id: question id 'go' is used twice",
    ),
    (variant(closes_at="2026-10-01"), 3, "closes_at: must be after opens_at"),
    (
        variant(opens_at="soon"),
        2,
        "opens_at: expected a date (2026-12-01) or a date and time (2026-12-01 09:00)",
    ),
    (
        variant(districts='["15", "99"]'),
        2,
        f"districts[1]: unknown district '99' (quote the codes: {', '.join(DISTRICTS)})",
    ),
    (variant(languages="[bg, de]"), 2, "languages[1]: languages are bg, en"),
    (
        PARKS.replace("    scale: 0-10\n", "    scale: 1-10\n"),
        30,
        "questions[3].scale: Input should be '1-5' or '0-10'",
    ),
    (PARKS + "title: again\n", 38, "'title' is given twice"),
    (
        "id: x\ntitle: [unclosed\n",
        3,
        "YAML: while parsing a flow sequence expected ',' or ']', but got '<stream end>'",
    ),
    ("- just\n- a list\n", 1, "a survey file is a mapping"),
]


@pytest.mark.parametrize(("text", "line", "reason"), CASES)
def test_a_bad_file_is_refused_with_file_line_and_reason(text: str, line: int, reason: str):
    assert f"surveys/bad.yaml:{line}: {reason}" in problems(text)


def test_every_problem_of_a_file_is_reported():
    text = PARKS.replace('{id: no, text: {bg: Не, en: "No"}}', "{id: no}").replace(
        "    max_length: 50\n", "    max_length: 5000\n"
    )
    found = problems(text)
    assert found == [
        "surveys/bad.yaml:13: questions[0].options[1].text: Field required",
        "surveys/bad.yaml:36: questions[4].max_length: Input should be less than or equal to 2000",
    ]


def test_two_files_with_one_id_are_refused(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(PARKS, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(PARKS, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a survey", encoding="utf-8")
    with pytest.raises(SurveyFileError) as caught:
        load_paths([tmp_path], tz=SOFIA, districts=DISTRICTS)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'b.yaml'}:1: id: survey id 'parks' is also used by {tmp_path / 'a.yaml'}"
    ]
