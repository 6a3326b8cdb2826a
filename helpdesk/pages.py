"""The front door: send each person to the place they work in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path


@login_required
def home(request):
    """Redirect staff to the agent workspace and customers to the portal."""
    return redirect("/desk/" if request.user.is_staff_member else "/portal/")


urlpatterns = [path("", home, name="home")]
