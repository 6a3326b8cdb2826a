"""Demo request forms for the self-service catalog, with the teams that fulfil them.

`seed(stdout)` is idempotent: it creates what is missing and leaves the rest alone.
"""

from __future__ import annotations

from django.db import transaction

from tickets.models import Priority
from workflows.models import FieldType, RequestForm, RequestFormField, Team, TeamKind

TEAMS = {
    "accounts": ("Accounts", "Europe/London"),
    "cards": ("Cards", "Europe/Berlin"),
    "warranty": ("Warranty", "America/New_York"),
}

FORMS = [
    {
        "slug": "change-address", "title": "Change my address", "team": "accounts", "priority": "", "order": 1,
        "description": "Tell us your new postal address; statements and cards go there from the date you choose.",
        "fields": [
            ("Street and house number", "street", FieldType.TEXT, True, "", "", ""),
            ("Postcode", "postcode", FieldType.TEXT, True, "", r"[A-Za-z0-9 \-]{3,10}",
             "Use 3 to 10 letters, digits, spaces or hyphens."),
            ("City", "city", FieldType.TEXT, True, "", "", ""),
            ("Country", "country", FieldType.CHOICE, True, "United Kingdom\nGermany\nFrance\nNetherlands\nUnited States", "", ""),
            ("Moving date", "moving_date", FieldType.DATE, True, "", "", ""),
        ],
    },
    {
        "slug": "lost-card", "title": "Report a lost or stolen card", "team": "cards", "priority": Priority.P1,
        "order": 0,
        "description": "We block the card at once and send you a new one. Call us as well if you see payments you did not make.",
        "fields": [
            ("Last four digits of the card", "last_four", FieldType.TEXT, True, "", r"\d{4}", "Enter exactly four digits."),
            ("What happened", "what_happened", FieldType.CHOICE, True, "Lost\nStolen\nNot sure", "", ""),
            ("When did you last have it", "last_seen", FieldType.DATE, True, "", "", ""),
            ("Where should we send the new card", "send_to", FieldType.CHOICE, True,
             "My address on file\nCollect at a branch", "", ""),
            ("Phone number we can reach you on", "phone", FieldType.TEXT, False, "", r"\+?[0-9 ()\-]{6,20}",
             "Enter a phone number of digits, spaces and an optional leading +."),
        ],
    },
    {
        "slug": "register-product", "title": "Register a product", "team": "warranty", "priority": "", "order": 2,
        "description": "Register a product you bought to activate its warranty.",
        "fields": [
            ("Product model", "model", FieldType.TEXT, True, "", "", ""),
            ("Serial number", "serial", FieldType.TEXT, True, "", r"[A-Za-z0-9\-]{6,30}",
             "Serial numbers have 6 to 30 letters, digits or hyphens."),
            ("Date of purchase", "purchased_on", FieldType.DATE, True, "", "", ""),
            ("Price paid", "price", FieldType.NUMBER, False, "", "", ""),
            ("E-mail for warranty notices", "notify_email", FieldType.EMAIL, False, "", "", ""),
        ],
    },
]


def seed(stdout=None) -> list[RequestForm]:
    """Create the accounts, cards and warranty teams and their three request forms if missing."""
    made = []
    with transaction.atomic():
        teams = {}
        for slug, (name, tz) in TEAMS.items():
            teams[slug], _ = Team.objects.get_or_create(
                slug=slug, defaults={"name": name, "kind": TeamKind.DEPARTMENT, "time_zone": tz}
            )
        for spec in FORMS:
            form, created = RequestForm.objects.get_or_create(
                slug=spec["slug"],
                defaults={
                    "title": spec["title"], "description": spec["description"], "team": teams[spec["team"]],
                    "priority": spec["priority"], "order": spec["order"], "bypass_customer_service": True,
                },
            )
            if created:
                RequestFormField.objects.bulk_create([
                    RequestFormField(form=form, label=label, name=name, type=kind, required=required,
                                     choices=choices, regex=regex, regex_message=message, order=i)
                    for i, (label, name, kind, required, choices, regex, message) in enumerate(spec["fields"])
                ])
            made.append(form)
    if stdout is not None:
        stdout.write(f"Request catalog: {len(made)} forms ({', '.join(f.title for f in made)}).\n")
    return made
