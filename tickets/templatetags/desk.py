"""Template tags of the agent workspace: the queue navigation any desk page can show."""

from django import template

from tickets import queues
from tickets.models import SavedView

register = template.Library()


@register.inclusion_tag("desk/_nav.html", takes_context=True)
def desk_nav(context):
    """Render the queues with their counts and the user's saved views."""
    request = context["request"]
    counts = queues.queue_counts(request.user)
    current = getattr(request, "resolver_match", None)
    current_key = current.kwargs.get("key") if current and current.url_name == "queue" else None
    views = list(SavedView.objects.filter(owner=request.user))
    teams = list(request.user.memberships.select_related("team").order_by("team__name").values_list(
        "team__slug", "team__name", "team__kind"))
    from tickets.views.desk import saved_view_url

    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "queues": [(q.key, q.label, counts.get(q.key, "0")) for q in queues.QUEUES],
        "current_key": current_key,
        "views": [(v, saved_view_url(v)) for v in views],
        "current_path": request.get_full_path(),
        "teams": teams,
        "is_manager": request.user.is_manager_role,
    }


@register.filter
def state_class(value) -> str:
    return f"state-{str(value).replace('_', '-')}"


@register.filter
def priority_class(value) -> str:
    return f"prio-{str(value).lower()}"
