"""Choosing who in a team gets a case: manual, round-robin, least-loaded or skill-based.

Every strategy skips people who are away, off shift, or full (open cases at their
capacity), and managers (they get cases by escalation, not by the queue). Inside a
transaction the team's row is locked first, so two cases created at the same moment
are placed one after the other and never both take the last free slot.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction

from helpdesk import clock
from sla.models import Shift
from tickets.models import OPEN_STATES, Case, User
from workflows.models import Absence, Membership, MembershipRole, SkillKind, Strategy, Team


@dataclass
class Choice:
    """Who was chosen (or None), by which strategy, why, and how every member fared."""

    user: object | None
    strategy: str
    reason: str
    considered: list[dict] = field(default_factory=list)

    def as_data(self) -> dict:
        return {"strategy": self.strategy, "chosen": self.user.pk if self.user else None,
                "chosen_name": str(self.user) if self.user else "", "why": self.reason,
                "considered": self.considered}


def assignee_pick(*, team, case=None, exclude_user_ids: Collection[int] = ()):
    """Return the member of `team` who should take the work next by the team's strategy, or None.

    None when the strategy is manual or nobody is available (all away, off shift or full).
    """
    return assignment_choose(team=team, case=case, exclude_user_ids=exclude_user_ids).user


def assignment_choose(*, team, case=None, exclude_user_ids: Collection[int] = (), strategy: str | None = None,
                      at: datetime | None = None, commit: bool = True, team_locked: bool = False) -> Choice:
    """Return the `Choice` for `case` in `team`, with the reason and every member's standing.

    Inside a transaction the team row is locked until commit, which serialises concurrent
    choices for one team on PostgreSQL. With `commit=False` (dry runs) nothing is locked
    and the round-robin turn does not move. `team_locked` says the caller already holds
    the team's row lock.
    """
    from sla.selectors.shifts import off_shift_user_ids

    strategy = strategy or team.assignment_strategy
    if strategy == Strategy.MANUAL:
        return Choice(None, strategy, f"{team} assigns by hand: the case waits in the team queue.")
    at = at or clock.now()
    if commit and not team_locked and transaction.get_connection().in_atomic_block:
        team = Team.objects.select_for_update().get(pk=team.pk)
    members = _members(team, at)
    if not members:
        return Choice(None, strategy, f"{team} has no members who take cases.")
    # A team without shifts is always on duty (the selector's rule); only ask it when there are shifts.
    off_shift = set(off_shift_user_ids(team=team, at=at)) if members[0].team_has_shifts else set()
    excluded = set(exclude_user_ids)
    considered, eligible = [], []
    for m in members:
        capacity = m.capacity if m.capacity is not None else team.default_capacity
        row = {"user": m.user.pk, "name": str(m.user), "open": m.open_cases, "capacity": capacity}
        if m.user.pk in excluded:
            row["skipped"] = "excluded"
        elif m.is_away:
            row["skipped"] = "away"
        elif m.user.pk in off_shift:
            row["skipped"] = "off shift"
        elif capacity and row["open"] >= capacity:
            row["skipped"] = "full"
        else:
            eligible.append((m, row))
        considered.append(row)
    if not eligible:
        return Choice(None, strategy, f"Nobody in {team} is available (away, off shift or full); the case waits in the queue.",
                      considered)
    if strategy == Strategy.ROUND_ROBIN:
        member, why = _round_robin(team, eligible, commit=commit)
    elif strategy == Strategy.SKILL_BASED:
        member, why = _skill_based(case, eligible)
    else:
        member, why = _least_loaded(eligible)
    return Choice(member.user, strategy, why, considered)


@dataclass
class Member:
    """A team member who takes cases, with what the choice needs to know about them now."""

    user: User
    membership_id: int
    capacity: int | None
    joined_at: datetime
    open_cases: int
    is_away: bool
    team_has_shifts: bool


@functools.cache
def _members_sql() -> str:
    quote = connection.ops.quote_name
    user_columns = ", ".join(f"u.{quote(f.column)}" for f in User._meta.concrete_fields)
    states = ", ".join(["%s"] * len(OPEN_STATES))
    return (
        f"SELECT {user_columns}, m.id AS membership_id, m.capacity AS member_capacity, "
        f"m.joined_at AS member_joined_at, "
        f"(SELECT COUNT(*) FROM {Case._meta.db_table} c WHERE c.assignee_id = m.user_id AND c.state IN ({states})) "
        f"AS open_cases, "
        f"EXISTS (SELECT 1 FROM {Absence._meta.db_table} a WHERE a.user_id = m.user_id AND a.starts_at <= %s "
        f"AND a.ends_at > %s) AS is_away, "
        f"EXISTS (SELECT 1 FROM {Shift._meta.db_table} s WHERE s.team_id = m.team_id) AS team_has_shifts "
        f"FROM {Membership._meta.db_table} m INNER JOIN {User._meta.db_table} u ON u.id = m.user_id "
        f"WHERE m.team_id = %s AND u.is_active = %s AND m.role <> %s ORDER BY m.user_id"
    )


def _members(team, at: datetime) -> list[Member]:
    """Return the active members of `team` but managers, by user id, with their open cases and absence at `at`.

    One hand-written statement (table names from the models): building the same query
    through the ORM, with its two subqueries and the user's columns, took longer than
    running it, on the path every new case takes (bench/routing.md).
    """
    moment = connection.ops.adapt_datetimefield_value(at)
    params = [*OPEN_STATES, moment, moment, team.pk, True, MembershipRole.MANAGER]
    return [Member(user=u, membership_id=u.membership_id, capacity=u.member_capacity, joined_at=u.member_joined_at,
                   open_cases=u.open_cases, is_away=bool(u.is_away), team_has_shifts=bool(u.team_has_shifts))
            for u in User.objects.raw(_members_sql(), params)]


def _least_loaded(eligible) -> tuple[Member, str]:
    member, row = min(eligible, key=lambda mr: (mr[1]["open"] / mr[1]["capacity"] if mr[1]["capacity"] else mr[1]["open"],
                                                mr[1]["open"], mr[0].joined_at, mr[0].user.pk))
    return member, f"{member.user} has the lightest load ({row['open']} open of {row['capacity'] or 'unlimited'})."


def _round_robin(team, eligible, *, commit: bool) -> tuple[Member, str]:
    last = team.last_assigned_id or 0
    after = [mr for mr in eligible if mr[0].user.pk > last]
    member = (after or eligible)[0][0]
    if commit:
        Team.objects.filter(pk=team.pk).update(last_assigned=member.user.pk)
    return member, f"{member.user} is next in turn after {'the last pick' if last else 'the start'}."


def case_skill_needs(case) -> set[tuple[str, str]]:
    """Return the (kind, code) skills a case calls for: its category path, product and language."""
    if case is None:
        return set()
    needs = set()
    if case.category_id:
        needs |= {(SkillKind.CATEGORY, c.slug) for c in case.category.ancestors_and_self()}
    if case.product_id:
        needs.add((SkillKind.PRODUCT, case.product.slug))
    language = (case.custom_fields or {}).get("language")
    if isinstance(language, str) and language:
        needs.add((SkillKind.LANGUAGE, language.lower()))
    return needs


def _skill_based(case, eligible) -> tuple[Member, str]:
    needs = case_skill_needs(case)
    skills = {}
    if needs:
        through = Membership.skills.through.objects.filter(membership_id__in=[m.membership_id for m, _ in eligible])
        for membership_id, kind, code in through.values_list("membership_id", "skill__kind", "skill__code"):
            skills.setdefault(membership_id, set()).add((kind, code))
    for m, row in eligible:
        row["skills_matched"] = sorted(code for _, code in skills.get(m.membership_id, set()) & needs)
    best = max(len(row["skills_matched"]) for _, row in eligible)
    if best == 0:
        member, why = _least_loaded(eligible)
        return member, f"No available member has a skill this case needs; {why}"
    top = [(m, row) for m, row in eligible if len(row["skills_matched"]) == best]
    member, why = _least_loaded(top)
    matched = ", ".join(next(row for m, row in top if m is member)["skills_matched"])
    return member, f"{member.user} has the skills this case needs ({matched}); {why}"
