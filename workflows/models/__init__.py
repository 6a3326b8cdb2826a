from .notifications import Notification
from .problems import Problem, ProblemLink, ProblemNotification, ProblemStatus
from .routes import RouteStageTemplate, RouteTemplate
from .tasks import TASK_OPEN_STATES, Task, TaskComment, TaskEvent, TaskStage, TaskState
from .teams import Membership, MembershipRole, Team, TeamKind

__all__ = [
    "Membership", "MembershipRole", "Notification", "Team", "TeamKind",
    "Problem", "ProblemLink", "ProblemNotification", "ProblemStatus",
    "RouteStageTemplate", "RouteTemplate",
    "TASK_OPEN_STATES", "Task", "TaskComment", "TaskEvent", "TaskStage", "TaskState",
]
