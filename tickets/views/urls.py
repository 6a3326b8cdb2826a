"""URL patterns of the pages: the front door, the desk, the portal and sign-up."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import path

from tickets.views import accounts, attachments, catalog, desk, desk_case, portal


@login_required
def home(request):
    """Send staff to the agent workspace and customers to the portal."""
    return redirect("desk:home" if request.user.is_staff_member else "portal:home")


desk_patterns = ([
    path("", desk.home, name="home"),
    path("queues/<slug:key>/", desk.queue, name="queue"),
    path("bulk/", desk.bulk, name="bulk"),
    path("views/", desk.view_save, name="view-save"),
    path("views/<int:pk>/delete/", desk.view_delete, name="view-delete"),
    path("cases/<str:reference>/", desk_case.case_detail, name="case"),
    path("cases/<str:reference>/comment/", desk_case.comment, name="comment"),
    path("cases/<str:reference>/transition/", desk_case.transition, name="transition"),
    path("cases/<str:reference>/assign/", desk_case.assign, name="assign"),
    path("cases/<str:reference>/assign-me/", desk.assign_me, name="assign-me"),
    path("cases/<str:reference>/edit/", desk_case.edit, name="edit"),
    path("cases/<str:reference>/merge/", desk_case.merge, name="merge"),
], "desk")

portal_patterns = ([
    path("", portal.home, name="home"),
    path("new/", portal.submit, name="submit"),
    path("requests/", catalog.catalog, name="catalog"),
    path("requests/<slug:slug>/", catalog.request_form, name="request-form"),
    path("cases/<str:reference>/", portal.case_detail, name="case"),
    path("cases/<str:reference>/received/", portal.received, name="received"),
    path("cases/<str:reference>/reply/", portal.reply, name="reply"),
    path("cases/<str:reference>/act/", portal.act, name="act"),
], "portal")

account_patterns = [
    path("signup/", accounts.signup, name="accounts-signup"),
    path("signup/sent/", accounts.signup_sent, name="accounts-signup-sent"),
    path("verify/<str:token>/", accounts.verify, name="accounts-verify"),
]

page_patterns = [
    path("", home, name="home"),
    path("attachments/<int:pk>/", attachments.download, name="attachment-download"),
]
