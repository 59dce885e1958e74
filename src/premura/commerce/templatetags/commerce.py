"""Commerce in templates: `{% refund_line refund %}`, the one presentation of a refund (display.py)."""

from django import template

from premura.commerce.display import refund_summary
from premura.commerce.models import Refund

register = template.Library()


@register.inclusion_tag("commerce/partials/refund.html")
def refund_line(refund: Refund) -> dict:
    return {"refund": refund, "summary": refund_summary(refund)}
