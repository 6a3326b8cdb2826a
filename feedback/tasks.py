"""Background capture of product feedback cases."""

from celery import shared_task


@shared_task(acks_late=True)
def feedback_capture_cases(case_ids: list[int]) -> int:
    """Capture each case as product feedback (idempotent); return how many were new."""
    from feedback.models import FeedbackRequest
    from feedback.services import feedback_capture
    from tickets.models import Case

    before = FeedbackRequest.objects.filter(case_id__in=case_ids).count()
    for case in Case.objects.filter(pk__in=case_ids):
        feedback_capture(case=case)
    return FeedbackRequest.objects.filter(case_id__in=case_ids).count() - before
