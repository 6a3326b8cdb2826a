"""Case API: thin views that validate input, call one service and render the result."""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from helpdesk.errors import InvalidInput, NotFound
from tickets import selectors
from tickets.api import serializers as s
from tickets.api.filters import CaseFilter
from tickets.models import Attachment, Category, Organization, Product, Role, is_case_staff
from tickets.services import cases as case_services

ERRORS = {
    400: OpenApiResponse(description="Invalid input; `fields` maps each field to its errors."),
    404: OpenApiResponse(description="No such case, or one the caller may not see."),
}
CONFLICT = {409: OpenApiResponse(description="Illegal or concurrent transition; the body has `state` and `allowed_transitions`.")}




@extend_schema_view(
    list=extend_schema(summary="List the cases you may see", responses={200: s.CaseSerializer(many=True)}),
    retrieve=extend_schema(summary="A case with its allowed transitions", responses={200: s.CaseDetailSerializer, **ERRORS}),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z]{2}-\d{1,12}|\d{1,12}"
    filterset_class = CaseFilter
    ordering_fields = ["id", "created_at", "updated_at", "priority"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return selectors.case_list(self.request.user)

    def get_serializer_class(self):
        return s.CaseDetailSerializer if self.action != "list" else s.CaseSerializer

    def get_object(self):
        return selectors.case_get(self.request.user, self.kwargs["reference"])

    @extend_schema(summary="Raise a case", request=s.CaseCreateInputSerializer,
                   responses={201: s.CaseDetailSerializer, 400: ERRORS[400], 413: OpenApiResponse(description="Too large")})
    def create(self, request):
        data = _valid(s.CaseCreateInputSerializer, request.data)
        requester = data.pop("requester", None) or request.user
        if requester != request.user and not request.user.is_staff_member:
            raise InvalidInput("Only staff can raise a case for someone else.", fields={"requester": ["Not allowed."]})
        case = case_services.case_create(requester=requester, actor=request.user, **data)
        try:
            case = selectors.case_get(request.user, case.pk)
        except NotFound:  # raised for someone else who cannot see it: answer with what was made
            pass
        return Response(s.CaseDetailSerializer(case, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a case's details", request=s.CaseUpdateInputSerializer,
                   responses={200: s.CaseDetailSerializer, **ERRORS, **CONFLICT})
    def partial_update(self, request, reference=None):
        case = self.get_object()
        data = _valid(s.CaseUpdateInputSerializer, request.data)
        expected = data.pop("expected_version", None)
        reason = data.pop("reason", "")
        if not is_case_staff(request.user, case):
            raise NotFound("No such case.")
        case_services.case_update(case=case, actor=request.user, changes=data, reason=reason, expected_version=expected)
        return Response(s.CaseDetailSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(
        summary="Apply a transition",
        request=s.TransitionInputSerializer,
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, description="triage, start, resolve, close, reopen, escalate, ...")],
        responses={200: s.CaseDetailSerializer, 403: OpenApiResponse(description="Not permitted"), **ERRORS, **CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]{1,40})")
    def transition(self, request, reference=None, name=None):
        case = self.get_object()
        data = _valid(s.TransitionInputSerializer, request.data)
        if name == "merge":
            into = data.get("into")
            if not into:
                raise InvalidInput("Say which case to merge into.", fields={"into": ["This field is required."]})
            target = selectors.case_get(request.user, into) if _ref_ok(into) else None
            if target is None:
                raise InvalidInput("The case to merge into does not exist.", fields={"into": ["No such case."]})
            case_services.case_merge(case=case, into=target, actor=request.user, reason=data["reason"])
        else:
            case_services.case_transition(
                case=case, name=name, actor=request.user, reason=data["reason"],
                expected_state=data.get("expected_state"), expected_version=data.get("expected_version"),
            )
        return Response(s.CaseDetailSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(summary="Assign the case (or return it to the queue with null)", request=s.AssignInputSerializer,
                   responses={200: s.CaseDetailSerializer, **ERRORS, **CONFLICT})
    @action(detail=True, methods=["post"])
    def assign(self, request, reference=None):
        case = self.get_object()
        data = _valid(s.AssignInputSerializer, request.data)
        team = None
        if data.get("team"):
            from workflows.models import Team

            team = Team.objects.filter(pk=data["team"], is_active=True).first()
            if team is None:
                raise InvalidInput("No such team.", fields={"team": ["No such team."]})
        case_services.case_assign(
            case=case, assignee=data["assignee"], team=team, actor=request.user, reason=data["reason"],
            expected_version=data.get("expected_version"),
        )
        return Response(s.CaseDetailSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(methods=["get"], summary="The comments you may read", responses={200: s.CommentSerializer(many=True), **ERRORS})
    @extend_schema(methods=["post"], summary="Reply publicly or add an internal note",
                   request={"application/json": s.CommentInputSerializer, "multipart/form-data": s.CommentInputSerializer},
                   responses={201: s.CommentSerializer, **ERRORS, **CONFLICT, 413: OpenApiResponse(description="Attachment too large")})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, reference=None):
        case = self.get_object()
        if request.method == "GET":
            qs = selectors.comments_visible_to(request.user, case)
            return Response(s.CommentSerializer(qs, many=True).data)
        data = _valid(s.CommentInputSerializer, request.data)
        comment = case_services.comment_add(
            case=case, author=request.user, body=data["body"], public=data["public"], shared=data["shared"],
            attachments=data.get("attachments") or request.FILES.getlist("attachments"),
        )
        return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="The case's event log (the timeline)",
                   parameters=[OpenApiParameter("after", int, description="Only events after this id")],
                   responses={200: s.CaseEventSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, reference=None):
        case = self.get_object()
        after = request.query_params.get("after")
        if after is not None and not after.isdigit():
            raise InvalidInput("after must be an event id.", fields={"after": ["Expected a whole number."]})
        qs = selectors.events_visible_to(request.user, case, after_id=int(after) if after else None)[:1000]
        return Response(s.CaseEventSerializer(qs, many=True).data)


class AttachmentViewSet(viewsets.GenericViewSet):
    queryset = Attachment.objects.none()
    serializer_class = s.AttachmentSerializer

    @extend_schema(summary="Download an attachment you may see", responses={(200, "application/octet-stream"): bytes, 404: ERRORS[404]})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        attachment = get_object_or_404(Attachment.objects.select_related("comment"), pk=pk)
        case = selectors.case_get(request.user, attachment.case_id)
        if attachment.comment_id and not selectors.comments_visible_to(request.user, case).filter(pk=attachment.comment_id).exists():
            raise NotFound("No such attachment.")
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type)


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.OrganizationSerializer
    pagination_class = None
    filterset_fields = ["tier", "parent"]

    def get_queryset(self):
        user = self.request.user
        qs = Organization.objects.prefetch_related("entitled_products")
        if user.role == Role.CUSTOMER and not user.is_superuser:
            return qs.filter(pk=user.organization_id) if user.organization_id else qs.none()
        return qs


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Product.objects.all()
    serializer_class = s.ProductSerializer
    pagination_class = None


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.all()
    serializer_class = s.CategorySerializer
    pagination_class = None


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _ref_ok(value: str) -> bool:
    from tickets.models import pk_from_reference

    return pk_from_reference(value) is not None
