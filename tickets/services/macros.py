"""Applying a canned response (macro) to a case through the case services."""

from __future__ import annotations

from django.db import transaction

from helpdesk.errors import InvalidInput
from tickets.models import Case, Macro, User
from tickets.services.cases import case_transition, case_update, comment_add, transitions_for


def macros_for(case: Case):
    """Return the active macros offered on `case`: its team's and the shared ones."""
    from django.db.models import Q

    return Macro.objects.filter(Q(team__isnull=True) | Q(team_id=case.team_id), is_active=True).select_related(
        "set_category"
    )


def macro_apply(
    *,
    case: Case,
    macro: Macro,
    actor: User,
    body: str | None = None,
    public: bool | None = None,
    attachments=(),
) -> Case:
    """Apply the macro's field changes, post its text (as edited), then its transition.

    All of it happens in one transaction through `case_update`, `comment_add` and
    `case_transition`, so each step is an event with the agent as actor; a refusal at any
    step leaves nothing behind. The transition is skipped when the agent may not make it.
    """
    if not macro.is_active or (macro.team_id is not None and macro.team_id != case.team_id):
        raise InvalidInput("That canned response is not available on this case.", fields={"macro": ["Not available."]})
    reason = f"Canned response: {macro.name}"
    with transaction.atomic():
        changes: dict = {}
        if macro.set_priority and macro.set_priority != case.priority:
            changes["priority"] = macro.set_priority
        if macro.set_category_id and macro.set_category_id != case.category_id:
            changes["category"] = macro.set_category
        if macro.tag_names:
            current = set(case.tags.values_list("name", flat=True))
            if not set(macro.tag_names) <= current:
                changes["tags"] = sorted(current | set(macro.tag_names))
        if changes:
            case = case_update(case=case, actor=actor, changes=changes, reason=reason)
        text = body if body and body.strip() else macro.body
        comment_add(
            case=case, author=actor, body=text, public=macro.public if public is None else public,
            attachments=attachments,
        )
        case = Case.objects.get(pk=case.pk)
        if macro.transition and macro.transition in transitions_for(case, actor):
            case = case_transition(case=case, name=macro.transition, actor=actor, reason=reason)
        return case
