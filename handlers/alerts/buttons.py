"""The alerts buttons' payloads, one typed family each (the wire format of before: the
keyboards of older messages still parse).

Every change is one tap and the buttons say what they will do ("at:water:1" turns water on),
so an old keyboard tapped later can never undo what the citizen sees as done.

at the topics, at:<topic>:<1|0> on/off; ap the places, ap:all | ap:districts | ap:pin;
ad:<district>:<1|0>; ar:<metres> the circle around the pin just shared; ax:<place id> remove
a pin; am my subscriptions; aq quiet hours, aq:on | aq:off | aq:type | aq:<from>-<to>
(minutes after midnight); ag the digest, ag:<hour> | ag:off; as:ask | as:yes | as:no |
as:resume for /stop; an:<1|0> news about my reports on/off.

Four families have a screen's bare payload ("at", "ap", "aq", "ag") beside their choices:
their routes take the prefix and read the choice with `parse`, the screen when there is none.
"""

from __future__ import annotations

from bot.core.buttons import ButtonData


class TopicsButton(ButtonData, prefix="at"):
    pass


class TopicToggle(ButtonData, prefix="at"):
    topic: str
    on: bool  # what the tap does: the button says it


class PlacesButton(ButtonData, prefix="ap"):
    pass


WHOLE_CITY, DISTRICTS, PIN = "all", "districts", "pin"


class PlacesChoice(ButtonData, prefix="ap"):
    choice: str  # WHOLE_CITY | DISTRICTS | PIN


class DistrictToggle(ButtonData, prefix="ad"):
    district: str
    on: bool


class RadiusButton(ButtonData, prefix="ar"):
    metres: int


class RemovePlaceButton(ButtonData, prefix="ax"):
    place: int


class MineButton(ButtonData, prefix="am"):
    pass


class QuietButton(ButtonData, prefix="aq"):
    pass


QUIET_ON, QUIET_OFF, QUIET_TYPE = "on", "off", "type"


class QuietChoice(ButtonData, prefix="aq"):
    choice: str  # QUIET_ON | QUIET_OFF | QUIET_TYPE | "<from>-<to>" in minutes after midnight


class DigestButton(ButtonData, prefix="ag"):
    pass


DIGEST_OFF = "off"


class DigestChoice(ButtonData, prefix="ag"):
    choice: str  # an hour, or DIGEST_OFF


STOP_ASK, STOP_YES, STOP_NO, STOP_RESUME = "ask", "yes", "no", "resume"


class StopButton(ButtonData, prefix="as"):
    answer: str  # STOP_ASK | STOP_YES | STOP_NO | STOP_RESUME


class ReportNewsButton(ButtonData, prefix="an"):
    on: bool
