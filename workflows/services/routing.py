"""Routing: which team a case goes to, with what priority and tags, and who takes it.

Rules are compiled once per process. A rule saved or deleted in this process drops the
compiled copy at once (a signal); another process's edit is noticed within
RECHECK_SECONDS, when one small aggregate query compares the rules' signature (count,
revisions, last change, last id) with the compiled copy's. First match wins; a rule that
fails at run time is recorded and skipped, and the default rule, which always exists,
catches the rest. Every decision is a `routing` event naming the rule, the conditions
that held and why the assignee was chosen; the rule's actions are written onto the case
in one write (`tickets.services.routing_writes.case_place`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Sum

from helpdesk.errors import DomainError
from helpdesk.eventlog import Actor
from tickets.models import CaseEvent, EventKind
from tickets.services.events import case_events_record_many
from tickets.services.routing_writes import case_place
from workflows.models import RoutingRule, Strategy, Team
from workflows.rules.matching import CompiledRule, RuleFailure, compile_conditions, first_match
from workflows.selectors.facts import case_facts
from workflows.services.assignment import Choice, assignment_choose
from workflows.services.notifications import notify

DEFAULT_RULE_NAME = "Default queue"
DEFAULT_POSITION = 2**31 - 1

# Other processes' edits are noticed within this many seconds; this process's at once.
RECHECK_SECONDS = 2.0
_compiled: dict[str, Any] = {"signature": None, "rules": (), "fields": frozenset(), "checked": 0.0}
_compiled_lock = threading.Lock()


def routing_rules_forget(**_kwargs) -> None:
    """Drop this process's compiled rules (connected to rule saves and deletes), now and on commit.

    Dropping them again on commit covers another thread of this process that compiled
    the rules between the save and its commit, and so compiled the old ones.
    """
    _forget()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_forget)


def _forget() -> None:
    with _compiled_lock:
        _compiled["signature"] = None


def routing_rule_default() -> RoutingRule:
    """Return the default rule, creating it when it is missing."""
    rule = RoutingRule.objects.filter(is_default=True).first()
    if rule is None:
        rule, _ = RoutingRule.objects.get_or_create(
            is_default=True,
            defaults={"name": DEFAULT_RULE_NAME, "position": DEFAULT_POSITION, "conditions": [], "actions": {},
                      "description": "Catches every case no other rule takes."},
        )
    return rule


def routing_rules_compiled() -> tuple[CompiledRule, ...]:
    """Return the active rules in order, compiled; recompiled only when a rule changed.

    The rules' signature (count, revisions, last change) is read at most every
    RECHECK_SECONDS (a monotonic timer, not the wall clock); a save in this process
    drops the cache at once through a signal.
    """
    with _compiled_lock:
        if _compiled["signature"] is not None and time.monotonic() - _compiled["checked"] < RECHECK_SECONDS:
            return _compiled["rules"]
    signature = tuple(RoutingRule.objects.filter(is_active=True).aggregate(
        n=Count("id"), revisions=Sum("revision"), changed=Max("updated_at"), last=Max("id")).values())
    with _compiled_lock:
        if _compiled["signature"] == signature:
            _compiled["checked"] = time.monotonic()
            return _compiled["rules"]
    rows = list(RoutingRule.objects.filter(is_active=True).order_by("is_default", "position", "id"))
    if not any(r.is_default for r in rows):
        rows.append(routing_rule_default())
    rules = tuple(_compile(r) for r in rows)
    fields = frozenset(c.field.split(".", 1)[0] for r in rules for c in r.conditions)
    with _compiled_lock:
        _compiled.update(signature=signature, rules=rules, fields=fields, checked=time.monotonic())
    return rules


def routing_fields_used() -> frozenset[str]:
    """Return the fact names the active rules read (so facts nobody reads are not loaded)."""
    routing_rules_compiled()
    return _compiled["fields"]


def _compile(rule: RoutingRule) -> CompiledRule:
    try:
        conditions = compile_conditions(rule.conditions or [])
    except Exception as exc:  # stored by a path that skipped validation: fail this rule only
        message = f"cannot compile: {exc}"

        def broken(_actual, message=message):
            raise RuleFailure(message)

        from workflows.rules.matching import Condition

        conditions = (Condition("-", "compile", None, broken),)
    return CompiledRule(id=rule.pk, name=rule.name, conditions=conditions, actions=dict(rule.actions or {}),
                        is_default=rule.is_default)


@dataclass
class Plan:
    """Where a case would go and why: the rule, its conditions, the team, the assignee."""

    rule: CompiledRule | None
    held: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    team: Team | None = None
    priority: str | None = None
    add_tags: list[str] = field(default_factory=list)
    choice: Choice | None = None
    kept_team: bool = False
    note: str = ""

    def as_data(self) -> dict:
        return {
            "rule": self.rule.name if self.rule else None,
            "rule_id": self.rule.id if self.rule else None,
            "conditions": self.held,
            "skipped_rules": self.failures,
            "team": self.team.pk if self.team else None,
            "team_name": str(self.team) if self.team else "",
            "priority": self.priority,
            "add_tags": self.add_tags,
            "kept_team": self.kept_team,
            "note": self.note,
            "assignment": self.choice.as_data() if self.choice else None,
        }


def routing_plan(*, facts: dict, current_team: Team | None = None, lock: bool = False) -> Plan:
    """Decide the rule and its resolved actions for `facts`; failing rules are skipped.

    With `lock` the chosen team's row is locked (for the assignment that follows).
    """
    rules = routing_rules_compiled()
    failures: list[dict] = []
    remaining = rules
    while True:
        match = first_match(remaining, facts)
        failures += match.failures
        if match.rule is None:
            return Plan(rule=None, failures=failures, team=current_team,
                        note="No rule matched (every rule failed); the case stays where it is.")
        try:
            plan = _resolve(match.rule, facts, lock=lock)
        except RuleFailure as exc:
            failures.append({"rule": match.rule.name, "rule_id": match.rule.id, "error": str(exc)})
            index = next(i for i, r in enumerate(remaining) if r.id == match.rule.id)
            remaining = remaining[index + 1:]
            continue
        plan.held, plan.failures = match.held, failures
        if plan.team is None:
            plan.team = current_team
        return plan


def _resolve(rule: CompiledRule, facts: dict, *, lock: bool = False) -> Plan:
    actions = rule.actions
    team = None
    if actions.get("team"):
        teams = Team.objects.filter(slug=actions["team"], is_active=True)
        team = (teams.select_for_update() if lock else teams).first()
        if team is None:
            raise RuleFailure(f"the team {actions['team']!r} no longer exists or is inactive")
    priority = actions.get("priority")
    if priority is not None and priority not in ("P1", "P2", "P3", "P4"):
        raise RuleFailure(f"unknown priority {priority!r}")
    return Plan(rule=rule, team=team, priority=priority if priority != facts.get("priority") else None,
                add_tags=[t.lower() for t in actions.get("add_tags") or [] if t.lower() not in facts.get("tags", [])])


def new_case_routing(*, case, tags: list[str]) -> Plan | None:
    """Decide routing for a case about to be created; None when routing would leave it as it is.

    Decided as `case_route` decides on creation, from the unsaved case and its tag names,
    without locking or writing: a case routing leaves as it is can be written in one go
    with its clocks and events. Otherwise the plan goes to `case_route` once the case is
    written, which locks the chosen team's row then (or decides again when that team went
    inactive meanwhile) instead of matching the rules a second time.
    """
    if case.team_id is not None:
        if assigns_on_arrival(case.team, None) and case.assignee_id is None:
            return Plan(rule=None, team=case.team, kept_team=True)  # `case_route` finds its owner
        return None
    plan = routing_plan(facts=case_facts(case, needed=routing_fields_used(), tags=tags), current_team=None)
    return None if plan.team is None and _changes_nothing(plan, case, False) else plan


def _locked(plan: Plan) -> Plan | None:
    """`plan`, decided without locks, with the row of the team its rule names locked now; None if that team is gone."""
    if plan.rule is None or plan.team is None or not plan.rule.actions.get("team"):
        return plan
    team = Team.objects.select_for_update().filter(pk=plan.team.pk, is_active=True).first()
    if team is None:
        return None
    plan.team = team
    return plan


def case_route(*, case, actor, trigger: str, lead: list[dict] = (), plan: Plan | None = None) -> list[CaseEvent]:
    """Route `case` after `trigger` ("created" or "reclassified"); return every event written.

    A case created with a team already set keeps it and only gets an assignee by that
    team's strategy. Otherwise the first matching rule sets team, priority and tags, and
    the team's strategy (or the rule's) picks the assignee, with the chosen team's row
    locked so two cases never both take a member's last free slot.

    Runs inside the transaction that holds the case row (creation, reclassification) and
    writes onto the caller's instance: one UPDATE, the routing decision and the field,
    tag and assignment events (the rule as actor) in one INSERT, one SLA reaction. The
    caller publishes the returned events with its own. When the actions cannot be applied
    (say the chosen owner is not active staff), nothing of them is written: the routing
    event and a failed routing event are recorded and the case stays where it was.

    `lead` holds events not written yet that come before routing's (a new case's
    `created` event, entries shaped like `case_event_record`'s arguments): they are
    written first in routing's INSERT when routing writes anything, else not at all, and
    the caller writes them. `plan`: the decision `new_case_routing` made before the case
    was written (creation only).
    """
    with transaction.atomic(savepoint=False):
        return _route(case, trigger, list(lead), plan)


def _route(case, trigger: str, lead: list[dict], decided: Plan | None = None) -> list[CaseEvent]:
    if trigger == "created" and case.team_id is not None:
        if not assigns_on_arrival(case.team, None) or case.assignee_id is not None:
            return []  # raised for a team whose agents take cases from the queue: nothing to decide
        plan = Plan(rule=None, team=case.team, kept_team=True,
                    note=f"The case was raised for {case.team} directly; routing rules were not applied.")
        label = f"{case.team} assignment"
    else:
        plan = (_locked(decided) if decided is not None and not decided.kept_team else None) or routing_plan(
            facts=case_facts(case, needed=routing_fields_used()), current_team=case.team, lock=True)
        label = plan.rule.name if plan.rule else "routing"
    rule_actor = Actor.rule(label)
    team_changes = plan.team is not None and plan.team.pk != case.team_id
    strategy = (plan.rule.actions.get("strategy") if plan.rule else None) or None
    needs_owner = plan.team is not None and (team_changes or case.assignee_id is None)
    if needs_owner and not assigns_on_arrival(plan.team, strategy):
        plan.note = plan.note or f"{plan.team} takes new cases from its queue."
        needs_owner = team_changes  # a new team: the old owner does not follow the case
    elif needs_owner:
        # routing_plan locked a team it resolved from the rule; a kept team is locked here.
        plan.choice = assignment_choose(team=plan.team, case=case, strategy=strategy,
                                        team_locked=not plan.kept_team and plan.team.pk != case.team_id)
    elif plan.team is not None:
        plan.note = plan.note or f"The case stays with {case.assignee} in {plan.team}."
    if _changes_nothing(plan, case, team_changes):
        # Nothing to record: the case stays where it is and no rule failed on the way
        # (the explanation endpoint says so from the case itself).
        return []
    decision = {"kind": EventKind.ROUTING, "actor": rule_actor, "reason": _summary(plan, trigger),
                "before": {"team": case.team_id, "assignee": case.assignee_id, "priority": case.priority},
                "after": {"team": plan.team.pk if plan.team else None}, "data": {"trigger": trigger, **plan.as_data()}}
    # On a new team the old owner does not follow the case: None sends it to the queue.
    assignee = plan.choice.user if needs_owner and plan.choice else None
    try:
        events = case_place(
            case=case, actor=rule_actor, lead=[*lead, decision], priority=plan.priority, add_tags=plan.add_tags,
            reason="Set by routing rule.", assign=needs_owner, team=plan.team, assignee=assignee,
            assignment_reason=plan.choice.reason if plan.choice else plan.note,
            assignment_data={"routing": True, **(plan.choice.as_data() if plan.choice else {})},
            sla_react=trigger != "created",
        )
    except DomainError as exc:
        # case_place checks before it writes: nothing of the actions is in the database.
        return case_events_record_many(entries=[*({**e, "case": case} for e in lead), {"case": case, **decision}, {
            "case": case, "kind": EventKind.ROUTING, "actor": rule_actor,
            "reason": f"The actions of {label} failed ({exc.message}); the case stays in the default queue.",
            "data": {"trigger": trigger, "rule": label, "error": exc.message, "failed": True}}])
    if assignee is not None:
        why = plan.choice.reason
        transaction.on_commit(lambda: notify(recipients=[assignee], kind="assigned",
                                             title=f"Assigned to you: {case.subject}", case=case, body=why))
    return events


def assigns_on_arrival(team: Team, strategy: str | None) -> bool:
    """Tell whether a case landing in `team` gets an owner now (a rule's strategy says so too)."""
    if (strategy or team.assignment_strategy) == Strategy.MANUAL:
        return False
    return bool(strategy) or team.assign_on_arrival


def _changes_nothing(plan: Plan, case, team_changes: bool) -> bool:
    if plan.failures or team_changes or plan.priority or plan.add_tags:
        return False
    if plan.choice is not None and plan.choice.user is not None:
        return False
    return plan.kept_team or plan.rule is None or plan.rule.is_default


def _summary(plan: Plan, trigger: str) -> str:
    where = f"to {plan.team}" if plan.team else "to the triage queue"
    who = ""
    if plan.choice is not None:
        who = f" {plan.choice.reason}"
    if plan.kept_team:
        return f"{plan.note}{who}"
    if plan.rule is None:
        return plan.note
    held = "; ".join(f"{c['field']} {c['op']} {c['value']!r}" for c in plan.held) or "no conditions"
    return f"Rule {plan.rule.name!r} matched on {trigger} ({held}): {where}.{who}"

