"""The report buttons keep the wire format of before: payloads already in citizens' chats
(news, cards, lists) and in staff's keyboards still parse."""

from __future__ import annotations

import pytest

from bot.core.buttons import ButtonData
from handlers.reports.buttons import (
    CancelAction,
    CancelComment,
    CategoryButton,
    DiscardChoice,
    DistrictButton,
    DuplicateChoice,
    EditField,
    EditPhotos,
    HideReasonButton,
    HideToggle,
    HideYes,
    KnownOutageChoice,
    ListPage,
    MyPage,
    NoteTemplateButton,
    NotFixed,
    OpenReport,
    PhotosDone,
    PlaceChoice,
    ResumeChoice,
    SkipNote,
    StaffOpen,
    StatusChange,
    SummaryAction,
    Unfollow,
)

PAYLOADS: list[tuple[ButtonData, str]] = [
    (ResumeChoice(ResumeChoice.CONTINUE), "rk:continue"),
    (ResumeChoice(ResumeChoice.RESTART), "rk:restart"),
    (CategoryButton("sofia-28"), "rc:sofia-28"),
    (PlaceChoice(PlaceChoice.TYPE_ADDRESS), "rl:type"),
    (PlaceChoice(PlaceChoice.PIN_IS_RIGHT), "rl:yes"),
    (DistrictButton("01"), "rd:01"),
    (PhotosDone(), "rph:done"),
    (DuplicateChoice.follow(12), "rdup:12"),
    (DuplicateChoice(DuplicateChoice.NEW), "rdup:new"),
    (SummaryAction(SummaryAction.SEND), "rs:send"),
    (SummaryAction(SummaryAction.CANCEL), "rs:cancel"),
    (DiscardChoice(DiscardChoice.DISCARD), "rx:yes"),
    (DiscardChoice(DiscardChoice.KEEP), "rx:no"),
    (EditField("photos"), "re:photos"),
    (EditPhotos("replace"), "rep:replace"),
    (KnownOutageChoice.watch(7), "fo:watch:7"),
    (KnownOutageChoice(KnownOutageChoice.FILE), "fo:file"),
    (MyPage(2), "myp:2"),
    (OpenReport(12), "myo:12"),
    (NotFixed(12), "mynf:12"),
    (Unfollow(12), "myuf:12"),
    (CancelComment(), "myx"),
    (ListPage(3, 1), "stp:3:1"),
    (StaffOpen(12), "sto:12"),
    (StatusChange(12, "in_progress"), "sts:12:in_progress"),
    (HideToggle(12, hide=True), "sth:12:1"),
    (HideToggle(12, hide=False), "sth:12:0"),
    (HideReasonButton(2), "shr:2"),
    (HideYes(), "shy"),
    (NoteTemplateButton("fixed"), "stn:fixed"),
    (SkipNote(), "stk"),
    (CancelAction(), "stx"),
]


@pytest.mark.parametrize(("button", "payload"), PAYLOADS, ids=[p for _, p in PAYLOADS])
def test_each_family_packs_and_parses_the_payload_of_before(button: ButtonData, payload: str):
    assert button.pack() == payload
    assert type(button).parse(payload) == button


def test_what_a_payload_names():
    assert DuplicateChoice.parse("rdup:12").report_id == 12
    assert DuplicateChoice.parse("rdup:new").report_id is None
    assert DuplicateChoice.parse("rdup:99999999999").report_id is None  # beyond any id
    assert KnownOutageChoice.parse("fo:watch:7").alert_id == 7
    assert KnownOutageChoice.parse("fo:file").alert_id is None
    assert KnownOutageChoice.parse("fo:watch:x").alert_id is None
