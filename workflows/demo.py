"""Demo teams and the people in them: support L1 and L2, departments, agents, a manager.

`seed(stdout)` is idempotent: teams are found by slug, people by username, memberships
by (team, user); what exists is left as it is. Everyone gets the demo password.
"""

from __future__ import annotations

from django.db import transaction

from tickets.demo import people_ensure
from tickets.models import Role, User
from workflows.models import Membership, MembershipRole, Team, TeamKind

# (slug, name, kind, tier, time zone)
TEAMS = [
    ("support-l1", "Support L1", TeamKind.SUPPORT, 1, "Asia/Manila"),
    ("support-l2", "Support L2", TeamKind.SUPPORT, 2, "Europe/Dublin"),
    ("finance", "Finance", TeamKind.DEPARTMENT, None, "America/Chicago"),
    ("engineering", "Engineering", TeamKind.DEPARTMENT, None, "Europe/Dublin"),
    ("product", "Product", TeamKind.DEPARTMENT, None, "America/Chicago"),
    ("accounts", "Accounts", TeamKind.DEPARTMENT, None, "Asia/Manila"),
    ("cards", "Cards", TeamKind.DEPARTMENT, None, "Europe/Dublin"),
    ("warranty", "Warranty", TeamKind.DEPARTMENT, None, "America/Chicago"),
    ("documentation", "Documentation", TeamKind.DEPARTMENT, None, "Europe/Dublin"),
    ("qa", "QA", TeamKind.DEPARTMENT, None, "Asia/Manila"),
    ("warehouse", "Warehouse", TeamKind.DEPARTMENT, None, "America/Chicago"),
]

# (username, first, last, role, time zone, [(team slug, membership role)])
STAFF = [
    ("admin", "Ada", "Admin", Role.ADMIN, "Europe/Dublin", []),
    ("manager", "Maria", "Santos", Role.MANAGER, "Asia/Manila",
     [("support-l1", MembershipRole.MANAGER), ("support-l2", MembershipRole.MANAGER)]),
    ("agent", "Andres", "Cruz", Role.AGENT, "Asia/Manila", [("support-l1", MembershipRole.MEMBER)]),
    ("agent-joy", "Joy", "Villanueva", Role.AGENT, "Asia/Manila", [("support-l1", MembershipRole.LEAD)]),
    ("agent-ramon", "Ramon", "Bautista", Role.AGENT, "Asia/Manila", [("support-l1", MembershipRole.MEMBER)]),
    ("agent-tess", "Tess", "Garcia", Role.AGENT, "Asia/Manila", [("support-l1", MembershipRole.MEMBER)]),
    ("agent-l2", "Liam", "Murphy", Role.AGENT, "Europe/Dublin", [("support-l2", MembershipRole.LEAD)]),
    ("agent-niamh", "Niamh", "Kelly", Role.AGENT, "Europe/Dublin", [("support-l2", MembershipRole.MEMBER)]),
    ("finance-demo", "Frank", "Miller", Role.DEPARTMENT, "America/Chicago", [("finance", MembershipRole.LEAD)]),
    ("finance-2", "Grace", "Olsen", Role.DEPARTMENT, "America/Chicago", [("finance", MembershipRole.MEMBER)]),
    ("engineering-demo", "Eoin", "Doyle", Role.DEPARTMENT, "Europe/Dublin", [("engineering", MembershipRole.LEAD)]),
    ("engineering-2", "Priya", "Nair", Role.DEPARTMENT, "Europe/Dublin", [("engineering", MembershipRole.MEMBER)]),
    ("product-demo", "Pat", "Johnson", Role.DEPARTMENT, "America/Chicago", [("product", MembershipRole.LEAD)]),
    ("accounts-demo", "Ana", "Lim", Role.DEPARTMENT, "Asia/Manila", [("accounts", MembershipRole.LEAD)]),
    ("cards-demo", "Conor", "Ryan", Role.DEPARTMENT, "Europe/Dublin", [("cards", MembershipRole.LEAD)]),
    ("warranty-demo", "Wes", "Parker", Role.DEPARTMENT, "America/Chicago", [("warranty", MembershipRole.LEAD)]),
    ("documentation-demo", "Dana", "Quinn", Role.DEPARTMENT, "Europe/Dublin",
     [("documentation", MembershipRole.LEAD)]),
    ("qa-demo", "Quentin", "Ramos", Role.DEPARTMENT, "Asia/Manila", [("qa", MembershipRole.LEAD)]),
    ("warehouse-demo", "Walt", "Brooks", Role.DEPARTMENT, "America/Chicago", [("warehouse", MembershipRole.LEAD)]),
]


def seed(stdout) -> None:
    """Create the teams, staff and memberships that are missing; set team leads once."""
    with transaction.atomic():
        teams = {}
        for slug, name, kind, tier, tz in TEAMS:
            teams[slug], _ = Team.objects.get_or_create(
                slug=slug, defaults={"name": name, "kind": kind, "tier": tier, "time_zone": tz,
                                     "email": f"{slug}@helpdesk.example"})
        made = people_ensure([
            dict(username=u, first_name=f, last_name=l, role=role, time_zone=tz,
                 is_superuser=role == Role.ADMIN, is_staff=role == Role.ADMIN)
            for u, f, l, role, tz, _ in STAFF
        ])
        users = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in STAFF])}
        for username, *_, memberships in STAFF:
            for slug, role in memberships:
                Membership.objects.get_or_create(team=teams[slug], user=users[username], defaults={"role": role})
                if role == MembershipRole.LEAD and teams[slug].lead_id is None:
                    teams[slug].lead = users[username]
                    teams[slug].save(update_fields=["lead"])
    stdout.write(f"workflows demo: {len(teams)} teams in {len({t[4] for t in TEAMS})} time zones, "
                 f"{made} new staff\n")
