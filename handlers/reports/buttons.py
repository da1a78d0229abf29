"""The report buttons' payloads, one typed family each, in the wire format of before: buttons
already in citizens' chats (the news about their reports, report cards, staff lists) still
parse. bot/domain/report_news.py writes `mynf:<id>` and `myo:<id>` into the news as plain data
(the domain imports no interface); tests/handlers/reports/test_mine.py taps them.

Filing (file.py): rk:continue | rk:restart a draft left midway; rc:<category>; rl:type |
rl:yes the place; rd:<district>; rph:done the photos; rdup:<report id> | rdup:new the nearby
duplicates; rs:send | rs:edit | rs:cancel the summary; rx:yes | rx:no discard the draft?;
re:<field> what to edit; rep:keep | rep:add | rep:replace | rep:remove the photos when editing;
fo:watch:<alert id> | fo:file an official alert already covers it (known_outage.py).
My reports (mine.py, reopen.py): myp:<page>; myo:<report id> a report's card; mynf:<report
id> "Not fixed"; myuf:<report id> stop following; myx cancel the comment.
Staff (staff_list.py, triage.py): stp:<list version>:<page>; sto:<report id> the staff view;
sts:<report id>:<status> change the status; sth:<report id>:<1|0> hide or show; shr:<n> a
common reason for hiding; shy yes, hide it; stn:<template> a note template of the pack as
the note; stk skip the note; stx cancel.
The body's work (card.py): sak:<report id> acknowledge; sam:<report id> assign to me;
sas:<report id> assign to… (the colleagues), sap:<report id>:<citizen id> the one chosen;
snt:<report id> an internal note; smv:<report id> move to another body, smb:<body> the body.
"""

from __future__ import annotations

from typing import Self

from bot.core.buttons import ButtonData
from bot.domain.body_news import ASSIGN_TO_PREFIX

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database: a larger one names no report


def _id(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) <= MAX_ID else None


# -- filing a report ----------------------------------------------------------------------


class ResumeChoice(ButtonData, prefix="rk"):
    choice: str  # CONTINUE | RESTART

    CONTINUE = "continue"
    RESTART = "restart"


class CategoryButton(ButtonData, prefix="rc"):
    code: str


class PlaceChoice(ButtonData, prefix="rl"):
    choice: str  # TYPE_ADDRESS | PIN_IS_RIGHT

    TYPE_ADDRESS = "type"
    PIN_IS_RIGHT = "yes"  # the default point's check: yes, it is here


class DistrictButton(ButtonData, prefix="rd"):
    code: str


class PhotosDone(ButtonData, prefix="rph"):
    done: str = "done"


class DuplicateChoice(ButtonData, prefix="rdup"):
    """Follow one of the reports nearby (its id), or file mine anyway ("new")."""

    choice: str

    NEW = "new"

    @classmethod
    def follow(cls, report_id: int) -> Self:
        return cls(str(report_id))

    @property
    def report_id(self) -> int | None:
        return _id(self.choice)


class SummaryAction(ButtonData, prefix="rs"):
    action: str  # SEND | EDIT | CANCEL (Cancel stands in every step)

    SEND = "send"
    EDIT = "edit"
    CANCEL = "cancel"


class DiscardChoice(ButtonData, prefix="rx"):
    choice: str  # DISCARD | KEEP

    DISCARD = "yes"
    KEEP = "no"


class EditField(ButtonData, prefix="re"):
    field: str  # "category" | "location" | "description" | "photos" | "back"


class EditPhotos(ButtonData, prefix="rep"):
    action: str  # "keep" | "add" | "replace" | "remove"


class KnownOutageChoice(ButtonData, prefix="fo"):
    """An official alert covers the pin: a message when it ends ("watch:<alert id>"), or
    file the report anyway ("file")."""

    choice: str

    FILE = "file"

    @classmethod
    def watch(cls, alert_id: int) -> Self:
        return cls(f"watch:{alert_id}")

    @property
    def alert_id(self) -> int | None:
        kind, _, alert = self.choice.partition(":")
        return _id(alert) if kind == "watch" else None


# -- my reports ---------------------------------------------------------------------------


class MyPage(ButtonData, prefix="myp"):
    page: int


class OpenReport(ButtonData, prefix="myo"):
    report: int


class NotFixed(ButtonData, prefix="mynf"):
    report: int


class Unfollow(ButtonData, prefix="myuf"):
    report: int


class CancelComment(ButtonData, prefix="myx"):
    pass


# -- staff --------------------------------------------------------------------------------


class ListPage(ButtonData, prefix="stp"):
    version: int  # the list's filters it belongs to (kept in the conversation state)
    page: int


class StaffOpen(ButtonData, prefix="sto"):
    report: int


class StatusChange(ButtonData, prefix="sts"):
    report: int
    to: str  # a ReportStatus value


class HideToggle(ButtonData, prefix="sth"):
    report: int
    hide: bool  # True: hide it; False: show it again


class HideReasonButton(ButtonData, prefix="shr"):
    number: int  # in bot.domain.report_news.HIDE_REASONS


class HideYes(ButtonData, prefix="shy"):
    pass


class SkipNote(ButtonData, prefix="stk"):
    pass


class NoteTemplateButton(ButtonData, prefix="stn"):
    code: str  # a note template of the city pack (note_templates.json)


class CancelAction(ButtonData, prefix="stx"):
    pass


# -- the body's work on a report (card.py) ------------------------------------------------


class CardAcknowledge(ButtonData, prefix="sak"):
    report: int


class CardAssignMe(ButtonData, prefix="sam"):
    report: int


class AssignTo(ButtonData, prefix=ASSIGN_TO_PREFIX):
    """ "Assign to…": the body's staff to choose from."""

    report: int


class AssignPick(ButtonData, prefix="sap"):
    """One colleague chosen (a citizen id; the label is their public ref). Carries both ids,
    so it works from a private chat and from the team chat alike; the domain checks both."""

    report: int
    staff: int


class NoteStart(ButtonData, prefix="snt"):
    report: int


class MoveStart(ButtonData, prefix="smv"):
    report: int


class MoveBody(ButtonData, prefix="smb"):
    code: str  # a body of the city pack
