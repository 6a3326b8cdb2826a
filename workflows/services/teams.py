"""Writes to teams, memberships and skills, for managers (admin and API)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction

from helpdesk.errors import InvalidInput
from workflows.models import Membership, Skill, Strategy, Team, TeamKind

TEAM_FIELDS = {"name", "slug", "kind", "tier", "time_zone", "lead", "email", "is_active", "assignment_strategy",
               "assign_on_arrival", "default_capacity"}
MEMBERSHIP_FIELDS = {"role", "capacity", "skills"}


def team_save(*, team: Team | None = None, **values) -> Team:
    """Create or change a team; refuse an unknown time zone, kind or strategy."""
    unknown = set(values) - TEAM_FIELDS
    if unknown:
        raise InvalidInput("Unknown fields.", fields={f: ["Cannot be set."] for f in sorted(unknown)})
    if "time_zone" in values:
        try:
            ZoneInfo(values["time_zone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput("Unknown time zone.", fields={"time_zone": [f"{values['time_zone']!r} is not a time zone."]}) from None
    if "kind" in values and values["kind"] not in TeamKind.values:
        raise InvalidInput("Unknown kind.", fields={"kind": [f"Choose one of {', '.join(TeamKind.values)}."]})
    if "assignment_strategy" in values and values["assignment_strategy"] not in Strategy.values:
        raise InvalidInput("Unknown strategy.", fields={"assignment_strategy": [f"Choose one of {', '.join(Strategy.values)}."]})
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk) if team and team.pk else Team()
        for name, value in values.items():
            setattr(team, name, value)
        for field in ("name", "slug"):
            if Team.objects.filter(**{field: getattr(team, field)}).exclude(pk=team.pk).exists():
                raise InvalidInput(f"A team with this {field} exists.", fields={field: ["Already taken."]})
        team.save()
        return team


def membership_save(*, team: Team, user, **values) -> Membership:
    """Add `user` to `team` or change their role, capacity and skills."""
    unknown = set(values) - MEMBERSHIP_FIELDS
    if unknown:
        raise InvalidInput("Unknown fields.", fields={f: ["Cannot be set."] for f in sorted(unknown)})
    if not user.is_staff_member:
        raise InvalidInput("Only staff can join a team.", fields={"user": ["Not a staff member."]})
    skills = values.pop("skills", None)
    with transaction.atomic():
        membership, _ = Membership.objects.select_for_update().get_or_create(team=team, user=user)
        for name, value in values.items():
            setattr(membership, name, value)
        membership.save()
        if skills is not None:
            membership.skills.set(skills)
        return membership


def membership_delete(*, membership: Membership) -> None:
    """Take someone out of a team (their assigned cases stay with them until reassigned)."""
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).delete()


def skill_save(*, kind: str, code: str, name: str = "") -> Skill:
    """Create a skill, or return the existing one with this kind and code."""
    with transaction.atomic():
        skill, created = Skill.objects.get_or_create(kind=kind, code=code.lower(), defaults={"name": name})
        if not created and name and skill.name != name:
            skill.name = name
            skill.save(update_fields=["name"])
        return skill
