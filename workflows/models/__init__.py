from .teams import Membership, MembershipRole, Team, TeamKind

__all__ = ["Membership", "MembershipRole", "Team", "TeamKind"]
