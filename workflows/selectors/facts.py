"""The facts rules are matched against, read from a case or from a draft of one."""

from __future__ import annotations

from typing import Any


def _category_path(category) -> list[str]:
    return [c.slug for c in category.ancestors_and_self()] if category is not None else []


def _facts(*, subject, description, category, product, priority, channel, organization, requester,
           custom_fields, tags, needed=None) -> dict[str, Any]:
    custom = dict(custom_fields or {})
    email = (getattr(requester, "email", "") or "").lower()
    return {
        "category": _category_path(category) if needed is None or "category" in needed else [],
        "product": product.slug if product is not None else None,
        "priority": priority,
        "channel": channel,
        "organization": organization.name if organization is not None else None,
        "organization_tier": organization.tier if organization is not None else None,
        "customer": email or None,
        "customer_domain": email.partition("@")[2] or None,
        "subject": subject or "",
        "body": description or "",
        "text": f"{subject or ''}\n{description or ''}",
        "tags": list(tags() if callable(tags) else tags or ()) if needed is None or "tags" in needed else [],
        "custom": custom,
        "request_form": _form(custom).get("slug"),
        "form": _form_answers(custom),
    }


def _form(custom: dict) -> dict:
    form = custom.get("form")
    return form if isinstance(form, dict) else {}


def _form_answers(custom: dict) -> dict:
    """Return a request form's answers by question name.

    A submitted form keeps them in `custom_fields["form"]["answers"]` as
    [{name, label, value}]; flat `form.<question>` custom fields count too.
    """
    answers = {k[5:]: v for k, v in custom.items() if k.startswith("form.")}
    for answer in _form(custom).get("answers") or []:
        if isinstance(answer, dict) and answer.get("name"):
            answers[answer["name"]] = answer.get("value")
    return answers


def case_facts(case, *, event=None, needed=None, tags=None) -> dict[str, Any]:
    """Return the facts about a saved case (and, for automation, the event that triggered it).

    `needed` names the facts the rules read; the ones costing a query (category path,
    tags) are skipped when no rule reads them. `tags`: the tag names of a case not yet
    written (else they are read from the case).
    """
    facts = _facts(
        subject=case.subject, description=case.description, category=case.category, product=case.product,
        priority=case.priority, channel=case.channel, organization=case.organization, requester=case.requester,
        custom_fields=case.custom_fields,
        tags=tags if tags is not None else (lambda: case.tags.values_list("name", flat=True) if case.pk else ()),
        needed=needed,
    )
    facts.update({
        "state": case.state,
        "team": case.team.slug if case.team_id else None,
        "assignee": case.assignee.username if case.assignee_id else None,
        "escalation_level": case.escalation_level,
        "reopen_count": case.reopen_count,
    })
    if event is not None:
        facts["event"] = {"kind": event.kind, **{k: v for k, v in (event.data or {}).items() if not isinstance(v, dict)},
                          **{f"after.{k}": v for k, v in (event.after or {}).items() if not isinstance(v, dict)}}
    return facts


def draft_facts(*, subject: str = "", description: str = "", category=None, product=None, priority: str = "P3",
                channel: str = "web", organization=None, requester=None, custom_fields=None, tags=()) -> dict[str, Any]:
    """Return the facts for a case that has not been created (the dry run)."""
    if organization is None and requester is not None:
        organization = requester.organization
    return _facts(subject=subject, description=description, category=category, product=product, priority=priority,
                  channel=channel, organization=organization, requester=requester, custom_fields=custom_fields,
                  tags=tags)
