"""Business-time arithmetic: pure functions of a calendar and instants (no ORM, no clock).

A calendar is a time zone, a weekly schedule of open intervals per weekday and a set of
closed dates. An interval whose end is not after its start runs past midnight into the
next day; it belongs to the day it starts on (a holiday closes the intervals that start
on it). Local times are turned into instants with `zoneinfo`, so a working day that
contains a DST change is as long as the wall clock says: a 09:00-17:00 day is 8 hours on
both sides of the change, and a 22:00-06:00 night is 7 or 9 hours on the change night.

Instants are aware datetimes; inside, they are POSIX timestamps (float seconds) because
the sweeps and the benchmark compute many due times per second.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86400
MINUTES_PER_DAY = 1440
# Searching further than this for open time means the calendar is (nearly) always closed.
MAX_SEARCH_DAYS = 3 * 366


class CalendarClosed(ValueError):
    """The calendar has no open time within the search horizon."""


class BusinessCalendar:
    """A weekly schedule in a time zone, minus closed dates; `always` means 24x7.

    `week` has seven entries (Monday first), each a sequence of (start, end) minutes
    after local midnight; `end <= start` means the interval ends on the next day, and an
    end of 1440 is the next midnight.
    """

    __slots__ = ("tz_name", "tz", "week", "closed", "always", "_days")

    def __init__(self, *, tz: str = "UTC", week: Iterable[Iterable[tuple[int, int]]] = (),
                 closed: Iterable[date] = (), always: bool = False):
        self.tz_name = tz
        self.tz = ZoneInfo(tz)
        self.always = always
        week = [tuple(sorted((int(s), int(e)) for s, e in day)) for day in week] if not always else []
        if not always and len(week) != 7:
            raise ValueError("a business week needs seven days (Monday first)")
        self.week = tuple(week)
        self.closed = frozenset(closed)
        self._days: dict[date, tuple[tuple[float, float], ...]] = {}

    def __repr__(self):
        return f"BusinessCalendar(tz={self.tz_name!r}, week={self.week!r}, closed={sorted(self.closed)!r}, always={self.always})"

    @classmethod
    def twenty_four_seven(cls, tz: str = "UTC") -> "BusinessCalendar":
        return cls(tz=tz, always=True)

    def day_intervals(self, day: date) -> tuple[tuple[float, float], ...]:
        """Return the open intervals starting on local `day` as sorted (start, end) timestamps."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        out = []
        if self.always:
            start = datetime(day.year, day.month, day.day, tzinfo=self.tz).timestamp()
            nxt = day + timedelta(days=1)
            out.append((start, datetime(nxt.year, nxt.month, nxt.day, tzinfo=self.tz).timestamp()))
        elif day not in self.closed:
            for s, e in self.week[day.weekday()]:
                end_day = day if 0 < e and e > s and e < MINUTES_PER_DAY else day + timedelta(days=1)
                e_min = 0 if e == MINUTES_PER_DAY else e
                a = datetime(day.year, day.month, day.day, s // 60, s % 60, tzinfo=self.tz).timestamp()
                b = datetime(end_day.year, end_day.month, end_day.day, e_min // 60, e_min % 60,
                             tzinfo=self.tz).timestamp()
                if b > a:
                    out.append((a, b))
        result = tuple(out)
        if len(self._days) > 20000:  # bound the memo for long-running workers
            self._days.clear()
        self._days[day] = result
        return result

    def _local_date(self, ts: float) -> date:
        return datetime.fromtimestamp(ts, self.tz).date()

    def _intervals_from(self, ts: float) -> Iterator[tuple[float, float]]:
        """Yield open intervals (clipped, non-overlapping, in order) that end after `ts`."""
        # An interval that started yesterday may still be open now.
        day = self._local_date(ts) - timedelta(days=1)
        cursor = ts
        for _ in range(MAX_SEARCH_DAYS):
            for a, b in self.day_intervals(day):
                if b <= cursor:
                    continue
                a = max(a, cursor)
                yield a, b
                cursor = b
            day += timedelta(days=1)


def _ts(at: datetime) -> float:
    if at.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return at.timestamp()


def _instant(ts: float) -> datetime:
    return datetime.fromtimestamp(round(ts, 6), UTC)


def add_business_seconds(calendar: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """Return the instant at which `seconds` of open time have passed since `start`.

    Time before the first open instant does not count: a 1-hour target started on
    Saturday on a Monday-Friday calendar is due one hour after Monday opens. Zero
    seconds returns `start` itself.
    """
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    if seconds == 0:
        return start
    if calendar.always:
        return start + timedelta(seconds=seconds)
    remaining = float(seconds)
    for a, b in calendar._intervals_from(_ts(start)):
        span = b - a
        if remaining <= span:
            return _instant(a + remaining)
        remaining -= span
    raise CalendarClosed("the calendar has no open time within three years")


def business_seconds_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Return the open time, in seconds, between two instants (0 when `end` is not after `start`)."""
    a0, b0 = _ts(start), _ts(end)
    if b0 <= a0:
        return 0.0
    if calendar.always:
        return b0 - a0
    total = 0.0
    # Walk day by day without the search cap: a long span is simply long.
    day = calendar._local_date(a0) - timedelta(days=1)
    last = calendar._local_date(b0)
    cursor = a0
    while day <= last:
        for a, b in calendar.day_intervals(day):
            if b <= cursor:
                continue
            a = max(a, cursor)
            if a >= b0:
                break
            total += min(b, b0) - a
            cursor = b
        day += timedelta(days=1)
    return total


def is_open(calendar: BusinessCalendar, at: datetime) -> bool:
    """Tell whether `at` falls inside an open interval (start included, end excluded)."""
    if calendar.always:
        return True
    ts = _ts(at)
    day = calendar._local_date(ts)
    for d in (day - timedelta(days=1), day):
        for a, b in calendar.day_intervals(d):
            if a <= ts < b:
                return True
    return False


def next_open_end(calendar: BusinessCalendar, at: datetime) -> datetime | None:
    """Return the end of the open stretch that contains or follows `at` (None for 24x7).

    Touching intervals (17:00-24:00 then 00:00-08:00) count as one stretch.
    """
    if calendar.always:
        return None
    end = None
    for a, b in calendar._intervals_from(_ts(at)):
        if end is not None and a > end:
            break
        end = b
    return _instant(end) if end is not None else None


def open_ends_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> list[datetime]:
    """Return the instants in (start, end] at which an open stretch ends (shift ends)."""
    if calendar.always:
        return []
    a0, b0 = _ts(start), _ts(end)
    out: list[float] = []
    day = calendar._local_date(a0) - timedelta(days=1)
    stretches: list[list[float]] = []
    while day <= calendar._local_date(b0) + timedelta(days=1):
        for a, b in calendar.day_intervals(day):
            if stretches and a <= stretches[-1][1]:
                stretches[-1][1] = max(stretches[-1][1], b)
            else:
                stretches.append([a, b])
        day += timedelta(days=1)
    for _, b in stretches:
        if a0 < b <= b0:
            out.append(b)
    return [_instant(b) for b in out]


def closed_seconds_in(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Return the time between two instants that falls outside the calendar's open hours."""
    return max(0.0, (_ts(end) - _ts(start)) - business_seconds_between(calendar, start, end))
