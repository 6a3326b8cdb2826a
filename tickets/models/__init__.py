from .access import is_case_staff, is_requester_side, team_ids
from .cases import (
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITION_LABELS,
    Case,
    Channel,
    Priority,
    State,
    pk_from_reference,
    reference_for,
)
from .catalog import Category, Product, Tag
from .comments import Attachment, CaseEvent, Comment, EventKind, Visibility
from .macros import Macro
from .people import STAFF_ROLES, Organization, Role, Tier, User
from .saved_views import SavedView

__all__ = [
    "OPEN_STATES", "TERMINAL_STATES", "TRANSITION_LABELS", "STAFF_ROLES",
    "Attachment", "Case", "CaseEvent", "Category", "Channel", "Comment", "EventKind", "Macro", "Organization",
    "Priority", "Product", "Role", "SavedView", "State", "Tag", "Tier", "User", "Visibility",
    "is_case_staff", "is_requester_side", "pk_from_reference", "reference_for", "team_ids",
]
