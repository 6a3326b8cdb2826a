"""Product feedback API: items with their askers, decisions, and the monthly report."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback import selectors, services
from feedback.models import FeedbackItem, FeedbackRequest
from helpdesk.errors import InvalidInput, NotFound

ERRORS = {
    400: OpenApiResponse(description="Invalid input; `fields` maps each field to its errors."),
    404: OpenApiResponse(description="Not found, or not for the caller (product team, managers)."),
    409: OpenApiResponse(description="That decision is not possible from the item's status."),
}


class FeedbackItemSerializer(serializers.ModelSerializer):
    product = serializers.SerializerMethodField()
    asked = serializers.IntegerField(read_only=True, default=None)
    cases = serializers.SerializerMethodField()

    class Meta:
        model = FeedbackItem
        fields = ["id", "title", "product", "area", "theme", "status", "status_note", "asked", "cases", "created_at",
                  "status_changed_at", "loop_closed_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_product(self, obj):
        return obj.product.name if obj.product_id else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_cases(self, obj):
        return [r.case.reference for r in obj.requests.select_related("case")]


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["planned", "shipped", "declined"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class MoveInputSerializer(serializers.Serializer):
    case = serializers.CharField(help_text="Reference of the case whose request joins this item.")


class FeedbackItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = FeedbackItem.objects.none()  # typed path parameters in the schema; reads use the selector
    serializer_class = FeedbackItemSerializer
    filter_backends = []

    def get_queryset(self):
        qs = selectors.feedback_items(self.request.user)
        if self.request.query_params.get("status"):
            qs = qs.filter(status=self.request.query_params["status"])
        return qs

    def get_object(self):
        return selectors.feedback_item_get(self.request.user, int(self.kwargs["pk"]))

    @extend_schema(summary="Decide: planned, shipped or declined; the askers are told", request=StatusInputSerializer,
                   responses={200: FeedbackItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        data = StatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.feedback_status_set(item=self.get_object(), actor=request.user, **data.validated_data)
        return Response(FeedbackItemSerializer(self.get_object()).data)

    @extend_schema(summary="Group another case's request under this item", request=MoveInputSerializer,
                   responses={200: FeedbackItemSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def requests(self, request, pk=None):
        from tickets.models import pk_from_reference

        item = self.get_object()
        data = MoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = FeedbackRequest.objects.filter(case_id=pk_from_reference(data.validated_data["case"]) or 0).first()
        if found is None:
            raise NotFound("That case is not product feedback.")
        services.feedback_request_move(request=found, item=item, actor=request.user)
        return Response(FeedbackItemSerializer(self.get_object()).data)


class MonthlyReportView(APIView):
    @extend_schema(summary="Product feedback of a month, by product and theme, with the cases",
                   parameters=[OpenApiParameter("month", str, required=True, description="YYYY-MM")],
                   responses={200: OpenApiResponse(description="{month, total, by_product, by_theme, groups}"), **ERRORS})
    def get(self, request):
        month = request.query_params.get("month", "")
        try:
            selectors.month_bounds(month)
        except ValueError:
            raise InvalidInput("Give the month as YYYY-MM.", fields={"month": ["Expected YYYY-MM."]}) from None
        return Response(selectors.monthly_report(request.user, month=month))
