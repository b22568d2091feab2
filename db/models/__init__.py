"""All models, imported here so `Base.metadata` is complete for Alembic and create_all."""

import db.models.call_refs  # noqa: F401  (the reference triggers of `calls`)
from db.base import Base
from db.models.activity import CallMonthActivity
from db.models.coaching import CoachTip, Drill, DrillTurn
from db.models.costs import CollectorCost
from db.models.hr import ExitRecord, RiskAction, RiskAlertState, RiskScore
from db.models.ops import (
    ApiToken,
    AuditLog,
    DashboardSnapshot,
    JobChunk,
    JobRun,
    Lease,
    Outbox,
    TelegramUpdate,
)
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
from db.models.plans import NotificationPref
from db.models.results import AssessmentResult, ScoreSnapshot
from db.models.training import (
    QuestionForward,
    QuizAnswer,
    QuizAttempt,
    QuizQuestion,
    TraineeQuestion,
    TrainingAssignment,
    TrainingItem,
    TrainingPush,
)
from db.models.work import Call, Case, Complaint, Leave, PromiseToPay, QaFinding, Repayment

__all__ = [
    "ApiToken",
    "AssessmentResult",
    "AuditLog",
    "Base",
    "Branch",
    "Call",
    "CallMonthActivity",
    "Case",
    "CoachTip",
    "CollectorCost",
    "Complaint",
    "DashboardSnapshot",
    "Drill",
    "DrillTurn",
    "Employee",
    "EmployeeRole",
    "ExitRecord",
    "GroupChat",
    "Holiday",
    "InviteCode",
    "JobChunk",
    "JobRun",
    "Lease",
    "Leave",
    "NotificationPref",
    "Outbox",
    "PromiseToPay",
    "QaFinding",
    "QuestionForward",
    "QuizAnswer",
    "QuizAttempt",
    "QuizQuestion",
    "Repayment",
    "RiskAction",
    "RiskAlertState",
    "RiskScore",
    "Role",
    "ScoreSnapshot",
    "Team",
    "TelegramBinding",
    "TelegramUpdate",
    "TraineeQuestion",
    "TrainingAssignment",
    "TrainingItem",
    "TrainingPush",
]
