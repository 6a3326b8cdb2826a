from .notifications import Notification
from .teams import Membership, MembershipRole, Team, TeamKind

__all__ = ["Membership", "MembershipRole", "Notification", "Team", "TeamKind"]
