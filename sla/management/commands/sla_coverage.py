"""Report the hours of the week when a 24x7 policy has nobody on duty."""

from django.core.management.base import BaseCommand

from helpdesk import clock
from sla.selectors.coverage import coverage_report


class Command(BaseCommand):
    help = "List, for every 24x7 policy, the hours of this week (UTC) with no team of its chain on duty."

    def add_arguments(self, parser):
        parser.add_argument("--fail-on-gap", action="store_true", help="Exit with status 1 when any gap exists.")

    def handle(self, *args, fail_on_gap=False, **options):
        report = coverage_report(at=clock.now())
        gaps = False
        if not report:
            self.stdout.write("No 24x7 policy is configured.")
        for row in report:
            teams = " -> ".join(row["teams"]) or "no teams"
            self.stdout.write(f"{row['policy']} (chain: {row['chain'] or 'none'}; {teams})")
            for warning in row["warnings"]:
                self.stdout.write(self.style.WARNING(f"  WARNING: {warning}"))
            for gap in row["gaps"]:
                gaps = True
                self.stdout.write(f"  nobody on duty {gap['start']:%a %H:%M} - {gap['end']:%a %H:%M} UTC ({gap['minutes']} min)")
            if not row["gaps"]:
                self.stdout.write(self.style.SUCCESS("  covered around the clock"))
        if gaps and fail_on_gap:
            raise SystemExit(1)
