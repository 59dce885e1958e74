"""`{{ amount|money:currency }}`: an amount with its currency, in the page's language (core/money.py)."""

from decimal import Decimal

from django import template

from premura.core.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency)
