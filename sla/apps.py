from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "SLA"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from sla.models import BusinessInterval, Calendar, CustomHoliday, Policy, Target
        from sla.services.policies import policies_forget

        # Cache upkeep only: this process forgets its copy of the policies when one changes.
        for model in (Policy, Target, Calendar, BusinessInterval, CustomHoliday):
            post_save.connect(policies_forget, sender=model, dispatch_uid=f"sla-forget-{model.__name__}-save", weak=False)
            post_delete.connect(policies_forget, sender=model, dispatch_uid=f"sla-forget-{model.__name__}-delete",
                                weak=False)
        for through in (Policy.products.through, Policy.categories.through):
            m2m_changed.connect(policies_forget, sender=through, dispatch_uid=f"sla-forget-{through.__name__}",
                                weak=False)
