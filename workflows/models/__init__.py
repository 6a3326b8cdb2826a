from .absences import Absence
from .automation import AutomationRule, AutomationRun, Trigger
from .escalation import EscalationPath, EscalationTier
from .forms import FieldType, RequestForm, RequestFormField
from .notifications import Notification
from .preferences import NotificationKind, NotificationPreference
from .problems import Problem, ProblemLink, ProblemNotification, ProblemStatus
from .routes import RouteStageTemplate, RouteTemplate
from .routing import RoutingRule
from .skills import Skill, SkillKind
from .tasks import TASK_OPEN_STATES, Task, TaskComment, TaskEvent, TaskStage, TaskState
from .teams import Membership, MembershipRole, Strategy, Team, TeamKind
from .webhooks import DeliveryStatus, PayloadFormat, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Absence", "AutomationRule", "AutomationRun", "DeliveryStatus", "EscalationPath", "EscalationTier",
    "Membership", "MembershipRole", "Notification", "NotificationKind", "NotificationPreference",
    "PayloadFormat", "RoutingRule", "Skill", "SkillKind", "Strategy", "Team", "TeamKind", "Trigger",
    "WebhookDelivery", "WebhookEndpoint",
    "Problem", "ProblemLink", "ProblemNotification", "ProblemStatus",
    "RouteStageTemplate", "RouteTemplate",
    "TASK_OPEN_STATES", "Task", "TaskComment", "TaskEvent", "TaskStage", "TaskState",
    "FieldType", "RequestForm", "RequestFormField",
]
