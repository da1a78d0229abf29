from __future__ import annotations

import re

import pytest

from bot.city import LANGUAGES, Category, CityPack, NoteTemplate
from bot.city.catalog import NOTE_STATUSES

CALL_SOFIA_IDS = {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 22, 27, 28, 30, 32, 38, 40}


def test_all_17_call_sofia_categories(sofia: CityPack):
    assert len(sofia.categories) == 17
    assert {c.callsofia_id for c in sofia.categories} == CALL_SOFIA_IDS


def test_category_codes_are_unique_short_ascii_and_url_safe(sofia: CityPack):
    codes = [c.code for c in sofia.categories]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert re.fullmatch(r"[a-z0-9_-]{1,20}", code), code
        assert len(f"report:category:{code}".encode()) <= 64


def test_codes_are_sofia_and_the_call_sofia_id(sofia: CityPack):
    assert all(c.code == f"sofia-{c.callsofia_id}" for c in sofia.categories)


def test_official_bulgarian_names(sofia: CityPack):
    names = {c.callsofia_id: c.name("bg") for c in sofia.categories}
    assert names[1] == "Чистота"
    assert names[6] == "Екология. Зелена система"
    assert names[9] == "Сгради/строежи"
    assert names[27] == "Сметосъбиране и сметоизвозване"
    assert names[40] == "Спортни терени, площадки и съоръжения"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_in_every_language(sofia: CityPack, language: str):
    for c in sofia.categories:
        for text in (c.name(language), c.short_name(language), c.description(language)):
            assert text.strip()
        assert c.names[language].strip()
        assert c.short[language].strip()
        assert c.descriptions[language].strip()
        assert c.group[language].strip()
        assert c.keywords[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_button_labels_are_short_and_start_with_an_emoji(sofia: CityPack, language: str):
    for c in sofia.categories:
        label = c.short_name(language)
        assert len(label) <= 30, label
        assert not label[0].isascii() and " " in label, label


def test_descriptions_are_one_sentence(sofia: CityPack):
    for c in sofia.categories:
        for text in c.descriptions.values():
            assert text.endswith(".") and text.count(". ") == 0, text


def test_other_is_last(sofia: CityPack):
    assert sofia.categories[-1].callsofia_id == 11


def test_category_by_code(sofia: CityPack):
    lighting = sofia.category("sofia-28")
    assert isinstance(lighting, Category)
    assert lighting.name("bg") == "Улично осветление"
    assert lighting.name("en") == "Street lighting"
    assert lighting.short_name("en") == "💡 Street lighting"
    assert lighting.group_name("en") == "Streets and infrastructure"
    assert lighting.body == "district"
    assert (lighting.deadlines.acknowledge_hours, lighting.deadlines.resolve_days) == (8, 10)
    assert sofia.category("28") is None
    assert sofia.category("nope") is None


def test_texts_fall_back_to_bulgarian(sofia: CityPack):
    category = sofia.category("sofia-5")
    assert category is not None
    assert category.name("fr") == category.name(None) == "Паркиране"
    assert category.name("en_US") == "Parking"


TOPICS = {
    "water",
    "heating",
    "electricity",
    "roads",
    "transport",
    "air",
    "waste",
    "culture",
    "emergencies",
}


def test_topics(sofia: CityPack):
    assert {t.code for t in sofia.topics} == TOPICS
    assert [t.code for t in sofia.topics if t.urgent_by_default] == ["emergencies"]
    for t in sofia.topics:
        assert len(t.code) <= 20 and t.code.isascii()
        assert t.emoji and not t.emoji.isascii()
        for language in LANGUAGES:
            assert t.names[language].strip() and t.descriptions[language].strip()
            assert len(t.short_name(language)) <= 30


def test_topic_by_code(sofia: CityPack):
    heating = sofia.topic("heating")
    assert heating is not None
    assert heating.short_name("en") == "🔥 Heating"
    assert heating.name("bg") == "Топлоснабдяване"
    assert sofia.topic("parking") is None


def test_note_templates_reach_each_reader_in_their_language(sofia: CityPack):
    from bot.domain.report_news import public_note

    fixed = sofia.note_template("fixed")
    assert fixed is not None
    for written in ("bg", "en"):  # staff may have picked it in either language
        assert public_note(sofia, "en", fixed.text(written)) == fixed.text("en")
        assert public_note(sofia, "bg", fixed.text(written)) == fixed.text("bg")
    assert public_note(sofia, "en", "Екипът е на място.") == "Екипът е на място."
    assert public_note(sofia, "en", None) is None


def test_note_templates_suit_their_statuses(sofia: CityPack):
    from storage.models import TRANSITIONS

    settable = {status.value for targets in TRANSITIONS.values() for status in targets}
    assert set(NOTE_STATUSES) == settable  # what a template may name: what staff may set
    assert [t.code for t in sofia.note_templates_for("in_progress")] == ["team-sent", "planned"]
    assert [t.code for t in sofia.note_templates_for("rejected")] == ["not-ours", "private-land"]
    assert sofia.note_templates_for("duplicate") == ()
    fixed = sofia.note_template("fixed")
    assert fixed is not None and (fixed.title("en"), fixed.title("bg")) == ("Fixed", "Отстранен")
    anywhere = NoteTemplate("any", {"en": "We will look into it as soon as we can, thank you."})
    assert anywhere.suits("duplicate") and anywhere.suits("resolved")
    assert anywhere.title("en") == "We will look into it as soon…"  # no title: the text's start
