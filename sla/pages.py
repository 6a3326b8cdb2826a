"""Manager pages of the SLA engine: the follow-the-sun coverage of 24x7 policies."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from helpdesk import clock
from sla.selectors.coverage import coverage_report
from sla.selectors.shifts import next_handover, on_shift_now, team_on_duty


@login_required
def coverage(request):
    """Show each 24x7 policy's uncovered hours this week and who is on shift now (managers only)."""
    if not request.user.is_manager_role:
        raise Http404("Not found.")
    from workflows.models import Team

    now = clock.now()
    teams = [{"team": t, "on_duty": team_on_duty(team=t, at=now), "on_shift": on_shift_now(team=t, at=now),
              "next_handover": next_handover(team=t, at=now)} for t in Team.objects.filter(is_active=True)]
    return render(request, "sla/coverage.html", {"report": coverage_report(at=now), "teams": teams, "now": now})


urlpatterns = [path("coverage/", coverage, name="sla-coverage-page")]
