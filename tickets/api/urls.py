from rest_framework.routers import SimpleRouter

from tickets.api import views

router = SimpleRouter()
router.register("cases", views.CaseViewSet, basename="case")
router.register("attachments", views.AttachmentViewSet, basename="attachment")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("products", views.ProductViewSet, basename="product")
router.register("categories", views.CategoryViewSet, basename="category")

urlpatterns = router.urls
