"""Task API: the department queue, task detail with its route, transitions, comments, routes, stall report."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.errors import NotFound
from tickets import selectors as case_selectors
from workflows.api import tasks_serializers as s
from workflows.models import RouteTemplate, Team
from workflows.selectors import tasks as selectors
from workflows.selectors.tasks_report import stage_stalls
from workflows.services import routes as route_services
from workflows.services import tasks as task_services

ERRORS = {
    400: OpenApiResponse(description="Invalid input; `fields` maps each field to its errors."),
    404: OpenApiResponse(description="No such task, or one the caller may not see."),
}
CONFLICT = {409: OpenApiResponse(description="Illegal or concurrent transition; the body has `state` and `allowed_transitions`.")}


@extend_schema_view(
    list=extend_schema(summary="Tasks you may see", parameters=[
        OpenApiParameter("department", int, description="Only tasks this department holds now"),
        OpenApiParameter("state", str, description="open, accepted, in_progress, blocked, done, rejected"),
        OpenApiParameter("case", str, description="Only tasks of this case (reference)"),
        OpenApiParameter("mine", bool, description="Only tasks you hold"),
    ]),
    retrieve=extend_schema(summary="A task with its route and allowed transitions", responses={200: s.TaskDetailSerializer, **ERRORS}),
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z]{2}-\d{1,12}|\d{1,12}"
    filter_backends = []

    def get_queryset(self):
        qs = selectors.task_list(self.request.user)
        params = self.request.query_params
        if params.get("department", "").isdigit():
            qs = qs.filter(department_id=int(params["department"]))
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        if params.get("case"):
            qs = qs.filter(case_id=case_selectors.case_get(self.request.user, params["case"]).pk)
        if params.get("mine") in ("1", "true"):
            qs = qs.filter(assignee=self.request.user)
        return qs

    def get_serializer_class(self):
        return s.TaskDetailSerializer if self.action != "list" else s.TaskSerializer

    def get_object(self):
        return selectors.task_get(self.request.user, self.kwargs["reference"])

    @extend_schema(summary="Route a task from a case to a department", request=s.TaskCreateInputSerializer,
                   responses={201: s.TaskDetailSerializer, **ERRORS, **CONFLICT})
    def create(self, request):
        data = _valid(s.TaskCreateInputSerializer, request.data)
        case = case_selectors.case_get(request.user, data.pop("case"))
        task = task_services.task_create(case=case, actor=request.user, **data)
        return Response(s.TaskDetailSerializer(selectors.task_get(request.user, task.pk), context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Apply a task transition", request=s.TaskTransitionInputSerializer,
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH,
                                     description="accept, start, block, resume, advance, complete, reject")],
        responses={200: s.TaskDetailSerializer, 403: OpenApiResponse(description="Not your department's task"),
                   **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]{1,40})")
    def transition(self, request, reference=None, name=None):
        task = self.get_object()
        data = _valid(s.TaskTransitionInputSerializer, request.data)
        task_services.task_transition(task=task, name=name, actor=request.user, reason=data["reason"],
                                      expected_version=data.get("expected_version"))
        return Response(s.TaskDetailSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(methods=["get"], summary="The task's comments", responses={200: s.TaskCommentSerializer(many=True), **ERRORS})
    @extend_schema(methods=["post"], summary="Comment on the task (read by its departments and the case's agents)",
                   request=s.TaskCommentInputSerializer, responses={201: s.TaskCommentSerializer, **ERRORS})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, reference=None):
        task = self.get_object()
        if request.method == "GET":
            return Response(s.TaskCommentSerializer(selectors.task_comments(task), many=True).data)
        data = _valid(s.TaskCommentInputSerializer, request.data)
        comment = task_services.task_comment_add(task=task, author=request.user, body=data["body"])
        return Response(s.TaskCommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class RouteTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = RouteTemplate.objects.none()  # typed path parameters in the schema
    serializer_class = s.RouteTemplateSerializer
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        if not self.request.user.is_staff_member:
            return RouteTemplate.objects.none()
        return RouteTemplate.objects.prefetch_related("stages__department")

    @extend_schema(summary="Create a route template (managers)", request=s.RouteTemplateInputSerializer,
                   responses={201: s.RouteTemplateSerializer, **ERRORS})
    def create(self, request):
        if not request.user.is_manager_role:
            raise NotFound("No such page.")
        data = _valid(s.RouteTemplateInputSerializer, request.data)
        template = route_services.route_template_create(
            name=data["name"], description=data["description"], actor=request.user,
            stages=[dict(stage) for stage in data["stages"]],
        )
        return Response(s.RouteTemplateSerializer(self.get_queryset().get(pk=template.pk)).data, status=status.HTTP_201_CREATED)


class DepartmentQueueView(APIView):
    @extend_schema(summary="A department's open tasks grouped by route stage, with time in stage",
                   responses={200: OpenApiResponse(description="{team, columns: [{stage, tasks}], total}"), **ERRORS})
    def get(self, request, team_id: int):
        team = get_object_or_404(Team, pk=team_id)
        selectors.department_queue(request.user, team=team)  # 404 for outsiders
        return Response(selectors.department_board(team=team))


class StallReportView(APIView):
    @extend_schema(summary="Where routes stall: median and 90th percentile time per stage, longest open tasks (managers)",
                   parameters=[s.StallQuerySerializer], responses={200: OpenApiResponse(description="stages, longest_open"), **ERRORS})
    def get(self, request):
        if not request.user.is_manager_role:
            raise NotFound("No such report.")
        q = _valid(s.StallQuerySerializer, request.query_params)
        return Response(stage_stalls(since=q.get("since"), until=q.get("until"), template=q.get("route_template"),
                                     department=q.get("department")))


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
