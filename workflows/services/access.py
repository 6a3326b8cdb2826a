"""Department access to cases behind the tasks routed to them."""

from __future__ import annotations


def department_works_case(*, user, case) -> bool:
    """Tell whether `user` holds, or is in the department of, a task routed from `case`."""
    return False
