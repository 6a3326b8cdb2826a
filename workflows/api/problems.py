"""Problem API: list, record, link and unlink cases, workaround and its one-click send, fix, suggestions."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.errors import NotFound
from tickets import selectors as case_selectors
from tickets.api.serializers import CommentSerializer, UserBriefSerializer
from tickets.models import Category, Product, User
from workflows.models import Problem, Team
from workflows.selectors import problems as selectors
from workflows.services import problems as services

ERRORS = {
    400: OpenApiResponse(description="Invalid input; `fields` maps each field to its errors."),
    404: OpenApiResponse(description="No such problem or case, or one the caller may not see."),
    409: OpenApiResponse(description="Not allowed in the problem's current status; the body has `state`."),
}


class ProblemSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    status = serializers.CharField(source="state", read_only=True)
    status_label = serializers.CharField(source="get_state_display", read_only=True)
    owner = UserBriefSerializer(read_only=True)
    department = serializers.SerializerMethodField()
    case_count = serializers.IntegerField(read_only=True, default=None)
    open_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Problem
        fields = ["id", "reference", "title", "status", "status_label", "summary", "workaround", "resolution",
                  "department", "owner", "product", "category", "keywords", "case_count", "open_count",
                  "created_at", "fixed_at", "fix_completed_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_department(self, obj):
        return {"id": obj.department_id, "name": obj.department.name} if obj.department_id else None


class ProblemCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    department = serializers.PrimaryKeyRelatedField(queryset=Team.objects.filter(is_active=True), required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False, allow_null=True)
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    keywords = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class CaseRefInputSerializer(serializers.Serializer):
    case = serializers.CharField(help_text="Case reference, e.g. CS-000123.")


class WorkaroundInputSerializer(serializers.Serializer):
    workaround = serializers.CharField(max_length=20_000)


class FixInputSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=20_000, help_text="Sent as the public reply on every linked open case.")


class ProgressSerializer(serializers.Serializer):
    linked = serializers.IntegerField()
    applied = serializers.IntegerField()
    customers_notified = serializers.IntegerField()
    completed_at = serializers.DateTimeField(allow_null=True)


@extend_schema_view(
    list=extend_schema(summary="Problems", parameters=[OpenApiParameter("status", str)]),
    retrieve=extend_schema(summary="A problem", responses={200: ProblemSerializer, **ERRORS}),
)
class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ProblemSerializer
    lookup_value_regex = r"[A-Za-z]{2}-\d{1,12}|\d{1,12}"
    filter_backends = []

    def get_queryset(self):
        qs = selectors.problems_visible_to(self.request.user)
        if self.request.query_params.get("status"):
            qs = qs.filter(state=self.request.query_params["status"])
        return qs

    def get_object(self):
        return selectors.problem_get(self.request.user, self.kwargs["pk"])

    @extend_schema(summary="Record a problem", request=ProblemCreateInputSerializer, responses={201: ProblemSerializer, **ERRORS})
    def create(self, request):
        data = _valid(ProblemCreateInputSerializer, request.data)
        problem = services.problem_create(actor=request.user, **data)
        return Response(ProblemSerializer(selectors.problem_get(request.user, problem.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Link a case", request=CaseRefInputSerializer, responses={200: ProblemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        problem = self.get_object()
        case = case_selectors.case_get(request.user, _valid(CaseRefInputSerializer, request.data)["case"])
        services.problem_link(problem=problem, case=case, actor=request.user)
        return Response(ProblemSerializer(self.get_object()).data)

    @extend_schema(summary="Unlink a case", request=CaseRefInputSerializer, responses={200: ProblemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def unlink(self, request, pk=None):
        problem = self.get_object()
        case = case_selectors.case_get(request.user, _valid(CaseRefInputSerializer, request.data)["case"])
        services.problem_unlink(problem=problem, case=case, actor=request.user)
        return Response(ProblemSerializer(self.get_object()).data)

    @extend_schema(summary="Record the workaround (known error)", request=WorkaroundInputSerializer,
                   responses={200: ProblemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def workaround(self, request, pk=None):
        problem = self.get_object()
        services.problem_workaround_set(problem=problem, actor=request.user,
                                        workaround=_valid(WorkaroundInputSerializer, request.data)["workaround"])
        return Response(ProblemSerializer(self.get_object()).data)

    @extend_schema(summary="Send the workaround to a linked case's customer", request=CaseRefInputSerializer,
                   responses={201: CommentSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="send-workaround")
    def send_workaround(self, request, pk=None):
        problem = self.get_object()
        case = case_selectors.case_get(request.user, _valid(CaseRefInputSerializer, request.data)["case"])
        comment = services.problem_workaround_send(problem=problem, case=case, actor=request.user)
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Mark fixed: linked open cases get the resolution and are resolved in the background",
                   request=FixInputSerializer, responses={202: ProblemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def fix(self, request, pk=None):
        problem = self.get_object()
        services.problem_fix(problem=problem, actor=request.user,
                             resolution=_valid(FixInputSerializer, request.data)["resolution"])
        return Response(ProblemSerializer(self.get_object()).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="How far the fix has come", responses={200: ProgressSerializer, **ERRORS})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        return Response(ProgressSerializer(selectors.problem_fix_progress(self.get_object())).data)

    @extend_schema(summary="Close a fixed problem", request=None, responses={200: ProblemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        services.problem_close(problem=self.get_object(), actor=request.user)
        return Response(ProblemSerializer(self.get_object()).data)


class CaseProblemsView(APIView):
    @extend_schema(summary="Problems linked to a case, matching problems to link, and fixed ones to point at",
                   responses={200: OpenApiResponse(description="{linked, suggested, resolved_by}"), **ERRORS})
    def get(self, request, reference: str):
        case = case_selectors.case_get(request.user, reference)
        if not request.user.is_staff_member:
            raise NotFound("No such case.")
        found = selectors.case_problems(request.user, case)
        return Response({key: ProblemSerializer(value, many=True).data for key, value in found.items()})


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
