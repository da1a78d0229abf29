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

from dataclasses import dataclass

from bot.core.buttons import ButtonData


@dataclass(frozen=True)
class TopicsButton(ButtonData, prefix="at"):
    pass


@dataclass(frozen=True)
class TopicToggle(ButtonData, prefix="at"):
    topic: str
    on: bool  # what the tap does: the button says it


@dataclass(frozen=True)
class PlacesButton(ButtonData, prefix="ap"):
    pass


WHOLE_CITY, DISTRICTS, PIN = "all", "districts", "pin"


@dataclass(frozen=True)
class PlacesChoice(ButtonData, prefix="ap"):
    choice: str  # WHOLE_CITY | DISTRICTS | PIN


@dataclass(frozen=True)
class DistrictToggle(ButtonData, prefix="ad"):
    district: str
    on: bool


@dataclass(frozen=True)
class RadiusButton(ButtonData, prefix="ar"):
    metres: int


@dataclass(frozen=True)
class RemovePlaceButton(ButtonData, prefix="ax"):
    place: int


@dataclass(frozen=True)
class MineButton(ButtonData, prefix="am"):
    pass


@dataclass(frozen=True)
class QuietButton(ButtonData, prefix="aq"):
    pass


QUIET_ON, QUIET_OFF, QUIET_TYPE = "on", "off", "type"


@dataclass(frozen=True)
class QuietChoice(ButtonData, prefix="aq"):
    choice: str  # QUIET_ON | QUIET_OFF | QUIET_TYPE | "<from>-<to>" in minutes after midnight


@dataclass(frozen=True)
class DigestButton(ButtonData, prefix="ag"):
    pass


DIGEST_OFF = "off"


@dataclass(frozen=True)
class DigestChoice(ButtonData, prefix="ag"):
    choice: str  # an hour, or DIGEST_OFF


STOP_ASK, STOP_YES, STOP_NO, STOP_RESUME = "ask", "yes", "no", "resume"


@dataclass(frozen=True)
class StopButton(ButtonData, prefix="as"):
    answer: str  # STOP_ASK | STOP_YES | STOP_NO | STOP_RESUME


@dataclass(frozen=True)
class ReportNewsButton(ButtonData, prefix="an"):
    on: bool
