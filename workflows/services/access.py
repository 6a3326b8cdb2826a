"""Department access to cases behind the tasks routed to them and the problems they own."""

from __future__ import annotations

from django.db.models import Q

from tickets.models import team_ids


def department_works_case(*, user, case) -> bool:
    """Tell whether `user` may write on `case` as a department.

    True when they hold, or are in the department of, a task routed from the case (at
    its current or any earlier stage), or own or are in the department owning a problem
    linked to the case (the fix's public reply is written in their name).
    """
    from workflows.models import ProblemLink, Task

    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return False
    teams = list(team_ids(user))
    if ProblemLink.objects.filter(Q(problem__owner=user) | Q(problem__department_id__in=teams), case=case).exists():
        return True
    task_cond = Q(assignee=user) | Q(department_id__in=teams) | Q(stages__department_id__in=teams, stages__entered_at__isnull=False)
    return Task.objects.filter(task_cond, case=case).exists()
