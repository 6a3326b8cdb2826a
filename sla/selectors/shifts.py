"""Who is on shift: read by assignment so nobody off shift is given work."""

from __future__ import annotations


def off_shift_user_ids(*, team, at) -> set[int]:
    """Return the ids of `team`'s members who are off shift at instant `at`.

    A team without shifts has everyone on duty.
    """
    return set()
