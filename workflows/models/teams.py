"""Teams (support tiers and departments) and the people in them."""

from django.conf import settings
from django.db import models


class TeamKind(models.TextChoices):
    SUPPORT = "support", "Support tier"
    DEPARTMENT = "department", "Department"


class Strategy(models.TextChoices):
    MANUAL = "manual", "Manual (queue only)"
    ROUND_ROBIN = "round_robin", "Round-robin"
    LEAST_LOADED = "least_loaded", "Least loaded (respects capacity)"
    SKILL_BASED = "skill_based", "Skill-based"


class Team(models.Model):
    """A group that owns a queue: a support tier (L1, L2) or a department (finance ...).

    `assignment_strategy` says how an owner is chosen, `assign_on_arrival` whether routing
    chooses one as soon as a case lands in the queue; `default_capacity` is how many open
    cases a member holds at once unless their membership says otherwise.
    """

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
    assignment_strategy = models.CharField(max_length=20, choices=Strategy.choices, default=Strategy.LEAST_LOADED)
    assign_on_arrival = models.BooleanField(
        default=False,
        help_text="Give cases routed to this team an owner at once by the strategy. Otherwise agents take them "
                  "from the queue; escalations, absence handovers and tasks still pick by the strategy.",
    )
    default_capacity = models.PositiveSmallIntegerField(
        default=10, help_text="Open cases a member holds at once; 0 means no limit."
    )
    # Round-robin cursor: the member picked last, so the next pick starts after them.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

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
    capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Open cases at once for this person; empty uses the team's default, 0 no limit."
    )
    skills = models.ManyToManyField("workflows.Skill", blank=True, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "user"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def effective_capacity(self) -> int:
        """Return the open-case limit for this member (0: no limit)."""
        return self.capacity if self.capacity is not None else self.team.default_capacity
