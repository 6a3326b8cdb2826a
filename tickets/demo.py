"""Demo data for the case spine: organizations, products, categories, customers and cases.

`seed(stdout)` makes the reference data and the customers; `seed_cases(stdout)` runs last
(after every app's demo) and drives a few hundred cases through the services into every
state, so each has a real event history. Both are idempotent: rows are found by their
natural key and left alone when present, and cases carry `custom_fields["demo_seq"]`,
so a second run finds them all and writes nothing.
"""

from __future__ import annotations

import random
import traceback

from django.contrib.auth.hashers import make_password
from django.db import transaction

from helpdesk.errors import DomainError
from tickets.models import Case, Category, Channel, Organization, Priority, Product, Role, State, Tier, User

DEMO_PASSWORD = "demo-Pass-123"
DEMO_CASES = 320

# (username, what the login shows) — printed by seed_demo and runall when the user exists.
DEMO_LOGINS = [
    ("admin", "administrator (Django admin too)"),
    ("manager", "manager of Support L1 and L2"),
    ("agent", "agent, Support L1 (Asia/Manila)"),
    ("agent-l2", "agent, Support L2 (Europe/Dublin)"),
    ("finance-demo", "department member, Finance (America/Chicago)"),
    ("engineering-demo", "department member, Engineering (Europe/Dublin)"),
    ("customer", "customer at Globex"),
    ("orgadmin", "customer, administrator of Initech Group"),
]

PRODUCTS = [
    ("Payments Gateway", "payments", "Payments"),
    ("Mobile Banking App", "mobile-app", "Mobile"),
    ("Corporate Cards", "cards", "Cards"),
    ("Online Store", "store", "Commerce"),
    ("Smart Thermostat", "thermostat", "Devices"),
    ("Reporting Suite", "reporting", "Analytics"),
]

CATEGORIES = {
    ("Billing", "billing"): [("Invoice", "invoice"), ("Payment failed", "payment-failed"), ("Pricing", "pricing")],
    ("Technical", "technical"): [("Login", "login"), ("Bug", "bug"), ("Performance", "performance"),
                                 ("Integration", "integration")],
    ("Account", "account"): [("Access", "access"), ("Profile", "profile"), ("Closure", "closure")],
    ("Refund", "refund"): [("Refund request", "refund-request"), ("Chargeback", "chargeback")],
    ("Feedback", "feedback"): [("Feature request", "feature-request"), ("Complaint", "complaint"),
                               ("Praise", "praise")],
}

# (name, parent, tier, domain, entitled product slugs)
ORGANIZATIONS = [
    ("Initech Group", None, Tier.ENTERPRISE, "initech.example", ["payments", "cards", "reporting", "mobile-app"]),
    ("Initech Europe", "Initech Group", Tier.ENTERPRISE, "eu.initech.example", ["payments", "cards"]),
    ("Initech Asia", "Initech Group", Tier.ENTERPRISE, "asia.initech.example", ["payments", "reporting"]),
    ("Globex", None, Tier.PREMIUM, "globex.example", ["store", "payments", "mobile-app"]),
    ("Umbrella Retail", None, Tier.PREMIUM, "umbrella.example", ["store", "thermostat"]),
    ("Hooli", None, Tier.STANDARD, "hooli.example", ["mobile-app"]),
    ("Stark Cafe", None, Tier.STANDARD, "starkcafe.example", ["store"]),
]

# (username, first, last, organization or None, org admin, time zone)
CUSTOMERS = [
    ("customer", "Carol", "Diaz", "Globex", False, "America/Chicago"),
    ("orgadmin", "Olga", "Berg", "Initech Group", True, "Europe/Dublin"),
    ("eu-admin", "Eamon", "Walsh", "Initech Europe", True, "Europe/Dublin"),
    ("asia-buyer", "Aiko", "Tan", "Initech Asia", False, "Asia/Manila"),
    ("asia-ops", "Paolo", "Reyes", "Initech Asia", False, "Asia/Manila"),
    ("eu-finance", "Fiona", "Byrne", "Initech Europe", False, "Europe/Dublin"),
    ("globex-admin", "Hank", "Scorpio", "Globex", True, "America/Chicago"),
    ("globex-dev", "Gina", "Lopez", "Globex", False, "America/Chicago"),
    ("umbrella-it", "Umar", "Khan", "Umbrella Retail", False, "Europe/Dublin"),
    ("umbrella-shop", "Uma", "Patel", "Umbrella Retail", False, "Europe/Dublin"),
    ("hooli-pm", "Henry", "Ng", "Hooli", False, "America/Chicago"),
    ("stark-owner", "Sara", "Stark", "Stark Cafe", True, "America/Chicago"),
    ("walkin", "Wendy", "Moss", None, False, "Asia/Manila"),
    ("guest", "Gus", "Ito", None, False, "Europe/Dublin"),
]


def seed(stdout) -> None:
    """Create products, categories, the organization tree and the customers that are missing."""
    with transaction.atomic():
        products = {slug: Product.objects.get_or_create(slug=slug, defaults={"name": name, "area": area})[0]
                    for name, slug, area in PRODUCTS}
        for (name, slug), children in CATEGORIES.items():
            parent, _ = Category.objects.get_or_create(slug=slug, defaults={"name": name})
            for child_name, child_slug in children:
                Category.objects.get_or_create(slug=child_slug, defaults={"name": child_name, "parent": parent})
        orgs = {}
        for name, parent, tier, domain, entitled in ORGANIZATIONS:
            org, created = Organization.objects.get_or_create(
                name=name, defaults={"tier": tier, "domain": domain, "parent": orgs.get(parent)}
            )
            if created:
                org.entitled_products.set([products[s] for s in entitled])
            orgs[name] = org
        made = people_ensure(
            [dict(username=u, first_name=f, last_name=l, role=Role.CUSTOMER, organization=orgs.get(o),
                  is_org_admin=admin, time_zone=tz) for u, f, l, o, admin, tz in CUSTOMERS]
        )
    stdout.write(f"tickets demo: {len(products)} products, {Category.objects.count()} categories, "
                 f"{len(orgs)} organizations, {made} new customers\n")


def people_ensure(people: list[dict]) -> int:
    """Create the listed users that do not exist yet, all with the demo password; return how many.

    The password is hashed once for all of them: hashing is deliberately slow.
    """
    existing = set(User.objects.filter(username__in=[p["username"] for p in people]).values_list("username", flat=True))
    hashed = make_password(DEMO_PASSWORD)
    fresh = [User(password=hashed, email=f"{p['username']}@example.com", **p)
             for p in people if p["username"] not in existing]
    User.objects.bulk_create(fresh)
    return len(fresh)


def demo_logins() -> list[tuple[str, str]]:
    """Return the demo logins (username, description) that exist in this database."""
    present = set(User.objects.filter(username__in=[u for u, _ in DEMO_LOGINS]).values_list("username", flat=True))
    return [(u, what) for u, what in DEMO_LOGINS if u in present]


# --- cases --------------------------------------------------------------------------------

SUBJECTS = {
    "invoice": ["Invoice {n} shows the wrong VAT number", "Need a copy of invoice {n}"],
    "payment-failed": ["Card payment declined at checkout", "Direct debit failed for order {n}"],
    "pricing": ["Question about the premium plan price", "Discount not applied on renewal"],
    "login": ["Cannot sign in after password reset", "Two-factor code never arrives"],
    "bug": ["Export to CSV crashes with {n} rows", "Dashboard chart shows yesterday's data"],
    "performance": ["Reports take minutes to load", "App freezes when opening statements"],
    "integration": ["Webhook deliveries return 401", "API token rejected since this morning"],
    "access": ["Please give Maria access to the billing area", "Locked out after too many attempts"],
    "profile": ["Change the company address on file", "Update our contact e-mail"],
    "closure": ["Close our sandbox account", "How do we cancel the subscription?"],
    "refund-request": ["Refund for duplicate charge {n}", "Refund for the unused licences"],
    "chargeback": ["Chargeback notice for payment {n}", "Bank disputes transaction {n}"],
    "feature-request": ["Please add dark mode", "Bulk edit for product prices"],
    "complaint": ["Nobody answered my call yesterday", "Delivery arrived damaged"],
    "praise": ["Thanks to your team for the quick fix", "Great onboarding session"],
}
REPLIES = ["Thanks for reaching out, we are looking into it.", "Could you send a screenshot of the error?",
           "We have reproduced the problem and are working on a fix.", "This is fixed now; please confirm."]
NOTES = ["Checked the logs: the request failed with a timeout.", "Same root cause as last week's incident.",
         "Asked finance to verify the charge.", "Customer is on the enterprise tier; keep them posted."]
CUSTOMER_REPLIES = ["Here is the screenshot you asked for.", "It still happens this morning.",
                    "Thanks, that worked."]

# How many demo cases end in each state (the rest of DEMO_CASES cycles through them).
TARGETS = [State.NEW, State.TRIAGED, State.ASSIGNED, State.IN_PROGRESS, State.IN_PROGRESS,
           State.WAITING_ON_CUSTOMER, State.WAITING_ON_INTERNAL, State.RESOLVED, State.CLOSED, State.CLOSED,
           State.CANCELLED, State.MERGED]


def seed_cases(stdout, *, count: int = DEMO_CASES) -> None:
    """Create the demo cases that are missing and drive each through the services to its state."""
    from tickets.demo_cases import case_play

    done = {cf.get("demo_seq") for cf in Case.objects.filter(custom_fields__has_key="demo_seq")
            .values_list("custom_fields", flat=True)}
    todo = [i for i in range(count) if i not in done]
    if not todo:
        stdout.write(f"tickets demo: {count} demo cases already there\n")
        return
    cast = _cast()
    if cast is None:
        stdout.write("tickets demo: no agents or customers yet; run the tickets and workflows demos first\n")
        return
    failures = 0
    for seq in todo:
        rng = random.Random(7919 * (seq + 1))
        try:
            case_play(seq=seq, rng=rng, cast=cast, target=TARGETS[seq % len(TARGETS)])
        except DomainError as exc:  # a refusal by another app's rule must not stop the demo
            failures += 1
            stdout.write(f"tickets demo: case {seq} stopped early: {exc}\n")
        except Exception as exc:  # a bug elsewhere: that case is rolled back, the rest still load
            failures += 1
            if failures == 1:
                stdout.write(f"tickets demo: case {seq} NOT made:\n{traceback.format_exc()}")
            else:
                stdout.write(f"tickets demo: case {seq} NOT made: {exc!r}\n")
    counts = {s: Case.objects.filter(custom_fields__has_key="demo_seq", state=s).count() for s in State.values}
    stdout.write(f"tickets demo: {len(todo) - failures} cases made; by state "
                 + ", ".join(f"{s} {n}" for s, n in counts.items()) + "\n")


def _cast() -> dict | None:
    """Gather who plays in the demo cases: customers, support teams and their agents."""
    from workflows.models import Team

    customers = list(User.objects.filter(role=Role.CUSTOMER, username__in=[c[0] for c in CUSTOMERS])
                     .select_related("organization"))
    teams = {t.slug: t for t in Team.objects.filter(slug__in=["support-l1", "support-l2"])}
    if not customers or len(teams) < 2:
        return None
    agents = {slug: list(User.objects.filter(memberships__team=team, role=Role.AGENT).order_by("pk"))
              for slug, team in teams.items()}
    if not all(agents.values()):
        return None
    categories = {c.slug: c for c in Category.objects.filter(slug__in=SUBJECTS)}
    products = list(Product.objects.filter(slug__in=[p[1] for p in PRODUCTS]))
    by_team = {teams[slug].pk: people for slug, people in agents.items()}
    return {"customers": customers, "teams": teams, "agents": agents, "by_team": by_team, "categories": categories,
            "products": products, "priorities": Priority.values, "channels": Channel.values}
