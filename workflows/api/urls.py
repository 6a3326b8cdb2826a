from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from workflows.api import personal, views

router = SimpleRouter()
router.register("routing/teams", views.TeamViewSet, basename="routing-team")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("skills", views.SkillViewSet, basename="skill")
router.register("absences", views.AbsenceViewSet, basename="absence")
router.register("routing-rules", views.RoutingRuleViewSet, basename="routing-rule")
router.register("automation-rules", views.AutomationRuleViewSet, basename="automation-rule")
router.register("escalation-paths", views.EscalationPathViewSet, basename="escalation-path")
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")
router.register("notifications", personal.NotificationViewSet, basename="notification")

urlpatterns = [
    path("routing/dry-run/", personal.RoutingDryRunView.as_view(), name="routing-dry-run"),
    path("notification-preferences/", personal.PreferenceView.as_view(), name="notification-preferences"),
    re_path(r"^cases/(?P<reference>[A-Za-z]{2}-\d{1,12}|\d{1,12})/routing/$", personal.CaseRoutingView.as_view(),
            name="case-routing"),
    *router.urls,
]
