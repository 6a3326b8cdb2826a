"""The project's URLs plus /desk/cases/<reference>/ rendering the live case include."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.template import engines
from django.urls import path

from helpdesk.live import access
from helpdesk.urls import urlpatterns as project_urlpatterns

PAGE = engines["django"].from_string(
    "{% extends 'base.html' %}{% block content %}"
    "<h1>{{ case.reference }} <span data-live-state>{{ case.get_state_display }}</span></h1>"
    "<form><textarea name='body'></textarea></form>"
    "{% include 'live/_case_presence.html' with case=case %}{% endblock %}"
)


@login_required
def case_page(request, reference):
    case = access.staff_case(request.user, reference)
    if case is None:
        raise Http404
    return HttpResponse(PAGE.render({"case": case}, request))


urlpatterns = [path("desk/cases/<str:reference>/", case_page)] + project_urlpatterns
