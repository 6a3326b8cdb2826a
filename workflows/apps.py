from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from workflows import background  # noqa: F401  (registers the Celery tasks)
        from workflows.models import AutomationRule, RoutingRule, WebhookEndpoint
        from workflows.services.automation import automation_any_active, automation_rules_forget
        from workflows.services.routing import routing_rules_forget
        from workflows.services.webhooks import webhooks_any_active

        # Cache upkeep only: drop this process's compiled rules when one changes.
        for model, forget in ((RoutingRule, routing_rules_forget), (AutomationRule, automation_rules_forget)):
            post_save.connect(forget, sender=model, dispatch_uid=f"forget-{model.__name__}-save", weak=False)
            post_delete.connect(forget, sender=model, dispatch_uid=f"forget-{model.__name__}-delete", weak=False)
        automation_any_active.watch(AutomationRule)
        webhooks_any_active.watch(WebhookEndpoint)
