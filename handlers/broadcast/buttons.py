"""The broadcast buttons' payloads, one typed family each (the wire format of before: a staff
member's older keyboards still parse).

The composer: bt:<topic>; ba:all | ba:districts | ba:radius | ba:next; bd:<district>:<1|0>;
br:<metres>; bu:<0|1> urgency; bs:noen | bs:nophoto skip a step; bw:now | bw:at | bw:repeat;
bq:daily | bq:weekly | bq:monthly | bq:cron; bk:<0-6> weekday (cron numbers, 0 = Sunday);
be:none no end date; bx cancel. The notices: nl the list; no:<id> a notice; np:<id> pause;
nr:<id> resume; nc:<id> cancel?; ny:<id> cancel!
"""

from __future__ import annotations

from bot.core.buttons import ButtonData

# -- the composer -------------------------------------------------------------------------


class TopicButton(ButtonData, prefix="bt"):
    topic: str


TO_ALL, TO_DISTRICTS, AROUND, NEXT = "all", "districts", "radius", "next"


class AudienceButton(ButtonData, prefix="ba"):
    choice: str  # TO_ALL | TO_DISTRICTS | AROUND, and NEXT when the districts are chosen


class DistrictButton(ButtonData, prefix="bd"):
    district: str
    on: bool  # what the tap does: the button says it


class RadiusButton(ButtonData, prefix="br"):
    metres: int


class UrgencyButton(ButtonData, prefix="bu"):
    urgent: bool


NO_ENGLISH, NO_PHOTO = "noen", "nophoto"


class SkipButton(ButtonData, prefix="bs"):
    step: str  # NO_ENGLISH | NO_PHOTO


SEND_NOW, SEND_AT, SEND_REPEATEDLY = "now", "at", "repeat"


class WhenButton(ButtonData, prefix="bw"):
    choice: str  # SEND_NOW | SEND_AT | SEND_REPEATEDLY


DAILY, WEEKLY, MONTHLY, BY_CRON = "daily", "weekly", "monthly", "cron"


class RepeatButton(ButtonData, prefix="bq"):
    kind: str  # DAILY | WEEKLY | MONTHLY | BY_CRON


class WeekdayButton(ButtonData, prefix="bk"):
    day: int  # cron's numbers: 0 = Sunday


class NoEndButton(ButtonData, prefix="be"):
    end: str = "none"


class CancelButton(ButtonData, prefix="bx"):
    pass


# -- the notices --------------------------------------------------------------------------


class ListButton(ButtonData, prefix="nl"):
    pass


class OpenButton(ButtonData, prefix="no"):
    notice: int


class PauseButton(ButtonData, prefix="np"):
    notice: int


class ResumeButton(ButtonData, prefix="nr"):
    notice: int


class CancelNoticeButton(ButtonData, prefix="nc"):
    notice: int


class ConfirmCancelButton(ButtonData, prefix="ny"):
    notice: int
