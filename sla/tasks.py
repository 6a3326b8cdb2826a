"""Beat jobs of the SLA engine: the clock sweep and the follow-the-sun handover.

Both are idempotent and safe with `acks_late`: running them twice, or on two workers,
fires each checkpoint and hands over each shift end once.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="sla.sweep_clocks", ignore_result=True)
def sweep_clocks() -> int:
    """Fire the warnings and breaches that are due; return how many fired."""
    from sla.services.sweeps import clocks_sweep

    return clocks_sweep()


@shared_task(name="sla.run_handovers", ignore_result=True)
def run_handovers() -> int:
    """Hand over round-the-clock cases at the shift ends that have passed; return how many runs."""
    from sla.services.handover import handovers_run

    return len(handovers_run())
