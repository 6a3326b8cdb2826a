"""Skills a team member has: a category, a product or a language they handle well."""

from django.db import models


class SkillKind(models.TextChoices):
    CATEGORY = "category", "Category"
    PRODUCT = "product", "Product"
    LANGUAGE = "language", "Language"


class Skill(models.Model):
    """One thing a member is good at; `code` is the category or product slug, or a language code."""

    kind = models.CharField(max_length=20, choices=SkillKind.choices)
    code = models.SlugField(max_length=80)
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="skill_unique")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.name or self.code}"
