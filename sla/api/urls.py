from django.urls import path

from sla.api import views

urlpatterns = [
    path("cases/<str:reference>/clocks/", views.CaseClocksView.as_view(), name="sla-case-clocks"),
    path("compliance/", views.ComplianceView.as_view(), name="sla-compliance"),
    path("at-risk/", views.AtRiskView.as_view(), name="sla-at-risk"),
    path("breaches/", views.BreachesView.as_view(), name="sla-breaches"),
    path("coverage/", views.CoverageView.as_view(), name="sla-coverage"),
    path("shifts/", views.ShiftsView.as_view(), name="sla-shifts"),
]
