"""Escalation paths: which tier a case goes to when it is escalated or de-escalated."""

from __future__ import annotations


def case_follow_escalation_path(*, case, actor, direction: int, reason: str) -> list:
    """Move the case to the next (+1) or previous (-1) tier; return the events written."""
    return []
