from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from feedback.services import feedback_categories_forget
        from tickets.models import Category

        # Cache upkeep only: forget the feedback category tree when a category changes.
        post_save.connect(feedback_categories_forget, sender=Category, dispatch_uid="feedback-forget-save", weak=False)
        post_delete.connect(feedback_categories_forget, sender=Category, dispatch_uid="feedback-forget-delete",
                            weak=False)
