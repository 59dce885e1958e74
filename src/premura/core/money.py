"""Amounts of money as people read them: one formatting for the whole product (docs/architecture.md,
"Money").

An amount is always shown with its own currency (the order's, the payment's, the refund's), in the
conventions of the language the page is in: "1.234,50 €" in Italian, "€1,234.50" in English. The
numbers come from Babel's CLDR data, so a new currency or language needs no code here. Amounts in
different currencies are never added together: a sum is per currency (`totals_by_currency`).
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django.conf import settings
from django.utils import translation


def babel_locale(language: str | None = None) -> Locale:
    """The Babel locale of a Django language code ("it", "en", "pt-br"); the active one by default."""
    code = translation.to_locale(language or translation.get_language() or settings.LANGUAGE_CODE)
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(translation.to_locale(settings.LANGUAGE_CODE))


def format_money(amount: Decimal | int | str, currency: str, language: str | None = None) -> str:
    """`amount` in `currency` (an ISO 4217 code) as written in `language` (the active language when
    not given), with the currency's own number of decimals: `format_money(Decimal("1234.5"), "EUR")`
    is "1.234,50 €" in Italian and "€1,234.50" in English.
    """
    return format_currency(Decimal(amount), currency.upper(), locale=babel_locale(language))


def totals_by_currency(amounts: Iterable[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """Sum (currency, amount) pairs per currency, never across currencies; ordered by currency code."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in amounts:
        totals[currency.upper()] += amount
    return sorted(totals.items())
