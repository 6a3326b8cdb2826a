from sla.models.calendars import BusinessInterval, Calendar, CalendarKind, CustomHoliday, Weekday
from sla.models.clocks import Clock, ClockState
from sla.models.policies import PAUSABLE_STATES, Policy, Target, TargetKind
from sla.models.shifts import ChainLink, FollowTheSunChain, HandoverRun, Shift

__all__ = [
    "BusinessInterval", "Calendar", "CalendarKind", "ChainLink", "Clock", "ClockState", "CustomHoliday",
    "FollowTheSunChain", "HandoverRun", "PAUSABLE_STATES", "Policy", "Shift", "Target", "TargetKind", "Weekday",
]
