"""Template tags for the case page's SLA panel."""

from django import template

from sla.selectors.clocks import case_clocks

register = template.Library()


@register.simple_tag
def case_clocks_for(case):
    """Return the case's clocks with remaining business time."""
    return case_clocks(case)


@register.filter
def business_duration(seconds) -> str:
    """Render business seconds as '3h 05m' (sign dropped: the template says left or overdue)."""
    seconds = abs(int(seconds or 0))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return f"{days}d {hours}h {minutes:02d}m" if days else f"{hours}h {minutes:02d}m"
