"""Business calendars: 24x7 or weekly hours in a time zone, with public and custom holidays."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_registry
from django.core.exceptions import ValidationError
from django.db import models

from helpdesk import clock
from sla.business_time import MINUTES_PER_DAY, BusinessCalendar


class CalendarKind(models.TextChoices):
    ALWAYS = "24x7", "24x7"
    BUSINESS = "business", "Business hours"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def validate_time_zone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{value!r} is not an IANA time zone (for example Europe/Dublin).") from None


def interval_minutes(start: time, end: time) -> tuple[int, int]:
    """Return an interval as minutes after midnight; an end of 00:00 is the next midnight."""
    s = start.hour * 60 + start.minute
    e = end.hour * 60 + end.minute
    return s, (MINUTES_PER_DAY if e == 0 else e)


def interval_spans(weekday: int, start: time, end: time) -> list[tuple[int, int]]:
    """Return the interval as minute ranges of the week (Monday 00:00 = 0), split at week end."""
    s, e = interval_minutes(start, end)
    if e <= s:
        e += MINUTES_PER_DAY
    a, b = weekday * MINUTES_PER_DAY + s, weekday * MINUTES_PER_DAY + e
    week = 7 * MINUTES_PER_DAY
    if b <= week:
        return [(a, b)]
    return [(a, week), (0, b - week)]


def check_week_intervals(rows: list[tuple[int, time, time]]) -> list[str]:
    """Return readable problems with a weekly schedule: empty or overlapping intervals."""
    problems, spans = [], []
    for weekday, start, end in rows:
        label = f"{Weekday(weekday).label} {start:%H:%M}-{end:%H:%M}"
        if start == end and not (start == time(0)):
            problems.append(f"{label} is empty: the end must differ from the start.")
            continue
        spans += [(a, b, label) for a, b in interval_spans(weekday, start, end)]
    spans.sort()
    for (a1, b1, l1), (a2, b2, l2) in zip(spans, spans[1:]):
        if a2 < b1:
            problems.append(f"{l1} overlaps {l2}.")
    return problems


class Calendar(models.Model):
    """When SLA time runs: always, or the business hours of a place, minus its holidays."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=CalendarKind.choices, default=CalendarKind.BUSINESS)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone],
                                 help_text="IANA name, for example Asia/Manila.")
    holiday_country = models.CharField(max_length=3, blank=True,
                                       help_text="ISO 3166 code whose public holidays close the calendar (IE, PH, US).")
    holiday_subdivision = models.CharField(max_length=10, blank=True, help_text="State or province code, e.g. IL.")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.holiday_subdivision and not self.holiday_country:
            errors["holiday_subdivision"] = "A subdivision needs a holiday country."
        if self.holiday_country:
            try:
                holiday_registry.country_holidays(self.holiday_country.upper(),
                                                  subdiv=self.holiday_subdivision or None, years=2025)
            except NotImplementedError as exc:
                field = "holiday_subdivision" if "subdiv" in str(exc).lower() else "holiday_country"
                errors[field] = f"Unknown holiday calendar: {exc}"
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.updated_at = clock.now()
        super().save(*args, **kwargs)

    @property
    def is_always(self) -> bool:
        return self.kind == CalendarKind.ALWAYS

    def closed_dates(self, years: range) -> set[date]:
        """Return public holidays (for the country) and custom dates in `years`."""
        closed = {h.date for h in self.holidays.all() if h.date.year in years}
        if self.holiday_country:
            closed |= set(holiday_registry.country_holidays(
                self.holiday_country.upper(), subdiv=self.holiday_subdivision or None, years=list(years)
            ).keys())
        return closed

    def to_business(self, years: range) -> BusinessCalendar:
        """Return the pure calendar the arithmetic runs on, with the holidays of `years`."""
        if self.is_always:
            return BusinessCalendar.twenty_four_seven(self.time_zone)
        week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for iv in self.intervals.all():
            week[iv.weekday].append(interval_minutes(iv.start, iv.end))
        return BusinessCalendar(tz=self.time_zone, week=week, closed=self.closed_dates(years))


class BusinessInterval(models.Model):
    """Open hours on one weekday; an end at or before the start runs past midnight."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight; an end before the start continues the next day.")

    class Meta:
        ordering = ["calendar", "weekday", "start"]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class CustomHoliday(models.Model):
    """A date the calendar is closed besides the public holidays (a company day off)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="sla_custom_holiday_unique")]

    def __str__(self):
        return f"{self.date} {self.name}".strip()
