"""Every read of cases for a page or an endpoint, scoped to the person asking.

The permission rule and the N+1 fix live together here: a case the user may not see
is simply absent, so callers answer 404 for it.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet

from helpdesk.errors import NotFound
from tickets.models import (
    Attachment,
    Case,
    CaseEvent,
    Comment,
    Role,
    Visibility,
    is_case_staff,
    pk_from_reference,
    team_ids,
)


def cases_visible_to(user) -> QuerySet[Case]:
    """Return the cases `user` may see.

    Admins see all; customers their own (and their organization's when they administer
    it); agents and managers their teams' cases, their own and the not yet routed ones;
    department members their teams' cases and those behind tasks routed to them.
    """
    qs = Case.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_admin_role:
        return qs
    if user.role == Role.CUSTOMER:
        cond = Q(requester=user)
        if user.is_org_admin and user.organization_id:
            cond |= Q(organization_id=user.organization_id)
        return qs.filter(cond)
    cond = Q(assignee=user) | Q(team_id__in=list(team_ids(user)))
    if user.role in (Role.AGENT, Role.MANAGER):
        cond |= Q(team__isnull=True)
    if user.role == Role.DEPARTMENT or team_ids(user):
        from workflows.selectors.access import case_ids_for_department_member

        extra = case_ids_for_department_member(user)
        if extra is not None:
            cond |= Q(pk__in=extra)
    return qs.filter(cond)


def case_list(user) -> QuerySet[Case]:
    """Return visible cases with what a list row shows loaded in the same query."""
    # People, team and organization join in; the small reference tables come in one query
    # each. Joining all seven made PostgreSQL spend ~70 ms planning the join order of
    # every page (bench/cases.md), while each extra query here costs well under 1 ms
    # and their number does not grow with the page. `category__parent`: a category
    # names itself with its parent ("Billing › Refund").
    return cases_visible_to(user).select_related(
        "requester", "assignee", "team", "organization"
    ).prefetch_related("product", "category__parent", "tags")


def case_get(user, reference: str | int, *, for_update: bool = False) -> Case:
    """Return the visible case by reference (`CS-000123`) or id, or raise NotFound."""
    pk = reference if isinstance(reference, int) else pk_from_reference(str(reference))
    if pk is None:
        raise NotFound("No such case.")
    try:
        return case_list(user).get(pk=pk)
    except Case.DoesNotExist:
        raise NotFound("No such case.") from None


def case_search(qs: QuerySet[Case], text: str) -> QuerySet[Case]:
    """Filter by words in subject and description: full-text on PostgreSQL, substring elsewhere.

    A reference (`CS-000123`) finds that case directly.
    """
    text = (text or "").strip()[:200]
    if not text:
        return qs
    pk = pk_from_reference(text) if text.upper().startswith("CS-") else None
    if pk is not None:
        return qs.filter(pk=pk)
    if settings.IS_POSTGRES:
        # The expression matches the GIN index made in migration 0002 of tickets.
        return qs.extra(
            where=["to_tsvector('simple', tickets_case.subject || ' ' || tickets_case.description) "
                   "@@ plainto_tsquery('simple', %s)"],
            params=[text],
        )
    return qs.filter(Q(subject__icontains=text) | Q(description__icontains=text))


def comments_visible_to(user, case: Case) -> QuerySet[Comment]:
    """Return the comments of `case` that `user` may read, authors and attachments loaded."""
    qs = case.comments.select_related("author", "author_team").prefetch_related("attachments")
    level = _visibility_level(user, case)
    if level == "public":
        return qs.filter(is_public=True)
    if level == "internal":
        return qs.filter(Q(is_public=True) | Q(shared=True) | Q(author_team_id__in=list(team_ids(user))))
    return qs


def events_visible_to(user, case: Case, *, after_id: int | None = None) -> QuerySet[CaseEvent]:
    """Return the case's events `user` may see, oldest first, optionally after an event id."""
    qs = case.events.select_related("actor").order_by("id")
    if after_id is not None:
        qs = qs.filter(id__gt=after_id)
    level = _visibility_level(user, case)
    if level == "public":
        return qs.filter(visibility=Visibility.PUBLIC)
    if level == "internal":
        mine = list(team_ids(user))
        return qs.filter(
            Q(visibility__in=[Visibility.PUBLIC, Visibility.INTERNAL])
            | Q(visibility=Visibility.RESTRICTED, data__author_team__in=mine)
        )
    return qs


def _visibility_level(user, case: Case) -> str:
    """Return "all" for the case's own staff, "internal" for other staff, "public" otherwise."""
    if is_case_staff(user, case) or user.is_manager_role:
        return "all"
    if user.is_staff_member:
        return "internal"
    return "public"


def attachment_get(user, pk) -> Attachment:
    """Return the attachment if `user` may see its case and the comment it came with.

    Anything else, including files on internal notes for a customer, is NotFound.
    """
    try:
        attachment = Attachment.objects.get(pk=int(pk))
        case = case_get(user, attachment.case_id)
    except (Attachment.DoesNotExist, NotFound, TypeError, ValueError):
        raise NotFound("No such attachment.") from None
    if attachment.comment_id and not comments_visible_to(user, case).filter(pk=attachment.comment_id).exists():
        raise NotFound("No such attachment.")
    return attachment


def author_team_for(user, case: Case):
    """Return the team a note by `user` on `case` speaks for: the case's team if theirs, else their first.

    Restricted notes are shown to that team, so a department member's note stays
    readable by their own department.
    """
    mine = team_ids(user)
    if case.team_id is not None and case.team_id in mine:
        return case.team
    if not mine:
        return None
    from workflows.models import Team

    return Team.objects.filter(pk__in=mine).order_by("name").first()

