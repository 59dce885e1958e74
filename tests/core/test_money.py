"""Money is formatted in one place, by its own currency, in the page's language (core/money.py)."""

import re
from decimal import Decimal
from pathlib import Path

from django.template import Context, Template
from django.utils import translation

from premura.core.money import format_money, totals_by_currency

SOURCE = Path(__file__).resolve().parents[2] / "src" / "premura"


def test_an_amount_is_written_as_the_language_writes_it():
    assert format_money(Decimal("1234.5"), "EUR", "it") == "1.234,50\u00a0€"
    assert format_money(Decimal("1234.5"), "EUR", "en") == "€1,234.50"
    assert format_money(Decimal("1234.5"), "GBP", "it") == "1.234,50\u00a0£"
    assert format_money(Decimal("1234.5"), "usd", "en") == "$1,234.50"


def test_the_currency_decides_the_decimals():
    assert format_money(Decimal("1500"), "JPY", "en") == "¥1,500"


def test_the_active_language_is_the_default():
    with translation.override("it"):
        assert format_money(Decimal("54.90"), "EUR") == "54,90\u00a0€"
    with translation.override("en"):
        assert format_money(Decimal("54.90"), "EUR") == "€54.90"


def test_the_money_filter_uses_the_amount_s_currency():
    template = Template("{% load money %}{{ amount|money:currency }}|{{ missing|money:currency }}")
    with translation.override("en"):
        assert template.render(Context({"amount": Decimal("12.5"), "currency": "CHF"})) == "CHF12.50|"


def test_sums_are_per_currency():
    amounts = [("EUR", Decimal("10.00")), ("GBP", Decimal("5.00")), ("eur", Decimal("2.50"))]
    assert totals_by_currency(amounts) == [("EUR", Decimal("12.50")), ("GBP", Decimal("5.00"))]


def test_no_euro_sign_is_written_into_the_code_or_the_templates():
    """Every amount goes through format_money: a literal "€" would show euros for any currency."""
    found = []
    for path in SOURCE.rglob("*"):
        if path.suffix not in (".py", ".html", ".txt") or "migrations" in path.parts:
            continue
        if path == SOURCE / "core" / "money.py":  # the one place, whose docstring shows the output
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search("€|&euro;|\\\\u20ac", line, re.IGNORECASE):
                found.append(f"{path.relative_to(SOURCE)}:{number}")
    assert found == []
