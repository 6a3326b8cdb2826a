"""Teams (support tiers and departments) and the people in them."""

from django.conf import settings
from django.db import models


class TeamKind(models.TextChoices):
    SUPPORT = "support", "Support tier"
    DEPARTMENT = "department", "Department"


class Team(models.Model):
    """A group that owns a queue: a support tier (L1, L2) or a department (finance ...)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=TeamKind.choices, default=TeamKind.SUPPORT, db_index=True)
    tier = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 for L1, 2 for L2 ...")
    time_zone = models.CharField(max_length=64, default="UTC")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MembershipRole(models.TextChoices):
    MEMBER = "member", "Member"
    LEAD = "lead", "Lead"
    MANAGER = "manager", "Manager"


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "user"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.role})"
