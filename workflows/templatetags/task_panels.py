"""The case page's side panel for tasks (with their routes) and problems.

The case page includes it with `{% load task_panels %}{% case_work_panel case %}` in its
`case_side` block.
"""

from django import template

from workflows.selectors.problems import case_problems
from workflows.selectors.tasks import case_tasks, task_route

register = template.Library()


@register.inclusion_tag("workflows/tasks/_case_panel.html", takes_context=True)
def case_work_panel(context, case):
    user = context["request"].user
    if not user.is_staff_member:
        return {"visible": False}
    tasks = [{"task": t, "route": task_route(t)} for t in case_tasks(user, case)]
    return {"visible": True, "case": case, "tasks": tasks, "problems": case_problems(user, case),
            "csrf_token": context.get("csrf_token"), "path": context["request"].path}
