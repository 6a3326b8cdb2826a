from django.urls import path
from rest_framework.routers import SimpleRouter

from workflows.api import problems, tasks

router = SimpleRouter()
router.register("tasks", tasks.TaskViewSet, basename="task")
router.register("route-templates", tasks.RouteTemplateViewSet, basename="route-template")
router.register("problems", problems.ProblemViewSet, basename="problem")

urlpatterns = router.urls + [
    path("departments/<int:team_id>/queue/", tasks.DepartmentQueueView.as_view(), name="department-queue"),
    path("reports/task-stalls/", tasks.StallReportView.as_view(), name="task-stalls"),
    path("case-problems/<str:reference>/", problems.CaseProblemsView.as_view(), name="case-problems"),
]
