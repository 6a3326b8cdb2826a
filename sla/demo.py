"""Demo SLA configuration: calendars for Manila, Dublin and Chicago, a 24x7 enterprise policy,
business-hours policies, and three teams handing over to each other round the world.

`seed(stdout)` is idempotent: calendars and policies are replaced by name, shifts and the
chain are rebuilt, the three teams and their agents (manila1, dublin1, chicago1 ... with the
demo password) are created once.
"""

from __future__ import annotations

from datetime import time

from django.db import transaction

from sla.models import ChainLink, FollowTheSunChain, Shift, TargetKind
from sla.services.policies import calendar_define, policy_define

WEEKDAYS = range(5)
SUN_TEAMS = [
    ("support-manila", "Support Manila", "Asia/Manila"),
    ("support-dublin", "Support Dublin", "Europe/Dublin"),
    ("support-chicago", "Support Chicago", "America/Chicago"),
]
# (priority, first response, next response, resolution) in minutes.
ENTERPRISE = [("P1", 30, 60, 240), ("P2", 60, 120, 480)]
PREMIUM = [("P1", 60, 120, 480), ("P2", 120, 240, 960), ("P3", 240, 480, 1920), ("P4", 480, 960, 3840)]
STANDARD = [("P1", 120, 240, 960), ("P2", 240, 480, 1920), ("P3", 480, 960, 3840), ("P4", 960, 1920, 7680)]


def _targets(rows, calendar):
    out = []
    for priority, first, nxt, resolution in rows:
        out += [(priority, TargetKind.FIRST_RESPONSE, first, calendar),
                (priority, TargetKind.NEXT_RESPONSE, nxt, calendar),
                (priority, TargetKind.RESOLUTION, resolution, calendar)]
    return out


def _team(slug: str, name: str, tz: str):
    """Return the follow-the-sun team (created once) with two agents picked by load, the first its lead."""
    from tickets.demo import people_ensure
    from tickets.models import Role, User
    from workflows.models import Membership, MembershipRole, Strategy, Team, TeamKind

    team, _ = Team.objects.get_or_create(slug=slug, defaults={
        "name": name, "time_zone": tz, "kind": TeamKind.SUPPORT, "tier": 1,
        "assignment_strategy": Strategy.LEAST_LOADED})
    city = slug.split("-")[-1]
    usernames = [f"{city}{i}" for i in (1, 2)]
    people_ensure([dict(username=u, first_name=city.title(), last_name=f"Agent {i}", role=Role.AGENT, time_zone=tz)
                   for i, u in enumerate(usernames, 1)])
    for i, user in enumerate(User.objects.filter(username__in=usernames).order_by("username")):
        role = MembershipRole.LEAD if i == 0 else MembershipRole.MEMBER
        Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
        if i == 0 and team.lead_id is None:
            team.lead = user
            team.save(update_fields=["lead"])
    return team


@transaction.atomic
def seed(stdout) -> None:
    """Create or refresh the demo SLA configuration and say what was done."""
    manila = calendar_define(
        name="Manila business hours", time_zone="Asia/Manila", holiday_country="PH",
        hours=[(d, s, e) for d in WEEKDAYS for s, e in ((time(9), time(12)), (time(13), time(18)))],
    )
    dublin = calendar_define(
        name="Dublin business hours", time_zone="Europe/Dublin", holiday_country="IE",
        hours=[(d, time(9), time(17, 30)) for d in WEEKDAYS],
    )
    chicago = calendar_define(
        name="Chicago business hours", time_zone="America/Chicago", holiday_country="US", holiday_subdivision="IL",
        hours=[(d, time(8), time(17)) for d in WEEKDAYS],
    )
    always = calendar_define(name="24x7", always=True, time_zone="UTC")

    teams = [_team(*row) for row in SUN_TEAMS]
    chain, _ = FollowTheSunChain.objects.get_or_create(name="Global follow-the-sun")
    chain.links.all().delete()
    for position, team in enumerate(teams):
        ChainLink.objects.create(chain=chain, team=team, position=position)
        Shift.objects.filter(team=team).delete()
        Shift.objects.bulk_create([Shift(team=team, weekday=d, start=time(9), end=time(17)) for d in WEEKDAYS])

    policy_define(name="Enterprise P1/P2 around the clock", position=10, tiers=["enterprise"],
                  priorities=["P1", "P2"], chain=chain, breach_escalate=True, warning_thresholds=[50, 75, 90],
                  pause_states=["waiting_on_customer"], targets=_targets(ENTERPRISE, always))
    policy_define(name="Premium, Manila hours", position=20, tiers=["premium"],
                  targets=_targets(PREMIUM, manila))
    policy_define(name="Phone and chat, Chicago hours", position=30, channels=["phone", "chat"],
                  targets=_targets(PREMIUM, chicago))
    policy_define(name="Standard", position=1000, is_default=True, targets=_targets(STANDARD, dublin))
    stdout.write(
        f"SLA: 4 calendars, 4 policies (one 24x7), chain {' -> '.join(t.name for t in teams)} "
        f"with 09:00-17:00 local shifts\n"
    )
