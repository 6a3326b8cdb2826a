"""Products and categories kept per process, and the tags of many cases read at once.

Every new case names a product and a category, and every list row and board message
shows them; the tables are small and edited rarely, so each process keeps a copy
(`helpdesk.process_copy`: forgotten on this process's own edits, reloaded after two
seconds otherwise) instead of asking the database on every request.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from helpdesk.process_copy import ProcessCopy

from tickets.models import Case, Category, Product, Tag


def _load_products() -> dict[int, Product]:
    return {p.pk: p for p in Product.objects.all()}


def _load_categories() -> dict[int, Category]:
    rows = {c.pk: c for c in Category.objects.all()}
    for category in rows.values():
        if category.parent_id in rows:
            category.parent = rows[category.parent_id]  # "Billing › Refund" without a query
    return rows


products = ProcessCopy("products", _load_products)
categories = ProcessCopy("categories", _load_categories)


def watch() -> None:
    """Connect the copies to this process's saves (called from `TicketsConfig.ready`)."""
    products.watch(Product)
    categories.watch(Category)


def product_get(pk: int | None, *, active: bool = False) -> Product | None:
    """Return the product with id `pk` (only an active one with `active`), or None."""
    row = products.get().get(pk) if pk is not None else None
    return row if row is not None and (row.is_active or not active) else None


def category_get(pk: int | None, *, active: bool = False) -> Category | None:
    """Return the category with id `pk`, its parents linked (only an active one with `active`), or None."""
    row = categories.get().get(pk) if pk is not None else None
    return row if row is not None and (row.is_active or not active) else None


def catalog_attach(cases: Iterable[Case]) -> None:
    """Give each case its product and category from this process's copy (no query).

    A row too new for the copy (made in another process within the last two seconds) is
    read from the database, as the case's own descriptor would.
    """
    for case in cases:
        if case.product_id is not None:
            row = product_get(case.product_id)
            if row is not None:
                case.product = row
        if case.category_id is not None:
            row = category_get(case.category_id)
            if row is not None:
                case.category = row


def tags_attach(cases: list[Case]) -> None:
    """Load the tags of `cases` in one statement, as `prefetch_related("tags")` would leave them."""
    if not cases:
        return
    through = Case.tags.through._meta.db_table
    wanted = ", ".join(["%s"] * len(cases))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ct.case_id, t.id, t.name FROM {through} ct JOIN {Tag._meta.db_table} t ON t.id = ct.tag_id "
            f"WHERE ct.case_id IN ({wanted}) ORDER BY t.name",
            [c.pk for c in cases],
        )
        rows = cursor.fetchall()
    by_case: dict[int, list[Tag]] = {c.pk: [] for c in cases}
    for case_id, tag_id, name in rows:
        by_case[case_id].append(Tag(pk=tag_id, name=name))
    for case in cases:
        tags_remember(case, by_case[case.pk])


def tags_remember(case: Case, tags: list[Tag]) -> None:
    """Set what `case.tags.all()` answers, as a prefetch leaves it, so rendering makes no query."""
    cache = case.__dict__.setdefault("_prefetched_objects_cache", {})
    cache.pop("tags", None)
    queryset = case.tags.get_queryset()  # lazy: the case's tags, should anyone filter further
    queryset._result_cache = sorted(tags, key=lambda t: t.name)
    queryset._prefetch_done = True
    cache["tags"] = queryset
