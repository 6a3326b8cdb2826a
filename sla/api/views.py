"""SLA API: a case's clocks, compliance, cases at risk, breaches, coverage and who is on shift."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk import clock
from helpdesk.errors import InvalidInput, NotFound
from sla.api import serializers as s
from sla.selectors import clocks as clock_selectors
from sla.selectors import reports
from sla.selectors.coverage import coverage_report
from sla.selectors.shifts import next_handover, on_shift_now, team_on_duty
from tickets import selectors as case_selectors
from tickets.api.serializers import ErrorSerializer
from tickets.models import team_ids

NOT_FOUND = {404: OpenApiResponse(response=ErrorSerializer, description="No such case or team, or one the caller may not see.")}
BAD = {400: OpenApiResponse(response=ErrorSerializer, description="Invalid query; `fields` maps each parameter to its errors.")}
REFERENCE = OpenApiParameter("reference", str, OpenApiParameter.PATH,
                             description="The case reference (`CS-000123`) or its number.")


def _query(serializer_class, data) -> dict:
    ser = serializer_class(data=data)
    if not ser.is_valid():
        raise InvalidInput("Invalid query.", fields={k: [str(m) for m in v] for k, v in ser.errors.items()})
    return ser.validated_data


def reporting_teams(user, team_id: int | None):
    """Return the teams whose SLA figures `user` may read (None for all), narrowed to `team_id`.

    Managers and admins read every team; agents their own teams; anyone else nothing (404).
    """
    from workflows.models import Team

    if not user.is_staff_member:
        raise NotFound("Not found.")
    if user.is_manager_role:
        allowed = None
    else:
        allowed = set(team_ids(user))
    if team_id is not None:
        if allowed is not None and team_id not in allowed:
            raise NotFound("No such team.")
        return list(Team.objects.filter(pk=team_id)) or _missing()
    if allowed is None:
        return None
    return list(Team.objects.filter(pk__in=allowed))


def _missing():
    raise NotFound("No such team.")


class CaseClocksView(APIView):
    @extend_schema(summary="The SLA clocks of a case, with remaining business time", parameters=[REFERENCE],
                   responses={200: s.ClockSerializer(many=True), **NOT_FOUND})
    def get(self, request, reference):
        case = case_selectors.case_get(request.user, reference)
        if not request.user.is_staff_member:
            raise NotFound("No such case.")
        return Response(s.ClockSerializer(clock_selectors.case_clocks(case), many=True).data)


class ComplianceView(APIView):
    @extend_schema(summary="SLA compliance per team, policy, priority and target over a period",
                   parameters=[s.ComplianceQuerySerializer], responses={200: s.ComplianceRowSerializer(many=True), **BAD, **NOT_FOUND})
    def get(self, request):
        q = _query(s.ComplianceQuerySerializer, request.query_params)
        teams = reporting_teams(request.user, q.get("team"))
        group_by = tuple(q.get("group_by") or s.GROUP_CHOICES)
        rows = reports.compliance(teams=teams, since=q["since"], until=q["until"], group_by=group_by)
        return Response(s.ComplianceRowSerializer(rows, many=True).data)


class AtRiskView(APIView):
    @extend_schema(summary="Running clocks, the least time left first", parameters=[s.TeamQuerySerializer],
                   responses={200: s.AtRiskSerializer(many=True), **BAD, **NOT_FOUND})
    def get(self, request):
        q = _query(s.TeamQuerySerializer, request.query_params)
        teams = reporting_teams(request.user, q.get("team"))
        rows = reports.at_risk(teams=teams, now=clock.now(), limit=q["limit"])
        return Response(s.AtRiskSerializer(rows, many=True).data)


class BreachesView(APIView):
    @extend_schema(summary="Breaches as they happen (pass after_id to follow the feed)",
                   parameters=[s.TeamQuerySerializer], responses={200: s.BreachSerializer(many=True), **BAD, **NOT_FOUND})
    def get(self, request):
        q = _query(s.TeamQuerySerializer, request.query_params)
        teams = reporting_teams(request.user, q.get("team"))
        rows = reports.breaches(teams=teams, since=q.get("since"), after_id=q.get("after_id"), limit=q["limit"])
        return Response(s.BreachSerializer(rows, many=True).data)


class CoverageView(APIView):
    @extend_schema(summary="Hours of this week when a 24x7 policy has nobody on duty (managers)",
                   responses={200: s.CoverageSerializer(many=True), **NOT_FOUND})
    def get(self, request):
        if not request.user.is_manager_role:
            raise NotFound("Not found.")
        return Response(s.CoverageSerializer(coverage_report(at=clock.now()), many=True).data)


class ShiftsView(APIView):
    @extend_schema(summary="Who is on shift now and when each team hands over",
                   parameters=[OpenApiParameter("team", int, required=False, description="Only this team.")],
                   responses={200: s.ShiftStatusSerializer(many=True), **NOT_FOUND})
    def get(self, request):
        from workflows.models import Team

        q = _query(s.TeamQuerySerializer, request.query_params)
        teams = reporting_teams(request.user, q.get("team"))
        teams = teams if teams is not None else list(Team.objects.filter(is_active=True))
        now = clock.now()
        rows = [{
            "team": t.name, "team_id": t.pk, "time_zone": t.time_zone, "on_duty": team_on_duty(team=t, at=now),
            "on_shift": [str(u) for u in on_shift_now(team=t, at=now)], "next_handover": next_handover(team=t, at=now),
        } for t in teams]
        return Response(s.ShiftStatusSerializer(rows, many=True).data)
