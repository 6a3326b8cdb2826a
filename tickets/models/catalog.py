"""Reference data a case is classified by: products, the category tree and tags."""

from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    area = models.CharField(max_length=100, blank=True, help_text="Product area, for feedback reports.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Category(models.Model):
    """A node of the category tree (billing > refund, technical > login ...)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["parent_id", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return f"{self.parent} › {self.name}" if self.parent_id else self.name

    def ancestors_and_self(self) -> list["Category"]:
        """Return the path from the root down to this category."""
        path, node = [], self
        while node is not None:
            path.append(node)
            node = node.parent
        return path[::-1]


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
