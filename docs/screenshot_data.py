"""A small, idempotent demo set for the screenshots (and for trying the pages by hand).

It goes through the services like any user would, so the timelines are real. Logins:
`alice` (agent, Support L1 and Cards) and `carol@northwind.example` (customer), password
`demo-Pass-2024`.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from helpdesk import clock

PASSWORD = "demo-Pass-2024"


def seed() -> dict:
    """Create the people, reference data and a dozen cases if they are not there yet."""
    import time_machine

    from tickets.models import Case, Category, Macro, Organization, Priority, Product, Role, Tier, User
    from tickets.services.cases import case_assign, case_create, case_transition, comment_add
    from workflows import demo_forms
    from workflows.models import Membership, Team, TeamKind

    forms = demo_forms.seed()
    with transaction.atomic():
        l1, _ = Team.objects.get_or_create(slug="support-l1", defaults={"name": "Support L1", "kind": TeamKind.SUPPORT, "tier": 1})
        cards = Team.objects.get(slug="cards")
        products = [Product.objects.get_or_create(slug=s, defaults={"name": n})[0]
                    for s, n in [("payments-api", "Payments API"), ("mobile-app", "Mobile app"), ("debit-card", "Debit card")]]
        billing, _ = Category.objects.get_or_create(slug="billing", defaults={"name": "Billing"})
        refund, _ = Category.objects.get_or_create(slug="refund", defaults={"name": "Refund", "parent": billing})
        technical, _ = Category.objects.get_or_create(slug="technical", defaults={"name": "Technical"})
        login, _ = Category.objects.get_or_create(slug="login", defaults={"name": "Login", "parent": technical})
        org, _ = Organization.objects.get_or_create(name="Northwind Traders", defaults={"tier": Tier.PREMIUM, "domain": "northwind.example"})
        org.entitled_products.add(*products)

        def person(username, first, last, role, **extra):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, first_name=first, last_name=last, role=role,
                            email=extra.pop("email", f"{username}@example.com"), **extra)
                user.set_password(PASSWORD)
                user.save()
            return user

        alice = person("alice", "Alice", "Martin", Role.AGENT)
        ben = person("ben", "Ben", "Okafor", Role.AGENT)
        carol = person("carol@northwind.example", "Carol", "Diaz", Role.CUSTOMER,
                       email="carol@northwind.example", organization=org)
        dan = person("dan@northwind.example", "Dan", "Reyes", Role.CUSTOMER,
                     email="dan@northwind.example", organization=org)
        for user, team in [(alice, l1), (ben, l1), (alice, cards)]:
            Membership.objects.get_or_create(user=user, team=team)
        Macro.objects.get_or_create(name="Ask for a receipt", defaults={
            "body": "Thanks for getting in touch. Could you send us the receipt or a screenshot of the payment?",
            "set_category": refund, "transition": "wait_on_customer", "add_tags": "needs-receipt"})
        Macro.objects.get_or_create(name="Escalate to engineering (note)", defaults={
            "body": "Reproduced on our side; handing over to engineering with the logs attached.", "public": False,
            "set_priority": Priority.P2})

    if Case.objects.filter(requester=carol).exists():
        return {"agent": alice, "customer": carol, "forms": forms}
    start = clock.now() - timedelta(days=6)
    stories = [
        (carol, "Refund for duplicate charge on invoice 4471", refund, products[0], Priority.P2, "wait"),
        (dan, "Cannot sign in to the mobile app after update", login, products[1], Priority.P1, "progress"),
        (carol, "Card payment declined at checkout", billing, products[2], Priority.P2, "new"),
        (dan, "Export of transactions is missing March", technical, products[0], Priority.P3, "assigned"),
        (carol, "Change the billing contact for our account", billing, None, Priority.P4, "resolved"),
        (dan, "Two-factor codes arrive late", login, products[1], Priority.P3, "escalated"),
        (carol, "Webhook retries flood our endpoint", technical, products[0], Priority.P2, "new"),
        (dan, "Statement shows an unknown fee", billing, products[2], Priority.P3, "closed"),
    ]
    for i, (who, subject, category, product, priority, story) in enumerate(stories):
        with time_machine.travel(start + timedelta(hours=9 * i), tick=False) as traveller:
            case = case_create(requester=who, subject=subject, category=category, product=product, priority=priority,
                               team=l1, description=f"{subject}. It started this week and affects our whole team. "
                                                    "We tried again this morning with the same result.")
            if story == "new":
                continue
            traveller.shift(timedelta(minutes=25))
            case_assign(case=case, assignee=alice if i % 3 else ben, actor=alice)
            agent = alice if i % 3 else ben
            if story == "assigned":
                continue
            traveller.shift(timedelta(minutes=40))
            case_transition(case=case, name="start", actor=agent)
            comment_add(case=case, author=agent, public=True,
                        body="Thanks for the details — I am looking into it now and will update you within the hour.")
            traveller.shift(timedelta(minutes=15))
            comment_add(case=case, author=agent, public=False,
                        body="Checked the ledger: the second charge is a pending authorisation, not a capture.")
            if story == "wait":
                case_transition(case=case, name="wait_on_customer", actor=agent, reason="Asked for the receipt")
            elif story == "escalated":
                case_transition(case=case, name="escalate", actor=agent, reason="Needs the identity team")
            elif story in ("resolved", "closed"):
                traveller.shift(timedelta(hours=2))
                comment_add(case=case, author=who, public=True, body="That worked, thank you!")
                case_transition(case=case, name="resolve", actor=agent)
                if story == "closed":
                    case_transition(case=case, name="close", actor=who)
    return {"agent": alice, "customer": carol, "forms": forms}
