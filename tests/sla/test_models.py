"""Configuration is refused with a clear message when it cannot work; holidays come from the package."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine

from helpdesk.errors import InvalidInput
from sla.models import Clock, TargetKind
from sla.services.policies import calendar_define, policy_define
from tests.sla.conftest import WEEKDAYS_9_TO_5, targets
from tickets.services.cases import case_create


@pytest.mark.parametrize("kwargs, message", [
    ({"time_zone": "Mars/Olympus"}, "not an IANA time zone"),
    ({"holiday_country": "XX"}, "Unknown holiday calendar"),
    ({"holiday_country": "US", "holiday_subdivision": "ZZ"}, "Unknown holiday calendar"),
    ({"hours": [(0, time(9), time(12)), (0, time(11), time(14))]}, "overlaps"),
    ({"hours": [(2, time(9), time(9))]}, "is empty"),
    ({"hours": [(6, time(22), time(6)), (0, time(5), time(9))]}, "overlaps"),  # Sunday night runs into Monday
    ({"hours": []}, "at least one interval"),
])
def test_bad_calendars_are_refused(db, kwargs, message):
    kwargs.setdefault("hours", WEEKDAYS_9_TO_5)
    with pytest.raises(InvalidInput) as exc:
        calendar_define(name="Bad", **kwargs)
    assert message in exc.value.message


@pytest.mark.parametrize("kwargs, field, message", [
    ({"warning_thresholds": [0, 50]}, "warning_thresholds", "between 0 and 100"),
    ({"warning_thresholds": [75, 100]}, "warning_thresholds", "between 0 and 100"),
    ({"warning_thresholds": ["x"]}, "warning_thresholds", "list of percentages"),
    ({"priorities": ["P9"]}, "priorities", "Unknown priorities: P9"),
    ({"tiers": ["gold"]}, "tiers", "Unknown tiers"),
    ({"pause_states": ["resolved"]}, "pause_states", "Unknown pause states"),
])
def test_bad_policies_are_refused(always_calendar, kwargs, field, message):
    with pytest.raises(InvalidInput) as exc:
        policy_define(name="Bad", targets=targets(always_calendar), **kwargs)
    assert message in " ".join(exc.value.extra["fields"][field])


@pytest.mark.parametrize("minutes", [0, -5])
def test_targets_must_have_a_length(always_calendar, minutes):
    with pytest.raises(InvalidInput) as exc:
        policy_define(name="Zero", targets=[("P1", TargetKind.RESOLUTION, minutes, always_calendar)])
    assert "longer than zero" in exc.value.message


def test_public_holidays_from_the_package_and_custom_dates_close_the_calendar(customer):
    # 17 March is St Patrick's Day in Ireland; 19 March is a company day off.
    calendar = calendar_define(name="Dublin", time_zone="Europe/Dublin", hours=WEEKDAYS_9_TO_5,
                               holiday_country="IE", custom_holidays=[(date(2026, 3, 19), "Offsite")])
    policy_define(name="Office hours", is_default=True, targets=targets(calendar, resolution=16 * 60))
    with time_machine.travel(datetime(2026, 3, 16, 16, tzinfo=UTC), tick=False):
        case = case_create(requester=customer, subject="Paperwork")
    resolution = Clock.objects.get(case=case, kind=TargetKind.RESOLUTION)
    # Monday 1 h, Tuesday holiday, Wednesday 8 h, Thursday off, Friday 7 h.
    assert resolution.due_at == datetime(2026, 3, 20, 16, tzinfo=UTC)


def test_overlapping_shifts_are_refused(support_team):
    from django.core.exceptions import ValidationError

    from sla.models import Shift

    Shift.objects.create(team=support_team, weekday=0, start=time(22), end=time(6))
    with pytest.raises(ValidationError) as exc:
        Shift(team=support_team, weekday=1, start=time(5), end=time(13)).full_clean()
    assert "overlaps" in str(exc.value)
