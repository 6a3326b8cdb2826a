from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "SLA"

    def ready(self):
        from django.db.models.signals import m2m_changed

        from sla.models import BusinessInterval, Calendar, CustomHoliday, Policy, Target
        from sla.services.policies import active_copy

        # Cache upkeep only: this process forgets its copy of the policies when one changes.
        active_copy.watch(Policy, Target, Calendar, BusinessInterval, CustomHoliday)
        for through in (Policy.products.through, Policy.categories.through):
            m2m_changed.connect(active_copy.forget, sender=through, dispatch_uid=f"sla-forget-{through.__name__}",
                                weak=False)
