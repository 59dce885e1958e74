"""The carrier scorecard page and its CSV (docs/architecture.md, "Carrier scorecard"): managers
only. The figures come from shipping.reports; this module chooses the period, draws the charts
as SVG geometry for the template, and writes the CSV."""

import csv
import dataclasses

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from premura.agents.access import manager_required
from premura.agents.models import Agent
from premura.core import clock
from premura.core.text import spreadsheet_cell
from premura.shipping.models import DELAY_BINS
from premura.shipping.reports import Figures, Scorecard, month_range, scorecard

PERIODS = (1, 3, 6, 12)  # months, the current one included
DEFAULT_PERIOD = 3
LANES_SHOWN = 50  # the worst lanes on the page; the CSV has them all

# The charts' drawing boxes (SVG user units; the SVG scales to the card's width).
BAR_LEFT, BAR_WIDTH, BAR_ROW = 120, 170, 26
COLUMN_WIDTH, COLUMN_HEIGHT = 30, 120


def _period(request: HttpRequest) -> int:
    months = request.GET.get("months", "")
    return int(months) if months in {str(p) for p in PERIODS} else DEFAULT_PERIOD


def _scorecard_for(request: HttpRequest) -> tuple[int, Scorecard]:
    months = _period(request)
    first, last = month_range(months, today=timezone.localdate(clock.now()))
    return months, scorecard(first, last)


@dataclasses.dataclass(frozen=True)
class Bar:
    label: str
    value: float
    y: int
    width: float
    is_flagged: bool

    @property
    def value_x(self) -> float:
        return BAR_LEFT + self.width + 4


@dataclasses.dataclass(frozen=True)
class Column:
    label: str
    count: int
    x: int
    y: float
    height: float


def on_time_bars(card: Scorecard) -> list[Bar]:
    """One horizontal bar per carrier with deliveries: its on-time rate out of 100."""
    return [
        Bar(
            label=carrier.carrier,
            value=carrier.on_time_percent,
            y=index * BAR_ROW,
            width=carrier.on_time_percent * BAR_WIDTH / 100,
            is_flagged=bool(carrier.flags),
        )
        for index, carrier in enumerate(c for c in card.carriers if c.on_time_percent is not None)
    ]


def delay_columns(card: Scorecard) -> list[Column]:
    """One column per delay bin: the deliveries that many days late, all carriers together."""
    histogram = card.histogram
    tallest = max(histogram) or 1
    columns = []
    for index, ((first, last, _column), count) in enumerate(zip(DELAY_BINS, histogram, strict=True)):
        label = str(first) if last == first else f"{first}+" if last is None else f"{first}–{last}"
        height = count * COLUMN_HEIGHT / tallest
        columns.append(Column(label, count, index * COLUMN_WIDTH, COLUMN_HEIGHT - height, height))
    return columns


@require_GET
@manager_required
def carrier_scorecard(request: HttpRequest, agent: Agent) -> HttpResponse:
    """Per carrier and per carrier and lane, over the last 1, 3, 6 or 12 months: flagged
    carriers first, with why, then the charts and the tables."""
    months, card = _scorecard_for(request)
    bars = on_time_bars(card)
    return render(
        request,
        "console/carrier_scorecard.html",
        {
            "agent": agent,
            "card": card,
            "months": months,
            "periods": PERIODS,
            "lanes": card.lanes[:LANES_SHOWN],
            "bars": bars,
            "bar_chart_height": max(len(bars), 1) * BAR_ROW,
            "threshold_x": BAR_LEFT + float(card.thresholds.min_on_time_percent) * BAR_WIDTH / 100,
            "columns": delay_columns(card),
        },
    )


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _csv_row(level: str, figures: Figures) -> list:
    return [
        level,
        figures.carrier,
        figures.origin,
        figures.destination,
        figures.shipments,
        figures.delivered,
        _number(figures.on_time_percent, 1),
        _number(figures.mean_delay_days, 2),
        _number(figures.p90_delay_days, 1),
        _number(figures.exception_percent, 1),
        _number(figures.lost_percent, 2),
        _number(figures.contacts_per_100, 1),
        "; ".join(figures.flags),
    ]


@require_GET
@manager_required
def carrier_scorecard_csv(request: HttpRequest, agent: Agent) -> HttpResponse:
    """The page's figures as CSV, every lane included; text cells never run as formulas."""
    months, card = _scorecard_for(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"carrier-scorecard-{card.first_month:%Y-%m}-{card.last_month:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Level"),
            _("Carrier"),
            _("Origin"),
            _("Destination"),
            _("Shipments"),
            _("Delivered with a promised date"),
            _("On time (%)"),
            _("Mean delay (days)"),
            _("90th percentile delay (days)"),
            _("Exceptions (%)"),
            _("Lost (%)"),
            _("Cases per 100 shipments"),
            _("Contract review"),
        ]
    )
    rows = [_csv_row(_("carrier"), figures) for figures in card.carriers]
    rows += [_csv_row(_("lane"), figures) for figures in card.lanes]
    writer.writerows([spreadsheet_cell(cell) for cell in row] for row in rows)
    return response
