"""The survey conversations' buttons: a typed payload class per family (bot.core.buttons).
The prefixes and their order of fields are what old messages carry back (an invitation's
"svo:<id>" above all): keep them.

Citizens (answer.py): sv… ; staff (manage.py, create.py): sq… ."""

from __future__ import annotations

from bot.core.buttons import ButtonData

# -- citizens answering -------------------------------------------------------------------


class ListButton(ButtonData, prefix="svl"):
    pass


class OpenButton(ButtonData, prefix="svo"):
    survey: int


class AnswerButton(ButtonData, prefix="sv"):
    """A single choice's option or a scale's number."""

    survey: int
    question: str
    value: str


class ToggleButton(ButtonData, prefix="svm"):
    """Tick (on) or untick a multiple choice's option."""

    survey: int
    question: str
    option: str
    on: bool


class DoneButton(ButtonData, prefix="svd"):
    """Done with a multiple choice."""

    survey: int
    question: str


class SkipButton(ButtonData, prefix="svs"):
    survey: int
    question: str


class ResumeButton(ButtonData, prefix="svr"):
    survey: int
    how: str  # CONTINUE or START_OVER


class ChangeButton(ButtonData, prefix="svc"):
    """Change an answer of a completed response."""

    survey: int
    question: str


class DistrictButton(ButtonData, prefix="svz"):
    survey: int
    district: str


class LaterButton(ButtonData, prefix="svx"):
    pass


class NotifyButton(ButtonData, prefix="svn"):
    """Tell me about new surveys (on), or stop."""

    on: bool


CONTINUE, START_OVER = "c", "r"  # ResumeButton.how
QuestionButton = AnswerButton | ToggleButton | DoneButton | SkipButton | ChangeButton


# -- staff --------------------------------------------------------------------------------


class CardButton(ButtonData, prefix="sqo"):
    survey: int


class ResultsButton(ButtonData, prefix="sqr"):
    survey: int


class TextsButton(ButtonData, prefix="sqt"):
    """A page of a free-text question's answers."""

    survey: int
    question: str
    page: int


class CsvButton(ButtonData, prefix="sqe"):
    survey: int


class InviteButton(ButtonData, prefix="sqi"):
    """Invite: choose the audience."""

    survey: int


class AudienceButton(ButtonData, prefix="sqa"):
    """The invitations' preview for an audience: those opted in, or a topic's subscribers."""

    survey: int
    audience: str  # OPT_IN ("*"), or an alert topic


class SendInvitesButton(ButtonData, prefix="sqy"):
    survey: int
    audience: str


class PublicButton(ButtonData, prefix="sqp"):
    """Public results on or off."""

    survey: int
    public: bool


class CancelButton(ButtonData, prefix="sqx"):
    pass


class NewSurveyButton(ButtonData, prefix="sqn"):
    choice: str  # "t:<type>", "more", "dates", "now", "c:<days>", "publish" or "draft"
