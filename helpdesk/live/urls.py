"""Board pages under /desk/boards/ and the JSON they load."""

from django.urls import path

from . import views

app_name = "live"

urlpatterns = [
    path("team/<slug:slug>/", views.team_board, name="team"),
    path("team/<slug:slug>/data/", views.team_board_data, name="team-data"),
    path("sla/", views.sla_board, name="sla"),
    path("sla/data/", views.sla_board_data, name="sla-data"),
    path("department/<slug:slug>/", views.department_board, name="department"),
    path("department/<slug:slug>/data/", views.department_board_data, name="department-data"),
]
