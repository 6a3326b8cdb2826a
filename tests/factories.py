"""factory-boy factories for the domain; personas in conftest build on these."""

import factory
from factory.django import DjangoModelFactory

from tickets.models import Case, Category, Organization, Priority, Product, Role, Tier, User
from workflows.models import Membership, Team, TeamKind


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    tier = Tier.STANDARD


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.CUSTOMER
    password = factory.django.Password("pass-Word-123")


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER
    organization = factory.SubFactory(OrganizationFactory)


class AgentFactory(UserFactory):
    role = Role.AGENT


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    kind = TeamKind.SUPPORT
    tier = 1


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(AgentFactory)


class CaseFactory(DjangoModelFactory):
    """A bare case row; tests of behaviour create cases through `case_create` instead."""

    class Meta:
        model = Case

    subject = factory.Sequence(lambda n: f"Case {n}")
    description = "Something is wrong."
    requester = factory.SubFactory(CustomerFactory)
    organization = factory.LazyAttribute(lambda c: c.requester.organization)
    priority = Priority.P3
