from .forms import FieldType, RequestForm, RequestFormField
from .notifications import Notification
from .teams import Membership, MembershipRole, Team, TeamKind

__all__ = [
    "FieldType", "Membership", "MembershipRole", "Notification", "RequestForm", "RequestFormField", "Team", "TeamKind",
]
