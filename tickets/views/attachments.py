"""Attachment download for pages: the same visibility rule as the API's download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404

from tickets import selectors
from tickets.models import Attachment
from tickets.views.base import case_or_404


@login_required
def download(request, pk: int):
    """Send the file when the user may see its case and, for a comment's file, the comment."""
    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404("No such attachment.")
    case = case_or_404(request.user, attachment.case_id)
    if attachment.comment_id and not selectors.comments_visible_to(request.user, case).filter(
        pk=attachment.comment_id
    ).exists():
        raise Http404("No such attachment.")
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                        content_type=attachment.content_type)
