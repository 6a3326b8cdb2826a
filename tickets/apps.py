from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Cases"

    def ready(self):
        from helpdesk.api import authentication
        from tickets import reference

        # Cache upkeep only: this process forgets its copy of products and categories when
        # one changes, and the API tokens it verified when a token, user or organization does.
        reference.watch()
        authentication.watch()
