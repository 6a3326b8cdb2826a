"""Reference data and the signed-in person: what clients need to fill in and show a case."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets.api import serializers as s
from tickets.models import Category, Organization, Product, Tag


def _one(what: str, serializer):
    return extend_schema(
        summary=f"One {what}",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description=f"The {what}'s id.")],
        responses={200: serializer, 404: OpenApiResponse(description=f"No such {what}, or one you may not see.")},
    )


STAFF_ONLY = {403: OpenApiResponse(description="Customers may not read this list.")}


class IsStaffMember(permissions.BasePermission):
    """Only people who work cases or tasks; customers get 403 (lists are not secret per item)."""

    message = "Only staff can read this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff_member)


@extend_schema_view(
    list=extend_schema(summary="Organizations (a customer sees only their own)"),
    retrieve=_one("organization", s.OrganizationSerializer),
)
class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Organization.objects.prefetch_related("entitled_products")
    serializer_class = s.OrganizationSerializer
    pagination_class = None
    filterset_fields = ["tier", "parent"]

    def get_queryset(self):
        user = self.request.user
        if getattr(user, "is_staff_member", False):
            return self.queryset
        organization_id = getattr(user, "organization_id", None)
        return self.queryset.filter(pk=organization_id) if organization_id else self.queryset.none()


@extend_schema_view(list=extend_schema(summary="Products"), retrieve=_one("product", s.ProductSerializer))
class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Product.objects.all()
    serializer_class = s.ProductSerializer
    pagination_class = None


@extend_schema_view(list=extend_schema(summary="The category tree, flat (follow `parent`)"),
                    retrieve=_one("category", s.CategorySerializer))
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.all()
    serializer_class = s.CategorySerializer
    pagination_class = None


@extend_schema_view(list=extend_schema(summary="Tags in use (staff only)", responses={200: s.TagSerializer(many=True), **STAFF_ONLY}),
                    retrieve=_one("tag", s.TagSerializer))
class TagViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Tag.objects.all()
    serializer_class = s.TagSerializer
    permission_classes = [IsStaffMember]
    ordering = ["name"]


class MeView(APIView):
    @extend_schema(summary="The signed-in person, their role, organization and teams", responses={200: s.MeSerializer})
    def get(self, request):
        return Response(s.MeSerializer(request.user).data)
