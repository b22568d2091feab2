"""All models, imported here so `Base.metadata` is complete for Alembic and create_all."""

from db.base import Base
from db.models.coaching import CoachTip, Drill, DrillTurn
from db.models.ops import ApiToken, AuditLog, JobRun, Outbox
from db.models.org import (
    Branch,
    Employee,
    EmployeeRole,
    GroupChat,
    Holiday,
    InviteCode,
    Role,
    Team,
    TelegramBinding,
)
from db.models.results import AssessmentResult, ScoreSnapshot
from db.models.work import Call, Case, Complaint, Leave, PromiseToPay, QaFinding, Repayment

__all__ = [
    "ApiToken",
    "AssessmentResult",
    "AuditLog",
    "Base",
    "Branch",
    "Call",
    "Case",
    "CoachTip",
    "Complaint",
    "Drill",
    "DrillTurn",
    "Employee",
    "EmployeeRole",
    "GroupChat",
    "Holiday",
    "InviteCode",
    "JobRun",
    "Leave",
    "Outbox",
    "PromiseToPay",
    "QaFinding",
    "Repayment",
    "Role",
    "ScoreSnapshot",
    "Team",
    "TelegramBinding",
]
