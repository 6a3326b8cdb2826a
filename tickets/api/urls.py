from django.urls import path
from rest_framework.routers import SimpleRouter

from tickets.api import reference, views

router = SimpleRouter()
router.register("cases", views.CaseViewSet, basename="case")
router.register("attachments", views.AttachmentViewSet, basename="attachment")
router.register("organizations", reference.OrganizationViewSet, basename="organization")
router.register("products", reference.ProductViewSet, basename="product")
router.register("categories", reference.CategoryViewSet, basename="category")
router.register("tags", reference.TagViewSet, basename="tag")

urlpatterns = [path("me/", reference.MeView.as_view(), name="me"), *router.urls]
