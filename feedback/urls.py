from django.urls import path
from rest_framework.routers import SimpleRouter

from feedback import api

router = SimpleRouter()
router.register("feedback/items", api.FeedbackItemViewSet, basename="feedback-item")

urlpatterns = router.urls + [
    path("feedback/report/", api.MonthlyReportView.as_view(), name="feedback-report"),
]
