"""SLA clocks of a case: started, paused, resumed, met and breached as the case changes."""

from __future__ import annotations


def clocks_react(*, case, events) -> list:
    """Update the case's clocks after `events`; return the SLA events written."""
    return []
