from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Cases"

    def ready(self):
        from tickets import reference

        # Cache upkeep only: this process forgets its copy of products and categories when one changes.
        reference.watch()
