"""The database schema (SQLAlchemy 2 declarative models), one module per kind of record. Migrations in
``migrations/`` must match it; every model is imported here, so ``Base.metadata`` holds every table."""

from __future__ import annotations

from gluteguard.store.models.accounts import (
    AuditEventRow,
    CareLinkRow,
    ClinicianNoteRow,
    ClinicianOrderRow,
    InviteRow,
    LoginFailureRow,
    ServerSecretRow,
    UserRow,
)
from gluteguard.store.models.base import NAMING, Base
from gluteguard.store.models.caches import (
    AthleteDaySummaryRow,
    KeptDayRow,
)
from gluteguard.store.models.jobs import (
    BackgroundJobChunkRow,
    BackgroundJobRow,
)
from gluteguard.store.models.records import (
    Activity,
    ActivityStream,
    Athlete,
    CheckInRow,
    ClinicianVisitRow,
    FunctionCheckRow,
    GaitSessionRow,
    PlanLogRow,
    SedentaryDayRow,
    SelfTestRow,
    SittingBreakRow,
    SourceFile,
    StandHourRow,
    StepRow,
    StravaLinkRow,
)

__all__ = [
    "NAMING",
    "Activity",
    "ActivityStream",
    "Athlete",
    "AthleteDaySummaryRow",
    "AuditEventRow",
    "BackgroundJobChunkRow",
    "BackgroundJobRow",
    "Base",
    "CareLinkRow",
    "CheckInRow",
    "ClinicianNoteRow",
    "ClinicianOrderRow",
    "ClinicianVisitRow",
    "FunctionCheckRow",
    "GaitSessionRow",
    "InviteRow",
    "KeptDayRow",
    "LoginFailureRow",
    "PlanLogRow",
    "SedentaryDayRow",
    "SelfTestRow",
    "ServerSecretRow",
    "SittingBreakRow",
    "SourceFile",
    "StandHourRow",
    "StepRow",
    "StravaLinkRow",
    "UserRow",
]
