"""Business-time arithmetic: named cases across weekends, holidays, DST and midnight, plus properties."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla.business_time import (
    BusinessCalendar,
    CalendarClosed,
    add_business_seconds,
    business_seconds_between,
    is_open,
    next_open_end,
    open_ends_between,
)

H = 3600
NINE_TO_FIVE = [[(9 * 60, 17 * 60)]] * 5 + [[], []]


def at(tz, *args):
    return datetime(*args, tzinfo=ZoneInfo(tz))


def dublin(**kw):
    return BusinessCalendar(tz="Europe/Dublin", week=NINE_TO_FIVE, **kw)


def test_inside_hours_adds_plainly():
    cal = dublin()
    assert add_business_seconds(cal, at("Europe/Dublin", 2026, 3, 2, 10), 2 * H) == at("Europe/Dublin", 2026, 3, 2, 12)


def test_rolls_over_the_night():
    cal = dublin()
    assert add_business_seconds(cal, at("Europe/Dublin", 2026, 3, 2, 16), 2 * H) == at("Europe/Dublin", 2026, 3, 3, 10)


def test_friday_evening_rolls_over_the_weekend():
    cal = dublin()
    assert add_business_seconds(cal, at("Europe/Dublin", 2026, 3, 6, 16), 2 * H) == at("Europe/Dublin", 2026, 3, 9, 10)


def test_start_on_saturday_waits_for_monday():
    cal = dublin()
    assert add_business_seconds(cal, at("Europe/Dublin", 2026, 3, 7, 12), H) == at("Europe/Dublin", 2026, 3, 9, 10)


def test_holiday_is_skipped():
    # St Patrick's Day 2026 is a Tuesday.
    cal = dublin(closed={date(2026, 3, 17)})
    assert add_business_seconds(cal, at("Europe/Dublin", 2026, 3, 16, 16), 2 * H) == at("Europe/Dublin", 2026, 3, 18, 10)


def test_due_exactly_at_closing_time_stays_that_day():
    cal = dublin()
    assert add_business_seconds(cal, at("Europe/Dublin", 2026, 3, 2, 9), 8 * H) == at("Europe/Dublin", 2026, 3, 2, 17)


def test_spring_forward_weekend_keeps_local_hours():
    # Europe moves clocks forward on Sunday 29 March 2026: Friday 16:00 + 2h is Monday 10:00 local.
    cal = dublin()
    due = add_business_seconds(cal, at("Europe/Dublin", 2026, 3, 27, 16), 2 * H)
    assert due == at("Europe/Dublin", 2026, 3, 30, 10)
    assert due.astimezone(UTC).hour == 9  # IST is UTC+1 after the change


def test_night_interval_across_midnight_and_dst_fall_back():
    # 22:00-06:00 nights in Chicago; DST ends at 02:00 on Sunday 1 November 2026: that night is 9 hours.
    week = [[(22 * 60, 6 * 60)]] * 7
    cal = BusinessCalendar(tz="America/Chicago", week=week)
    start = at("America/Chicago", 2026, 10, 31, 22)
    assert business_seconds_between(cal, start, at("America/Chicago", 2026, 11, 1, 6)) == 9 * H
    assert add_business_seconds(cal, start, 9 * H) == at("America/Chicago", 2026, 11, 1, 6)
    assert add_business_seconds(cal, start, 10 * H) == at("America/Chicago", 2026, 11, 1, 23)


def test_several_intervals_a_day():
    week = [[(9 * 60, 12 * 60), (13 * 60, 17 * 60)]] * 5 + [[], []]
    cal = BusinessCalendar(tz="Asia/Manila", week=week)
    assert add_business_seconds(cal, at("Asia/Manila", 2026, 3, 2, 11), 2 * H) == at("Asia/Manila", 2026, 3, 2, 14)
    assert business_seconds_between(cal, at("Asia/Manila", 2026, 3, 2, 8), at("Asia/Manila", 2026, 3, 2, 18)) == 7 * H


def test_elapsed_over_a_weekend_counts_only_open_time():
    cal = dublin()
    assert business_seconds_between(cal, at("Europe/Dublin", 2026, 3, 6, 16), at("Europe/Dublin", 2026, 3, 9, 10)) == 2 * H


def test_twenty_four_seven_is_wall_time():
    cal = BusinessCalendar.twenty_four_seven("Asia/Manila")
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert add_business_seconds(cal, start, 30 * H) == start + timedelta(hours=30)
    assert business_seconds_between(cal, start, start + timedelta(hours=5)) == 5 * H


def test_a_calendar_closed_for_years_says_so():
    cal = BusinessCalendar(tz="UTC", week=[[] for _ in range(7)])
    with pytest.raises(CalendarClosed):
        add_business_seconds(cal, datetime(2026, 1, 1, tzinfo=UTC), 60)


def test_shift_helpers():
    cal = dublin()
    assert is_open(cal, at("Europe/Dublin", 2026, 3, 2, 9))
    assert not is_open(cal, at("Europe/Dublin", 2026, 3, 2, 17))
    assert next_open_end(cal, at("Europe/Dublin", 2026, 3, 2, 12)) == at("Europe/Dublin", 2026, 3, 2, 17)
    ends = open_ends_between(cal, at("Europe/Dublin", 2026, 3, 2, 0), at("Europe/Dublin", 2026, 3, 4, 0))
    assert ends == [at("Europe/Dublin", 2026, 3, 2, 17), at("Europe/Dublin", 2026, 3, 3, 17)]


# --- properties ----------------------------------------------------------------------

ZONES = ["Europe/Dublin", "Asia/Manila", "America/Chicago", "Australia/Lord_Howe", "UTC"]
interval = st.tuples(st.integers(0, 95), st.integers(1, 96)).map(lambda p: (p[0] * 15, ((p[0] + p[1]) * 15) % 1440 or 1440))
day = st.lists(interval, max_size=1).map(lambda ivs: [iv for iv in ivs if iv[0] != iv[1]])


@st.composite
def calendars(draw):
    week = draw(st.lists(day, min_size=7, max_size=7).filter(lambda w: any(w)))
    closed = draw(st.sets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=20))
    return BusinessCalendar(tz=draw(st.sampled_from(ZONES)), week=week, closed=closed)


instants = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31)).map(lambda d: d.replace(tzinfo=UTC))
durations = st.integers(0, 30 * 24 * 3600)


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, durations)
def test_elapsed_until_due_is_the_duration(cal, start, seconds):
    try:
        due = add_business_seconds(cal, start, seconds)
    except CalendarClosed:
        assume(False)
    assert due >= start
    assert abs(business_seconds_between(cal, start, due) - seconds) < 1e-3


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, durations, durations)
def test_due_time_is_additive_and_monotonic(cal, start, a, b):
    try:
        total = add_business_seconds(cal, start, a + b)
    except CalendarClosed:
        assume(False)  # a sparse calendar may not hold that much open time within the horizon
    first = add_business_seconds(cal, start, a)
    assert abs((add_business_seconds(cal, first, b) - add_business_seconds(cal, start, a + b)).total_seconds()) < 1e-3 \
        or b == 0
    assert total >= first


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, instants, instants)
def test_elapsed_is_additive_and_bounded_by_wall_time(cal, a, b, c):
    a, b, c = sorted([a, b, c])
    ab, bc, ac = (business_seconds_between(cal, x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert abs(ab + bc - ac) < 1e-3
    assert 0 <= ac <= (c - a).total_seconds() + 1e-6
