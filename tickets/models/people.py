"""People and organizations: users with a role, organizations with a tier and entitlements."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    MANAGER = "manager", "Manager"
    DEPARTMENT = "department", "Department member"
    ADMIN = "admin", "Administrator"


STAFF_ROLES = frozenset({Role.AGENT, Role.MANAGER, Role.DEPARTMENT, Role.ADMIN})


class Tier(models.TextChoices):
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"
    ENTERPRISE = "enterprise", "Enterprise"


class Organization(models.Model):
    """A customer company; organizations form a tree (a group and its subsidiaries)."""

    name = models.CharField(max_length=200, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.STANDARD, db_index=True)
    domain = models.CharField(max_length=200, blank=True, help_text="E-mail domain of its people.")
    entitled_products = models.ManyToManyField("tickets.Product", blank=True, related_name="entitled_organizations")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """Anyone who signs in: customers, agents, managers, department members and admins."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER, db_index=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    is_org_admin = models.BooleanField(
        default=False, help_text="May see and follow every case of their organization."
    )
    time_zone = models.CharField(max_length=64, default="UTC")

    class Meta:
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER and not self.is_superuser

    @property
    def is_staff_member(self) -> bool:
        """Tell whether the person works cases or tasks (any role but customer)."""
        return self.is_superuser or self.role in STAFF_ROLES

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_manager_role(self) -> bool:
        return self.is_admin_role or self.role == Role.MANAGER
