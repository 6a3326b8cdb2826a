"""The case page's side panel saying why the case is where it is.

The case page includes it with `{% load routing_panel %}{% case_routing_panel case %}`;
it reads the same explanation as `GET /api/v1/cases/{ref}/routing/`.
"""

from django import template

from tickets.models import is_case_staff
from workflows.selectors.routing import case_routing_explanation

register = template.Library()


@register.inclusion_tag("workflows/_case_routing.html", takes_context=True)
def case_routing_panel(context, case):
    user = context["request"].user
    if not is_case_staff(user, case):
        return {"visible": False}  # routing internals are for the case's own staff
    return {"visible": True, "explanation": case_routing_explanation(case)}
