"""Case API: thin views that validate input, call one service and render the result."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from helpdesk.api.pagination import AfterIdPagination
from helpdesk.errors import InvalidInput
from tickets import selectors
from tickets.api import serializers as s
from tickets.api.filters import CaseFilter
from tickets.models import TRANSITION_LABELS, Attachment, pk_from_reference
from tickets.services import cases as case_services


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=s.ErrorSerializer, description=description)


E400 = {400: _error("Invalid input: malformed JSON, wrong types or values; `fields` maps each field to its errors.")}
E403 = {403: _error("You may see the case but not make this change.")}
E404 = {404: _error("No such case, or one you may not see (the two look the same).")}
E409 = {409: _error("Illegal or concurrent change; the body has the current `state` and your `allowed_transitions`.")}
E413 = {413: _error("An attachment is larger than the limit.")}
TRANSITION_NAME = OpenApiParameter(
    "name", str, OpenApiParameter.PATH, enum=[n for n in TRANSITION_LABELS if n not in {"assign", "unassign"}],
    description="The transition; the case detail lists those you may apply now in `allowed_transitions`.",
)
REFERENCE = OpenApiParameter(
    "reference", str, OpenApiParameter.PATH, description="The case reference (`CS-000123`) or its number.",
)


@extend_schema_view(
    list=extend_schema(summary="List the cases you may see", responses={200: s.CaseSerializer(many=True), **E400}),
    retrieve=extend_schema(summary="A case with the transitions you may apply", parameters=[REFERENCE],
                           responses={200: s.CaseDetailSerializer, **E404}),
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

    def _detail(self, case=None) -> Response:
        case = self.get_object() if case is None else case
        return Response(s.CaseDetailSerializer(case, context={"request": self.request}).data)

    @extend_schema(summary="Raise a case (staff may raise one for a customer)",
                   request={"application/json": s.CaseCreateInputSerializer,
                            "multipart/form-data": s.CaseCreateInputSerializer},
                   responses={201: s.CaseDetailSerializer, **E400, **E413})
    def create(self, request):
        data = _valid(s.CaseCreateInputSerializer, request.data)
        requester = data.pop("requester", None) or request.user
        if requester != request.user and not request.user.is_staff_member:
            raise InvalidInput("Only staff can raise a case for someone else.", fields={"requester": ["Not allowed."]})
        case = case_services.case_create(requester=requester, actor=request.user, **data)
        if requester.pk == request.user.pk:
            # Their own case, which they always see: answered from the rows the creation
            # already holds (the service keeps the case up to date with routing's changes).
            case.requester = request.user
            visible = case
        else:
            # Staff raising a case for another team's customer may not see it afterwards.
            visible = selectors.case_list(request.user).filter(pk=case.pk).first()
        body = s.CaseDetailSerializer(visible or case, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a case's details", parameters=[REFERENCE], request=s.CaseUpdateInputSerializer,
                   responses={200: s.CaseDetailSerializer, **E400, **E403, **E404, **E409})
    def partial_update(self, request, reference=None):
        case = self.get_object()
        data = _valid(s.CaseUpdateInputSerializer, request.data)
        expected = data.pop("expected_version", None)
        reason = data.pop("reason", "")
        case_services.case_update(case=case, actor=request.user, changes=data, reason=reason, expected_version=expected)
        return self._detail()

    @extend_schema(summary="Apply a transition", parameters=[REFERENCE, TRANSITION_NAME],
                   request=s.TransitionInputSerializer,
                   responses={200: s.CaseDetailSerializer, **E400, **E403, **E404, **E409})
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]{1,40})")
    def transition(self, request, reference=None, name=None):
        case = self.get_object()
        data = _valid(s.TransitionInputSerializer, request.data)
        if name == "merge":
            into = pk_from_reference(data.get("into") or "")
            if into is None:
                raise InvalidInput("Say which case to merge into.", fields={"into": ["Give a case reference."]})
            case_services.case_merge(case=case, into=into, actor=request.user, reason=data["reason"])
        else:
            case_services.case_transition(
                case=case, name=name, actor=request.user, reason=data["reason"],
                expected_state=data.get("expected_state"), expected_version=data.get("expected_version"),
            )
        return self._detail()

    @extend_schema(summary="Assign the case (or return it to the queue with null)", parameters=[REFERENCE],
                   request=s.AssignInputSerializer,
                   responses={200: s.CaseDetailSerializer, **E400, **E403, **E404, **E409})
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
        return self._detail()

    @extend_schema(methods=["get"], summary="The comments you may read", parameters=[REFERENCE],
                   responses={200: s.CommentSerializer(many=True), **E404})
    @extend_schema(methods=["post"], summary="Reply publicly or add an internal note", parameters=[REFERENCE],
                   request={"application/json": s.CommentInputSerializer, "multipart/form-data": s.CommentInputSerializer},
                   responses={201: s.CommentSerializer, **E400, **E404, **E409, **E413})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, reference=None):
        case = self.get_object()
        if request.method == "GET":
            qs = selectors.comments_visible_to(request.user, case)
            return Response(s.CommentSerializer(qs, many=True).data)
        data = _valid(s.CommentInputSerializer, request.data)
        comment = case_services.comment_add(
            case=case, author=request.user, body=data["body"], public=data["public"], shared=data["shared"],
            author_team=selectors.author_team_for(request.user, case),
            attachments=data.get("attachments") or request.FILES.getlist("attachments"),
        )
        return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="The case's event log (the timeline), oldest first", parameters=[REFERENCE],
                   responses={200: s.CaseEventSerializer(many=True), **E400, **E404})
    @action(detail=True, methods=["get"], pagination_class=AfterIdPagination, filterset_class=None,
            filter_backends=[])
    def events(self, request, reference=None):
        case = self.get_object()
        page = self.paginate_queryset(selectors.events_visible_to(request.user, case))
        return self.get_paginated_response(s.CaseEventSerializer(page, many=True).data)


class AttachmentViewSet(viewsets.GenericViewSet):
    queryset = Attachment.objects.none()
    serializer_class = s.AttachmentSerializer

    @extend_schema(summary="Download an attachment you may see",
                   parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The attachment id.")],
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY,
                              404: _error("No such attachment, or one you may not see.")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        attachment = selectors.attachment_get(request.user, pk)
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type)


def _valid(serializer_class, data) -> dict:
    """Validate `data`; unknown fields are refused, so a typo never passes silently."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    if hasattr(data, "keys"):
        unknown = sorted(set(data.keys()) - set(serializer.fields))
        if unknown:
            raise InvalidInput("Unknown fields.", fields={f: ["Unknown field."] for f in unknown})
    return dict(serializer.validated_data)
