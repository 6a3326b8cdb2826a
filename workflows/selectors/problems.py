"""Reads of problems: lists, links, workaround to show on a case, and matching suggestions."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from helpdesk.errors import NotFound
from tickets.models import OPEN_STATES, Case, is_case_staff
from workflows.models import Problem, ProblemLink, ProblemStatus
from workflows.models.problems import problem_pk_from_reference


def problem_matches(problem: Problem, case: Case) -> bool:
    """Tell whether the case fits the problem's matching rule (product + category + keywords).

    Every part the rule sets must hold: the same product, the category or one below it,
    and any one keyword in the subject or description. A rule with no parts matches nothing.
    """
    if not (problem.product_id or problem.category_id or problem.keyword_list):
        return False
    if problem.product_id and problem.product_id != case.product_id:
        return False
    if problem.category_id:
        if case.category is None or problem.category_id not in {c.pk for c in case.category.ancestors_and_self()}:
            return False
    words = problem.keyword_list
    if words:
        text = f"{case.subject}\n{case.description}".lower()
        return any(w in text for w in words)
    return True


def problems_visible_to(user) -> QuerySet[Problem]:
    """Staff see every problem; customers none."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff_member:
        return Problem.objects.none()
    return Problem.objects.select_related("department", "owner", "product", "category").annotate(
        case_count=Count("links", distinct=True),
        open_count=Count("links", filter=Q(links__case__state__in=OPEN_STATES), distinct=True),
    )


def problem_get(user, reference: str | int) -> Problem:
    pk = reference if isinstance(reference, int) else problem_pk_from_reference(str(reference))
    if pk is None:
        raise NotFound("No such problem.")
    try:
        return problems_visible_to(user).get(pk=pk)
    except Problem.DoesNotExist:
        raise NotFound("No such problem.") from None


def problem_links(user, problem: Problem, *, limit: int = 200) -> list[ProblemLink]:
    """Return the linked cases the user may see, newest first."""
    from tickets.selectors import cases_visible_to

    visible = cases_visible_to(user).values("pk")
    return list(problem.links.filter(case_id__in=visible).select_related("case", "case__requester")[:limit])


def problem_fix_progress(problem: Problem) -> dict:
    """Return how far the background fix has come."""
    links = problem.links.all()
    return {"linked": links.count(), "applied": links.filter(fix_applied_at__isnull=False).count(),
            "customers_notified": problem.notifications.count(), "completed_at": problem.fix_completed_at}


def case_problems(user, case: Case) -> dict:
    """Return what the case page shows: linked problems (with workaround) and suggestions.

    Suggestions are problems under investigation or with a workaround whose rule fits
    the case; fixed problems that fit are listed with their resolution to point at.
    """
    if not is_case_staff(user, case) and not user.is_staff_member:
        raise NotFound("No such case.")
    linked = list(Problem.objects.filter(links__case=case).order_by("-id"))
    linked_ids = {p.pk for p in linked}
    candidates = Problem.objects.exclude(pk__in=linked_ids).exclude(state=ProblemStatus.CLOSED).filter(
        Q(product__isnull=True) | Q(product_id=case.product_id)).order_by("-id")[:200]
    matching = [p for p in candidates if problem_matches(p, case)]
    return {
        "linked": linked,
        "suggested": [p for p in matching if p.state != ProblemStatus.FIXED],
        "resolved_by": [p for p in matching if p.state == ProblemStatus.FIXED],
    }


def problem_candidate_cases(user, problem: Problem, *, limit: int = 50) -> list[Case]:
    """Return open, unlinked cases the user may see that fit the problem's rule."""
    from tickets.selectors import cases_visible_to

    qs = cases_visible_to(user).filter(state__in=OPEN_STATES).exclude(problem_links__problem=problem)
    if not (problem.product_id or problem.category_id or problem.keyword_list):
        return []
    if problem.product_id:
        qs = qs.filter(product_id=problem.product_id)
    words = problem.keyword_list
    if words:
        cond = Q()
        for w in words:
            cond |= Q(subject__icontains=w) | Q(description__icontains=w)
        qs = qs.filter(cond)
    return [c for c in qs.select_related("category", "requester").order_by("-id")[: limit * 4]
            if problem_matches(problem, c)][:limit]
