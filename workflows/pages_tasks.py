"""Pages for department members, agents and managers: queue, task, problems, stall report.

Views are thin: they read through the selectors and write through the services; a
refused change comes back as a message on the same page.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path

from helpdesk.errors import DomainError, NotFound
from tickets import selectors as case_selectors
from tickets.models import team_ids
from workflows.models import RouteTemplate, Team, TeamKind
from workflows.models.tasks import TASK_TRANSITION_LABELS
from workflows.selectors import problems as problem_selectors
from workflows.selectors import tasks as selectors
from workflows.selectors.tasks_report import stage_stalls
from workflows.services import problems as problem_services
from workflows.services import tasks as task_services


def staff_page(view):
    """Sign-in required; customers and anything a selector hides get a 404."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff_member:
            raise Http404("No such page.")
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapper


def _attempt(request, action, success: str) -> bool:
    try:
        action()
    except NotFound:
        raise
    except DomainError as exc:
        fields = exc.extra.get("fields") or {}
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        messages.error(request, f"{exc.message} {detail}".strip())
        return False
    messages.success(request, success)
    return True


@staff_page
def department_queue_page(request):
    user = request.user
    departments = Team.objects.filter(is_active=True)
    if not user.is_manager_role:
        departments = departments.filter(pk__in=list(team_ids(user)))
    departments = list(departments.filter(kind=TeamKind.DEPARTMENT) or departments)
    chosen = request.GET.get("department")
    team = next((d for d in departments if str(d.pk) == chosen), departments[0] if departments else None)
    board = selectors.department_board(team=team) if team else None
    if team is not None:
        selectors.department_queue(user, team=team)  # 404 for a department the user may not see
    mine = list(selectors.task_list(user).filter(assignee=user, state__in=["open", "accepted", "in_progress", "blocked"])[:50])
    return render(request, "workflows/tasks/queue.html",
                  {"departments": departments, "team": team, "board": board, "mine": mine})


@staff_page
def task_page(request, reference: str):
    task = selectors.task_get(request.user, reference)
    if request.method == "POST":
        if "body" in request.POST:
            _attempt(request, lambda: task_services.task_comment_add(task=task, author=request.user,
                                                                     body=request.POST.get("body", "")), "Comment added.")
        else:
            name = request.POST.get("transition", "")
            _attempt(request, lambda: task_services.task_transition(task=task, name=name, actor=request.user,
                                                                    reason=request.POST.get("reason", "")),
                     f"{TASK_TRANSITION_LABELS.get(name, name)}: done.")
        return redirect("tasks-page", reference=task.reference)
    allowed = [(n, TASK_TRANSITION_LABELS[n]) for n in task_services.task_transitions_for(task, request.user)]
    return render(request, "workflows/tasks/task.html", {
        "task": task, "route": selectors.task_route(task), "allowed": allowed,
        "summary": selectors.task_case_summary(request.user, task), "comments": selectors.task_comments(task),
    })


@staff_page
def task_new_page(request, reference: str):
    case = case_selectors.case_get(request.user, reference)
    if request.method == "POST":
        department = Team.objects.filter(pk=request.POST.get("department") or 0, is_active=True).first()
        route = RouteTemplate.objects.filter(pk=request.POST.get("route_template") or 0, is_active=True).first()
        created = {}

        def create():
            if department is None and route is None:
                from helpdesk.errors import InvalidInput

                raise InvalidInput("Choose a department or a route.", fields={"department": ["Required."]})
            created["task"] = task_services.task_create(
                case=case, department=department or route.stages.first().department, title=request.POST.get("title", ""),
                description=request.POST.get("description", ""), route_template=route, actor=request.user,
                blocking=request.POST.get("blocking") == "on")

        if _attempt(request, create, "Task routed."):
            return redirect("tasks-page", reference=created["task"].reference)
    return render(request, "workflows/tasks/new.html", {
        "case": case, "departments": Team.objects.filter(is_active=True),
        "routes": RouteTemplate.objects.filter(is_active=True).prefetch_related("stages__department"),
    })


@staff_page
def problem_list_page(request):
    problems = problem_selectors.problems_visible_to(request.user)
    if request.GET.get("status"):
        problems = problems.filter(state=request.GET["status"])
    if request.method == "POST":
        created = {}
        if _attempt(request, lambda: created.setdefault("p", problem_services.problem_create(
                title=request.POST.get("title", ""), summary=request.POST.get("summary", ""),
                keywords=request.POST.get("keywords", ""), actor=request.user,
                department=Team.objects.filter(pk=request.POST.get("department") or 0).first())), "Problem recorded."):
            return redirect("problems-page", reference=created["p"].reference)
    return render(request, "workflows/problems/list.html",
                  {"problems": problems[:200], "departments": Team.objects.filter(kind=TeamKind.DEPARTMENT)})


@staff_page
def problem_page(request, reference: str):
    problem = problem_selectors.problem_get(request.user, reference)
    if request.method == "POST":
        op, post = request.POST.get("op"), request.POST

        def case():
            return case_selectors.case_get(request.user, post.get("case", ""))

        actions = {
            "link": (lambda: problem_services.problem_link(problem=problem, case=case(), actor=request.user), "Case linked."),
            "unlink": (lambda: problem_services.problem_unlink(problem=problem, case=case(), actor=request.user), "Case unlinked."),
            "send": (lambda: problem_services.problem_workaround_send(problem=problem, case=case(), actor=request.user),
                     "Workaround sent."),
            "workaround": (lambda: problem_services.problem_workaround_set(problem=problem, actor=request.user,
                                                                           workaround=post.get("workaround", "")),
                           "Workaround recorded."),
            "fix": (lambda: problem_services.problem_fix(problem=problem, actor=request.user,
                                                         resolution=post.get("resolution", "")),
                    "Marked fixed: linked cases are being resolved in the background."),
            "close": (lambda: problem_services.problem_close(problem=problem, actor=request.user), "Problem closed."),
        }
        if op in actions:
            _attempt(request, *actions[op])
        back = post.get("next", "")
        # Only our own desk pages: a posted "next" must not send anyone elsewhere.
        return redirect(back if back.startswith("/desk/") and "//" not in back else f"/desk/problems/{problem.reference}/")
    return render(request, "workflows/problems/detail.html", {
        "problem": problem, "links": problem_selectors.problem_links(request.user, problem),
        "candidates": problem_selectors.problem_candidate_cases(request.user, problem),
        "progress": problem_selectors.problem_fix_progress(problem),
        "may_manage": problem_services.may_manage_problem(request.user, problem),
    })


@staff_page
def stall_report_page(request):
    if not request.user.is_manager_role:
        raise Http404("No such report.")
    template = RouteTemplate.objects.filter(pk=request.GET.get("route") or 0).first()
    department = Team.objects.filter(pk=request.GET.get("department") or 0).first()
    return render(request, "workflows/tasks/stalls.html", {
        "report": stage_stalls(template=template, department=department, longest=20),
        "routes": RouteTemplate.objects.all(), "departments": Team.objects.filter(kind=TeamKind.DEPARTMENT),
        "route": template, "department": department,
    })


urlpatterns = [
    path("tasks/", department_queue_page, name="tasks-queue"),
    path("tasks/<str:reference>/", task_page, name="tasks-page"),
    path("cases/<str:reference>/tasks/new/", task_new_page, name="tasks-new"),
    path("problems/", problem_list_page, name="problems-list"),
    path("problems/<str:reference>/", problem_page, name="problems-page"),
    path("reports/task-stalls/", stall_report_page, name="tasks-stalls"),
]
