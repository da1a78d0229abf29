"""The tables, one module per capability; importing this package registers them all."""

from storage.models.alerts import AlertPlace, AlertSettings, AlertTopic, PlaceKind
from storage.models.api_keys import ApiKey
from storage.models.audit import AuditEntry
from storage.models.bodies import BodyChat, StaffBody, StaffNotify
from storage.models.citizens import ChannelIdentity, Citizen, CitizenBase, Role
from storage.models.console import ConsoleLink, ConsoleSession
from storage.models.conversations import ConversationState
from storage.models.feeds import FeedAlert, FeedAlertStatus, FeedState, FeedWatch
from storage.models.forwards import ForwardHow, ForwardKind, ForwardState, ReportForward
from storage.models.notices import Notice, NoticeRun, NoticeStatus, RunStatus, RunTally
from storage.models.outbox import DirectTally, Held, Outbox, OutboxKind, OutboxStatus
from storage.models.reports import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    REOPENABLE,
    TRANSITIONS,
    Report,
    ReportCounter,
    ReportEvent,
    ReportFollower,
    ReportNote,
    ReportPhoto,
    ReportStatus,
)
from storage.models.surveys import (
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyOptIn,
    SurveyResponse,
    SurveyStatus,
)
from storage.models.updates import ProcessedUpdate

__all__ = [
    "CLOSED_STATUSES",
    "OPEN_STATUSES",
    "REOPENABLE",
    "TRANSITIONS",
    "AlertPlace",
    "AlertSettings",
    "AlertTopic",
    "ApiKey",
    "AuditEntry",
    "BodyChat",
    "ChannelIdentity",
    "Citizen",
    "CitizenBase",
    "ConsoleLink",
    "ConsoleSession",
    "ConversationState",
    "DirectTally",
    "FeedAlert",
    "FeedAlertStatus",
    "FeedState",
    "FeedWatch",
    "ForwardHow",
    "ForwardKind",
    "ForwardState",
    "Held",
    "Notice",
    "NoticeRun",
    "NoticeStatus",
    "Outbox",
    "OutboxKind",
    "OutboxStatus",
    "PlaceKind",
    "ProcessedUpdate",
    "Report",
    "ReportCounter",
    "ReportEvent",
    "ReportFollower",
    "ReportForward",
    "ReportNote",
    "ReportPhoto",
    "ReportStatus",
    "Role",
    "RunStatus",
    "RunTally",
    "StaffBody",
    "StaffNotify",
    "Survey",
    "SurveyAnswer",
    "SurveyInvite",
    "SurveyOptIn",
    "SurveyResponse",
    "SurveyStatus",
]
