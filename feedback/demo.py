"""Demo data for product feedback: `seed(stdout)`, safe to run again."""

from __future__ import annotations

from django.db import transaction

from feedback.models import FeedbackItem, FeedbackRequest
from feedback.services import feedback_capture, feedback_request_move, feedback_status_set
from tickets.models import Category, Product, Role, User
from tickets.services.cases import case_create
from workflows.models import Membership, Team, TeamKind

# (product slug, product name if it must be made, area, subject, tags)
IDEAS = [
    ("mobile-app", "Mobile Banking App", "Mobile", "Dark mode for the mobile app", ["ui"]),
    ("mobile-app", "Mobile Banking App", "Mobile", "Please add a dark theme", ["ui"]),
    ("reporting", "Reporting Suite", "Analytics", "Export transactions to CSV", ["export"]),
    ("cards", "Corporate Cards", "Cards", "Freeze my card from the app", ["security"]),
    ("cards", "Corporate Cards", "Cards", "Virtual cards for online shopping", ["security"]),
]


def seed(stdout) -> None:
    """Create the feedback category, a product team member and feedback requests, once."""
    if FeedbackItem.objects.exists():
        stdout.write("feedback demo: already there\n")
        return
    with transaction.atomic():
        category, _ = Category.objects.get_or_create(slug="feedback", defaults={"name": "Feedback"})
        team, _ = Team.objects.get_or_create(slug="product", defaults={"name": "Product", "kind": TeamKind.DEPARTMENT})
        pm = User.objects.filter(memberships__team=team, is_active=True).first()
        if pm is None:
            pm = User.objects.filter(username="product-demo").first() or User.objects.create_user(
                username="product-demo", password="demo-Pass-123", role=Role.DEPARTMENT, email="product-demo@example.com")
            Membership.objects.get_or_create(team=team, user=pm)
        customers = list(User.objects.filter(role=Role.CUSTOMER, is_active=True).order_by("pk")[:5])
        if not customers:
            customers = [User.objects.create_user(username="feedback-customer", password="demo-Pass-123",
                                                  role=Role.CUSTOMER, email="feedback-customer@example.com")]
        requests = []
        for i, (slug, product_name, area, subject, tags) in enumerate(IDEAS):
            product, _ = Product.objects.get_or_create(slug=slug, defaults={"name": product_name, "area": area})
            case = case_create(requester=customers[i % len(customers)], subject=subject, category=category,
                               product=product, tags=tags)
            requests.append(feedback_capture(case=case))
        # The second dark-mode request is the same idea: group it, then plan it; decline one.
        feedback_request_move(request=requests[1], item=requests[0].item, actor=pm)
        feedback_status_set(item=requests[0].item, status="planned", actor=pm, note="Planned for the spring release.")
        feedback_status_set(item=requests[4].item, status="declined", actor=pm, note="Not this year.")
    stdout.write(f"feedback demo: {FeedbackItem.objects.count()} items from {FeedbackRequest.objects.count()} requests; "
                 f"product team login {pm.username}\n")
