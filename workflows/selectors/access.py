"""Which cases department members reach through the tasks routed to them."""

from __future__ import annotations

from django.db.models import Q

from tickets.models import team_ids


def case_ids_for_department_member(user):
    """Return a queryset of the ids of cases behind tasks for `user`'s departments, or None.

    A task counts when the user holds it or when one of their teams holds it now or held
    one of its stages. None means the user reaches no case this way.
    """
    from workflows.models import Task, TaskStage

    if not getattr(user, "is_authenticated", False) or not user.pk:
        return None
    teams = list(team_ids(user))
    by_stage = TaskStage.objects.filter(department_id__in=teams, entered_at__isnull=False).values("task_id") if teams else None
    cond = Q(assignee=user) | Q(department_id__in=teams)
    if by_stage is not None:
        cond |= Q(pk__in=by_stage)
    return Task.objects.filter(cond).values("case_id")
