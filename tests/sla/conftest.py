"""SLA fixtures: calendars, a default policy and an enterprise 24x7 policy."""

from datetime import time

import pytest

from sla.models import TargetKind
from sla.services.policies import calendar_define, policy_define
from tickets.models import Priority
from workflows.models import Strategy

WEEKDAYS_9_TO_5 = [(d, time(9), time(17)) for d in range(5)]


@pytest.fixture
def always_calendar(db):
    return calendar_define(name="24x7 UTC", always=True, time_zone="UTC")


@pytest.fixture
def dublin_calendar(db):
    return calendar_define(name="Dublin office", time_zone="Europe/Dublin", hours=WEEKDAYS_9_TO_5,
                           holiday_country="IE")


def targets(calendar, *, first=60, next_=120, resolution=480, priorities=Priority.values):
    rows = []
    for p in priorities:
        rows += [(p, TargetKind.FIRST_RESPONSE, first, calendar), (p, TargetKind.NEXT_RESPONSE, next_, calendar),
                 (p, TargetKind.RESOLUTION, resolution, calendar)]
    return rows


@pytest.fixture
def default_policy(always_calendar):
    """Every case: first response 1 h, next response 2 h, resolution 8 h, on a 24x7 calendar."""
    return policy_define(name="Standard", is_default=True, position=1000, targets=targets(always_calendar))


@pytest.fixture
def business_policy(dublin_calendar):
    return policy_define(name="Business hours", is_default=True, position=1000, targets=targets(dublin_calendar))


def picking_team(team):
    """Make `team` pick owners by load (teams assign by hand by default)."""
    team.assignment_strategy = Strategy.LEAST_LOADED
    team.save()
    return team
