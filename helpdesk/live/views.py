"""The board pages and the JSON each board (re)loads from; thin: access and snapshots decide."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from . import access, snapshots


def _page(request, template: str, *, board: str, key: str, data_url: str, title: str):
    return render(request, template, {
        "board": board, "key": key, "data_url": data_url, "title": title,
        "wallboard": request.GET.get("wallboard") == "1",
    })


@login_required
def team_board(request, slug):
    """Show a team's open cases by state and priority, live."""
    team = access.board_team(request.user, slug)
    if team is None:
        raise Http404("No such board.")
    return _page(request, "live/team_board.html", board="team", key=team.slug, title=f"{team.name} board",
                 data_url=reverse("live:team-data", args=[team.slug]))


@login_required
def team_board_data(request, slug):
    team = access.board_team(request.user, slug)
    if team is None:
        raise Http404("No such board.")
    return JsonResponse(snapshots.team_snapshot(team))


@login_required
def sla_board(request):
    """Show SLA compliance, at-risk cases, breaches and shifts for the manager's teams, live."""
    if access.sla_board_teams(request.user) is None:
        raise Http404("No such board.")
    return _page(request, "live/sla_board.html", board="sla", key="", title="SLA board",
                 data_url=reverse("live:sla-data"))


@login_required
def sla_board_data(request):
    teams = access.sla_board_teams(request.user)
    if teams is None:
        raise Http404("No such board.")
    return JsonResponse(snapshots.sla_snapshot(teams))


@login_required
def department_board(request, slug):
    """Show a department's routed tasks by route stage, live."""
    team = access.board_department(request.user, slug)
    if team is None:
        raise Http404("No such board.")
    return _page(request, "live/department_board.html", board="department", key=team.slug,
                 title=f"{team.name} tasks", data_url=reverse("live:department-data", args=[team.slug]))


@login_required
def department_board_data(request, slug):
    team = access.board_department(request.user, slug)
    if team is None:
        raise Http404("No such board.")
    return JsonResponse(snapshots.department_snapshot(team))
