"""The tables, one module per capability; importing this package registers them all."""

from storage.models.alerts import (
    AlertPlace,
    AlertSettings,
    AlertTopic,
    Notice,
    NoticeRun,
    NoticeStatus,
    Outbox,
    OutboxStatus,
    PlaceKind,
    RunStatus,
)
from storage.models.core import (
    ChannelIdentity,
    Citizen,
    CitizenBase,
    ConversationState,
    ProcessedUpdate,
    Role,
)
from storage.models.reports import (
    OPEN_STATUSES,
    ApiKey,
    Report,
    ReportCounter,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
    ReportStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "AlertPlace",
    "AlertSettings",
    "AlertTopic",
    "ApiKey",
    "ChannelIdentity",
    "Citizen",
    "CitizenBase",
    "ConversationState",
    "Notice",
    "NoticeRun",
    "NoticeStatus",
    "Outbox",
    "OutboxStatus",
    "PlaceKind",
    "ProcessedUpdate",
    "Report",
    "ReportCounter",
    "ReportEvent",
    "ReportFollower",
    "ReportPhoto",
    "ReportStatus",
    "Role",
    "RunStatus",
]
