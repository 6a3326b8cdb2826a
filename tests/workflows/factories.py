"""Factories for routing, absences, escalation, automation and webhooks."""

from datetime import timedelta

import factory
from factory.django import DjangoModelFactory

from helpdesk import clock
from workflows.models import Absence, Skill, SkillKind


class SkillFactory(DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("kind", "code")

    kind = SkillKind.CATEGORY
    code = factory.Sequence(lambda n: f"skill-{n}")


class AbsenceFactory(DjangoModelFactory):
    class Meta:
        model = Absence

    starts_at = factory.LazyFunction(lambda: clock.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: clock.now() + timedelta(days=3))
