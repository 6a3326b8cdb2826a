"""One demo case played through the services, step by step, to the state it should end in.

Each step is an ordinary service call by the person who would make it (the customer
raises and replies, an agent of the case's team triages, assigns, answers and resolves),
so the case gets the same events, clocks and routing as a real one. The next step is
chosen from the case's state as it is after the previous call, because routing, SLA
and automation rules of other apps may move a case on their own.
"""

from __future__ import annotations

import random

from django.db import transaction

from tickets.demo import CUSTOMER_REPLIES, NOTES, REPLIES, SUBJECTS
from tickets.models import OPEN_STATES, Case, Channel, Priority, State, User
from tickets.services.cases import case_assign, case_create, case_merge, case_transition, comment_add

TAGS = ["vip", "outage", "mobile", "eu", "renewal", "onboarding", "invoice", "security"]
CUSTOMER_CHANNELS = {Channel.WEB, Channel.EMAIL, Channel.CHAT, Channel.SOCIAL, Channel.FORM}
MAX_STEPS = 24


def case_play(*, seq: int, rng: random.Random, cast: dict, target: str) -> Case:
    """Create demo case number `seq` and drive it to `target`; all of it or nothing."""
    with transaction.atomic():
        play = _Play(seq=seq, rng=rng, cast=cast, target=target)
        play.create()
        for _ in range(MAX_STEPS):
            if not play.step():
                break
        return play.case


class _Play:
    def __init__(self, *, seq, rng, cast, target):
        self.seq, self.rng, self.cast, self.target = seq, rng, cast, target
        self.customer: User = rng.choice(cast["customers"])
        self.team_slug = "support-l2" if rng.random() < 0.25 else "support-l1"
        self.agent: User = rng.choice(cast["agents"][self.team_slug])
        self.reopen_once = target in (State.RESOLVED, State.CLOSED) and rng.random() < 0.15
        self.customer_round = target not in (State.NEW, State.TRIAGED, State.ASSIGNED) and rng.random() < 0.3
        self.escalate_once = target not in (State.NEW, State.CANCELLED, State.MERGED) and rng.random() < 0.12
        self.case: Case | None = None

    # --- the moves ----------------------------------------------------------------------
    def create(self) -> None:
        rng = self.rng
        slug = rng.choice(list(SUBJECTS))
        subject = rng.choice(SUBJECTS[slug]).format(n=rng.randint(1000, 99999))
        channel = rng.choice(self.cast["channels"])
        enterprise = bool(self.customer.organization and self.customer.organization.tier == "enterprise")
        priority = rng.choices(Priority.values, weights=[10, 30, 45, 15] if enterprise else [4, 18, 55, 23])[0]
        self.case = case_create(
            requester=self.customer,
            actor=self.customer if channel in CUSTOMER_CHANNELS else self.agent,
            subject=subject,
            description=f"{subject}.\n\nReported via {Channel(channel).label.lower()} by {self.customer}.",
            channel=channel,
            priority=priority,
            product=rng.choice(self.cast["products"]),
            category=self.cast["categories"].get(slug),
            # A new demo case waits in the untriaged queue; the rest start in a support tier.
            team=None if self.target == State.NEW else self.cast["teams"][self.team_slug],
            tags=rng.sample(TAGS, k=rng.choice([0, 0, 1, 2])),
            custom_fields={"demo_seq": self.seq},
        )

    def step(self) -> bool:
        """Make the next move towards the target; return False when there is nothing left to do."""
        case = self.case = Case.objects.select_related("assignee", "team").get(pk=self.case.pk)
        state, target = case.state, self.target
        if state == target and not (state == State.IN_PROGRESS and self.escalate_once):
            return False
        if state not in OPEN_STATES and state != State.RESOLVED:
            return False
        if target == State.CANCELLED:
            who = self.customer if state in (State.NEW, State.TRIAGED) else self._worker()
            self._move("cancel", who, "Withdrawn: the customer found the answer." if who == self.customer
                       else "Duplicate raised by phone; no work needed.")
        elif target == State.MERGED and state in (State.TRIAGED, State.ASSIGNED, State.IN_PROGRESS):
            return self._merge()
        elif state == State.NEW:
            if target == State.TRIAGED:
                self._move("triage", self._worker())
            else:
                self._assign()
        elif state == State.TRIAGED:
            self._assign()
        elif state == State.ASSIGNED:
            self._move("start", self._worker())
            if self.rng.random() < 0.75:
                self._reply(self.rng.choice(REPLIES[:2]))
        elif state == State.IN_PROGRESS:
            self._in_progress()
        elif state == State.WAITING_ON_CUSTOMER:
            comment_add(case=case.pk, author=self.customer, body=self.rng.choice(CUSTOMER_REPLIES), public=True)
        elif state == State.WAITING_ON_INTERNAL:
            self._move("resume", self._worker(), "Finance confirmed the charge.")
        elif state == State.RESOLVED:
            if self.reopen_once:
                self.reopen_once = False
                comment_add(case=case.pk, author=self.customer, body="It is broken again since the update.",
                            public=True)
            else:
                self._move("close", self.customer if self.rng.random() < 0.5 else self._worker(),
                           "The customer confirmed the fix.")
        return True

    def _in_progress(self) -> None:
        rng, target = self.rng, self.target
        if rng.random() < 0.4:
            comment_add(case=self.case.pk, author=self._worker(), body=rng.choice(NOTES), public=False)
        if self.escalate_once:
            self.escalate_once = False
            self._move("escalate", self._worker(), "Needs a specialist.")
        elif self.customer_round or target == State.WAITING_ON_CUSTOMER:
            self.customer_round = False
            self._reply("Could you tell us when this started and send the exact error message?")
            self._move("wait_on_customer", self._worker())
        elif target == State.WAITING_ON_INTERNAL:
            comment_add(case=self.case.pk, author=self._worker(), body="Waiting for finance to check the ledger.",
                        public=False, shared=True)
            self._move("wait_on_internal", self._worker(), "Handed to finance for a ledger check.")
        else:
            self._reply(REPLIES[-1])
            self._move("resolve", self._worker(), "Fixed and confirmed in the logs.")

    def _merge(self) -> bool:
        original = (Case.objects.filter(custom_fields__has_key="demo_seq", team_id=self.case.team_id,
                                        state__in=[State.TRIAGED, State.ASSIGNED, State.IN_PROGRESS])
                    .exclude(pk=self.case.pk).order_by("-pk").first())
        if original is None:
            self.target = State.CANCELLED
            return True
        case_merge(case=self.case.pk, into=original.pk, actor=self._worker(),
                   reason=f"Same problem as {original.reference}.")
        return False

    # --- the people ---------------------------------------------------------------------
    def _worker(self) -> User:
        """Return who works the case now: its assignee, else an agent of its team."""
        case = self.case
        if case.assignee_id:
            return case.assignee
        agents = self.cast["by_team"].get(case.team_id)
        return self.rng.choice(agents) if agents else self.agent

    def _assign(self) -> None:
        case = self.case
        team = case.team or self.cast["teams"][self.team_slug]
        agents = self.cast["by_team"].get(team.pk) or [self.agent]
        case_assign(case=case.pk, assignee=self.rng.choice(agents), team=team, actor=self._worker())

    def _move(self, name: str, who: User, reason: str = "") -> None:
        case_transition(case=self.case.pk, name=name, actor=who, reason=reason)

    def _reply(self, body: str) -> None:
        comment_add(case=self.case.pk, author=self._worker(), body=body, public=True)
