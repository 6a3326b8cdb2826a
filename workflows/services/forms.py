"""Submitting a self-service request form: validate the answers, raise a case for the team."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from helpdesk.errors import InvalidInput
from tickets.models import Case, Channel, User
from tickets.services.cases import case_create
from workflows.models import FieldType, RequestForm, RequestFormField

MAX_ANSWER_CHARS = 2000


def request_form_answers_clean(*, form: RequestForm, answers: dict) -> list[dict]:
    """Return the answers in field order as [{label, name, value}], or raise InvalidInput.

    Every field is checked by its type (choice in its options, ISO date, number, e-mail),
    its required flag and, for text, its pattern; all errors are reported at once.
    """
    errors: dict[str, list[str]] = {}
    cleaned = []
    for field in form.fields.all():
        raw = answers.get(field.name, "")
        value = (raw if isinstance(raw, str) else str(raw)).strip()
        if not value:
            if field.required:
                errors[field.name] = ["This field is required."]
            cleaned.append({"label": field.label, "name": field.name, "value": ""})
            continue
        try:
            value = _clean_value(field, value)
        except ValueError as exc:
            errors[field.name] = [str(exc)]
            continue
        cleaned.append({"label": field.label, "name": field.name, "value": value})
    if errors:
        raise InvalidInput("Some answers need attention.", fields=errors)
    return cleaned


def request_form_submit(*, form: RequestForm, requester: User, answers: dict, attachments=()) -> Case:
    """Raise a case of channel "self-service form" from a submission, or raise InvalidInput.

    With `bypass_customer_service` the case is created in the fulfilment team's queue, so
    customer service never sees it; otherwise it enters normal routing. The answers are
    kept as structured data in `custom_fields["form"]` and written out in the description.
    """
    if not form.is_active:
        raise InvalidInput("This request form is no longer available.", fields={"form": ["Not available."]})
    cleaned = request_form_answers_clean(form=form, answers=answers)
    description = "\n".join(f"{a['label']}: {a['value'] or '—'}" for a in cleaned)
    structured = {
        "slug": form.slug, "title": form.title, "team": form.team.name,
        "answers": cleaned,
    }
    with transaction.atomic():
        return case_create(
            requester=requester,
            subject=form.title,
            description=description,
            channel=Channel.FORM,
            priority=form.priority or None,
            category=form.category,
            team=form.team if form.bypass_customer_service else None,
            custom_fields={"form": structured},
            attachments=attachments,
        )


def _clean_value(field: RequestFormField, value: str) -> str:
    if len(value) > MAX_ANSWER_CHARS:
        raise ValueError(f"At most {MAX_ANSWER_CHARS} characters.")
    if field.type == FieldType.CHOICE:
        if value not in field.choice_list:
            raise ValueError("Choose one of the options.")
    elif field.type == FieldType.DATE:
        try:
            value = date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD.") from None
    elif field.type == FieldType.NUMBER:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError("Enter a number.") from None
        if not number.is_finite():
            raise ValueError("Enter a number.")
        value = str(number)
    elif field.type == FieldType.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            raise ValueError("Enter a valid e-mail address.") from None
    if field.regex and field.type in (FieldType.TEXT, FieldType.NUMBER) and not re.fullmatch(field.regex, value):
        raise ValueError(field.regex_message or "This answer is not in the expected format.")
    return value
