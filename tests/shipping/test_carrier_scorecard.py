"""The carrier scorecard's figures: kept up to date as tracking events and cases arrive, equal to
a rebuild from the shipments, and read from the summary rows only (docs/architecture.md,
"Carrier scorecard")."""

import datetime
import io
import math
import random

import pytest
from django.core.management import call_command
from django.utils import translation

from premura.core import clock
from premura.shipping.models import (
    DELAY_BINS,
    CarrierLaneMonth,
    ScorecardThresholds,
    Shipment,
    TrackingStatus,
)
from premura.shipping.reports import Figures, month_range, scorecard
from premura.shipping.scorecard import delay_bin, rebuild_scorecard, update_scorecard
from premura.shipping.services import (
    NewTrackingEvent,
    configure_carrier,
    create_shipment,
    record_tracking_batch,
    record_tracking_events,
)
from tests.factories.commerce import OrderFactory
from tests.factories.conversations import make_case
from tests.factories.shipping import TrackingEventFactory

pytestmark = pytest.mark.django_db

ROME = datetime.timezone(datetime.timedelta(hours=1))
NOVEMBER = datetime.date(2026, 11, 1)
PROMISED = datetime.date(2026, 11, 10)


def at(day: int, hour: int = 10, month: int = 11) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, tzinfo=ROME)


def ship(
    carrier: str = "brt",
    *,
    province: str = "MI",
    origin: str = "Lombardia",
    created: int = 3,
    month=11,
    promised: datetime.date | None = PROMISED,
    delivered: datetime.datetime | None = None,
    order=None,
):
    """A shipment created on `created` of `month`, scanned the next day, and delivered when given."""
    order = order or OrderFactory(shipping_province=province)
    with clock.frozen_at(at(created, month=month)):
        shipment = create_shipment(
            order=order,
            carrier_code=carrier,
            tracking_number=f"T{order.number}-{carrier}",
            promised_delivery_date=promised,
            origin=origin,
        )
    events = [NewTrackingEvent(at(created + 1, month=month), TrackingStatus.IN_TRANSIT, "IN TRANSITO")]
    if delivered:
        events.append(NewTrackingEvent(delivered, TrackingStatus.DELIVERED, "CONSEGNATA"))
    record_tracking_events(shipment, events)
    return shipment


def case_on(order, day: int, month: int = 11):
    with clock.frozen_at(at(day, month=month)):
        return make_case(order.customer, order=order)


@pytest.fixture
def carriers(db):
    configure_carrier(code="brt", name="BRT")
    configure_carrier(code="gls", name="GLS")


@pytest.fixture
def november(carriers):
    """BRT from Lombardia to Milan in November: two on time, one 2 days late, one 10 days late, one
    with a carrier exception, one lost, one delivered without a promised date, one never scanned,
    and cases: two after shipping on the 2-days-late one, one before shipping on the first."""
    early = OrderFactory(shipping_province="MI")
    case_on(early, 2)  # before its shipment existed: not the carrier's doing
    ship(delivered=at(9), order=early)
    ship(delivered=at(10, 20))
    two_days = ship(delivered=at(12))
    case_on(two_days.order, 13)
    case_on(two_days.order, 14)
    ship(delivered=at(20))
    stuck = ship()
    record_tracking_events(stuck, [NewTrackingEvent(at(8), TrackingStatus.EXCEPTION, "GIACENZA")])
    lost = ship()
    # The ingest stores a "lost" exception event; the scorecard reads it from the shipment's events.
    TrackingEventFactory(
        shipment=lost,
        occurred_at=at(9),
        status=TrackingStatus.EXCEPTION,
        exception_reason="lost",
        raw_code="SMARRITA",
    )
    update_scorecard(Shipment.objects.get(pk=lost.pk))
    ship(promised=None, delivered=at(8))
    with clock.frozen_at(at(3)):
        create_shipment(order=OrderFactory(), carrier_code="brt", tracking_number="NEVER-SCANNED")


def summary_rows() -> list[dict]:
    return list(
        CarrierLaneMonth.objects.order_by("month", "carrier__code", "origin", "destination").values(
            "carrier__code",
            "origin",
            "destination",
            "month",
            *(f.name for f in CarrierLaneMonth._meta.fields[5:]),
        )
    )


def test_it_counts_a_hand_made_month(november):
    card = scorecard(NOVEMBER, NOVEMBER)

    [brt] = card.carriers
    assert (brt.carrier, brt.shipments, brt.delivered, brt.on_time) == ("BRT", 7, 4, 2)
    assert brt.on_time_percent == 50.0
    assert brt.mean_delay_days == 3.0  # (0 + 0 + 2 + 10) / 4
    assert brt.p90_delay_days == 10.0
    assert (brt.exceptions, brt.lost, brt.contacts) == (2, 1, 2)
    assert brt.exception_percent == pytest.approx(200 / 7)
    assert brt.lost_percent == pytest.approx(100 / 7)
    assert brt.contacts_per_100 == pytest.approx(200 / 7)
    [lane] = card.lanes
    assert (lane.origin, lane.destination, lane.shipments) == ("Lombardia", "MI", 7)


def test_months_and_lanes_are_kept_apart(november):
    ship("gls", province="RM", created=5, month=10, delivered=at(20, month=10))
    ship("gls", province="TO", created=5, delivered=at(9))

    card = scorecard(NOVEMBER, NOVEMBER)
    assert [(c.carrier, c.shipments) for c in card.carriers] == [("BRT", 7), ("GLS", 1)]
    assert [(lane.carrier, lane.destination) for lane in card.lanes] == [("BRT", "MI"), ("GLS", "TO")]
    both = scorecard(datetime.date(2026, 10, 1), NOVEMBER)
    gls = next(c for c in both.carriers if c.carrier == "GLS")
    assert (gls.shipments, gls.on_time) == (2, 2)


def test_a_late_duplicate_event_changes_nothing(november):
    before = summary_rows()
    shipment = CarrierLaneMonth.objects.get().carrier.shipments.get(
        tracking_number__endswith="-brt", delivered_at=at(12)
    )
    record_tracking_events(shipment, [NewTrackingEvent(at(11), TrackingStatus.IN_TRANSIT, "IN TRANSITO")])
    assert summary_rows() == before


def test_the_rebuild_gives_the_incremental_figures(november):
    ship("gls", province="RM", created=5, month=10, delivered=at(20, month=10))
    lone = ship("gls", province="TO", created=5)
    case_on(lone.order, 6)
    record_tracking_events(lone, [NewTrackingEvent(at(12), TrackingStatus.DELIVERED, "CONSEGNATA")])
    incremental = summary_rows()
    assert len(incremental) == 3

    output = io.StringIO()
    call_command("rebuild_carrier_scorecard", stdout=output, stderr=io.StringIO())

    assert output.getvalue() == "Carrier scorecard rebuilt from 10 shipments.\n"

    assert summary_rows() == incremental


def test_the_90th_percentile_from_the_histogram_is_within_a_bin_of_the_exact_one():
    rng = random.Random(13)
    widths = {column: (last - first + 1 if last is not None else 0) for first, last, column in DELAY_BINS}
    for _trial in range(200):
        delays = sorted(
            int(rng.expovariate(1 / rng.choice([0.5, 2, 6, 12]))) for _ in range(rng.randint(1, 300))
        )
        delays = [min(days, 29) for days in delays]  # the open last bin has no width to be within
        histogram = [0] * len(DELAY_BINS)
        for days in delays:
            histogram[[c for _f, _l, c in DELAY_BINS].index(delay_bin(days))] += 1
        figures = Figures(
            "", "", "", len(delays), len(delays), delays.count(0), sum(delays), 0, 0, 0, tuple(histogram)
        )
        exact = delays[math.ceil(0.9 * len(delays)) - 1]
        assert abs(figures.p90_delay_days - exact) <= widths[delay_bin(exact)] - 1


def test_a_carrier_below_a_threshold_is_flagged_with_why(november):
    ScorecardThresholds.objects.create(
        min_on_time_percent=60,
        max_exception_percent=50,
        max_lost_percent=10,
        max_contacts_per_100=20,
        min_shipments=5,
    )
    with translation.override("en"):
        [brt] = scorecard(NOVEMBER, NOVEMBER).carriers
    assert brt.flags == [
        "On time 50.0%, below 60%",
        "Lost 14.3%, above 10%",
        "28.6 cases per 100 shipments, above 20",
    ]


def test_a_carrier_with_too_few_shipments_is_not_judged(november):
    ScorecardThresholds.objects.create(min_on_time_percent=99, min_shipments=8)
    assert scorecard(NOVEMBER, NOVEMBER).flagged == []


def test_the_defaults_apply_until_someone_saves_thresholds(november):
    # 50% on time, 28.6% exceptions, 14.3% lost, 28.6 cases per 100 with 30 shipments needed.
    assert scorecard(NOVEMBER, NOVEMBER).flagged == []


def test_month_ranges_end_with_this_month():
    assert month_range(1, today=datetime.date(2026, 12, 2)) == (
        datetime.date(2026, 12, 1),
        datetime.date(2026, 12, 1),
    )
    assert month_range(3, today=datetime.date(2026, 2, 28)) == (
        datetime.date(2025, 12, 1),
        datetime.date(2026, 2, 1),
    )
    assert month_range(12, today=datetime.date(2026, 12, 31)) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 1),
    )


def test_one_delivery_for_many_shipments_keeps_the_rows_a_rebuild_gives(
    carriers, django_assert_max_num_queries
):
    """A provider's webhook carries many parcels: record_tracking_batch updates the scorecard of
    all of them at once, in a number of queries that does not grow with them, and gets the rebuild's
    figures (same lane twice, another lane, a delay, an exception)."""
    shipments = [ship(province=province) for province in ("MI", "MI", "RM", "TO")]
    batch = {
        shipments[0].pk: [NewTrackingEvent(at(9), TrackingStatus.DELIVERED, "CONSEGNATA")],
        shipments[1].pk: [NewTrackingEvent(at(12), TrackingStatus.DELIVERED, "CONSEGNATA")],
        shipments[2].pk: [NewTrackingEvent(at(6), TrackingStatus.EXCEPTION, "GIACENZA")],
        shipments[3].pk: [NewTrackingEvent(at(6), TrackingStatus.OUT_FOR_DELIVERY, "IN CONSEGNA")],
    }
    with django_assert_max_num_queries(40):
        record_tracking_batch(batch)
    incremental = summary_rows()
    assert [
        (row["destination"], row["delivered"], row["on_time"], row["exceptions"]) for row in incremental
    ] == [
        ("MI", 2, 1, 0),
        ("RM", 0, 0, 1),
        ("TO", 0, 0, 0),
    ]
    rebuild_scorecard()
    assert summary_rows() == incremental
