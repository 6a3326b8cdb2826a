"""Background work of a problem fix: split the linked cases into batches and apply each.

A batch applies the fix group by group, each group in one transaction with set-based
statements (`workflows.services.problems.problem_fix_cases`); a group that fails is
redone case by case, so one case that cannot be fixed leaves the others fixed.

Tasks take ids, re-fetch, and are idempotent: a case whose link is already marked applied
is skipped, and a customer already told is not told again, so a redelivered or repeated
batch changes nothing.
"""

from __future__ import annotations

import logging

from celery import shared_task

from workflows.models import Problem, ProblemLink, ProblemStatus

log = logging.getLogger(__name__)

# Cases per task, and per transaction inside a task. A group is a handful of statements
# (bench/problem_fix.md); at 10,000 cases every pair measured, from 250 to 1,000 per task
# and 50 to 250 per transaction finished within the noise of each other. These keep the
# row locks of a group short, the redo of a failed group cheap, and the two halves of
# the work even between worker processes.
BATCH_SIZE = 250
COMMIT_EVERY = 100


@shared_task(acks_late=True)
def problem_fix_dispatch(problem_id: int) -> int:
    """Queue one batch per BATCH_SIZE linked cases still waiting for the fix; return how many batches."""
    problem = Problem.objects.filter(pk=problem_id, state__in=[ProblemStatus.FIXED, ProblemStatus.CLOSED]).first()
    if problem is None:
        return 0
    ids = list(ProblemLink.objects.filter(problem=problem, fix_applied_at__isnull=True)
               .order_by("case_id").values_list("case_id", flat=True))
    if not ids:
        problem_fix_batch.delay(problem_id, [])
        return 0
    batches = [ids[i:i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]
    for batch in batches:
        problem_fix_batch.delay(problem_id, batch)
    return len(batches)


@shared_task(acks_late=True)
def problem_fix_batch(problem_id: int, case_ids: list[int]) -> int:
    """Apply the fix to each case of the batch; return how many cases changed."""
    from workflows.services.problems import problem_fix_cases, problem_fix_finish

    problem = Problem.objects.select_related("fixed_by").filter(pk=problem_id).first()
    if problem is None or problem.fixed_at is None:
        return 0
    changed = 0
    for start in range(0, len(case_ids), COMMIT_EVERY):
        group = case_ids[start:start + COMMIT_EVERY]
        try:
            changed += problem_fix_cases(problem=problem, case_ids=group)
        except Exception:
            # A refused case rolls its group back; redo the group one case at a time
            # so that only that case is left for a later run.
            log.warning("problem %s: group of %d cases failed; retrying one by one", problem_id, len(group))
            for case_id in group:
                try:
                    changed += problem_fix_cases(problem=problem, case_ids=[case_id])
                except Exception:
                    log.exception("problem %s: fix of case %s failed", problem_id, case_id)
    problem_fix_finish(problem=problem)
    return changed
