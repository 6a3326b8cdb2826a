"""Validation and storage of uploaded files, done before anything is written."""

from __future__ import annotations

import mimetypes

from django.conf import settings

from helpdesk.errors import InvalidInput, TooLarge
from tickets.models import Attachment, Case, Comment

MAX_FILES_PER_COMMENT = 10


def attachments_validate(files) -> list[tuple[object, str]]:
    """Check count, size and type of uploads; return (file, content type) pairs or raise."""
    files = list(files or [])
    if len(files) > MAX_FILES_PER_COMMENT:
        raise InvalidInput(
            f"At most {MAX_FILES_PER_COMMENT} files per message.",
            fields={"attachments": [f"At most {MAX_FILES_PER_COMMENT} files per message."]},
        )
    limit = settings.HELPDESK["ATTACHMENT_MAX_BYTES"]
    allowed = set(settings.HELPDESK["ATTACHMENT_CONTENT_TYPES"])
    checked = []
    for upload in files:
        name = getattr(upload, "name", "") or "file"
        if upload.size > limit:
            raise TooLarge(
                f"{name} is {upload.size} bytes; the limit is {limit} bytes.",
                fields={"attachments": [f"{name} is larger than {limit // (1024 * 1024)} MB."]},
            )
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if guessed not in allowed:
            raise InvalidInput(
                f"{name}: files of type {guessed} are not accepted.",
                fields={"attachments": [f"{name}: files of type {guessed} are not accepted."]},
            )
        checked.append((upload, guessed))
    return checked


def attachments_store(*, case: Case, comment: Comment | None, files: list[tuple[object, str]], user) -> list[Attachment]:
    """Save validated uploads against the case (and the comment they came with)."""
    stored = []
    for upload, content_type in files:
        name = (getattr(upload, "name", "") or "file").rsplit("/", 1)[-1][:200]
        attachment = Attachment(
            case=case, comment=comment, filename=name, content_type=content_type, size=upload.size, uploaded_by=user
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored
