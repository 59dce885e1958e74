"""The shapes of shipments and tracking events in the REST API."""

import datetime

from ninja import Field, Schema

from premura.api.schemas import Id, InputSchema, PastMoment, PlannedDate, QueryId, QuerySchema, Text
from premura.shipping.models import ExceptionReason, TrackingStatus


class ShipmentIn(InputSchema):
    order_id: Id
    carrier: str = Text(32, min_length=1, description="The carrier's code, e.g. 'brt'.")
    tracking_number: str = Text(64, min_length=1)
    promised_delivery_date: PlannedDate | None = None
    estimated_delivery_date: PlannedDate | None = None
    shipped_at: PastMoment | None = None
    origin: str = Field(
        "", max_length=64, description="The region it leaves from (warehouse or seller), e.g. 'Lombardia'."
    )


class TrackingEventIn(InputSchema):
    occurred_at: PastMoment = Field(
        ..., description="When the carrier saw it: from 2000 to now (a day of clock skew allowed)."
    )
    status: TrackingStatus
    exception_reason: ExceptionReason | None = Field(
        None, description="Why the parcel is in trouble, when it is (usually with status 'exception')."
    )
    raw_code: str = Field(..., min_length=1, max_length=64)
    raw_description: str = Field("", max_length=300)
    location: str = Field("", max_length=120)
    external_id: str = Field(
        "", max_length=100, description="The provider's event id: a repeat is stored once."
    )


class TrackingEventOut(Schema):
    id: int
    occurred_at: datetime.datetime
    status: str
    exception_reason: str
    raw_code: str
    raw_description: str
    location: str
    external_id: str
    received_at: datetime.datetime


class DelayFactorOut(Schema):
    factor: str = Field(
        ...,
        description="What weighs: exception, no_scan, handover, since_handover, vs_usual, usual_transit, "
        "weekday, month, handover_lag, since_scan, origin, destination or carrier.",
    )
    value: str
    weight: float | None = Field(..., description="Its effect on the daily chance of delivery (log-odds).")


class ShipmentOut(Schema):
    id: int
    order_id: int
    order_number: str = Field(..., alias="order.number")
    carrier: str = Field(..., alias="carrier.code")
    tracking_number: str
    tracking_url: str
    status: str
    exception_reason: str
    origin: str
    destination: str
    promised_delivery_date: datetime.date | None
    estimated_delivery_date: datetime.date | None
    shipped_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    last_event_at: datetime.datetime | None
    is_late: bool
    delay_level: str = Field(
        ...,
        description="The detector's risk of missing the promised date: high, low, or empty before it ran.",
    )
    delay_signal: str = Field(
        ...,
        description="What raised a high risk: lost (no scan for too long), exception, stalled or predicted.",
    )
    delay_probability: float | None = Field(..., description="The probability of missing the promised date.")
    expected_delivery_date: datetime.date | None = Field(
        ..., description="The detector's expected delivery date."
    )
    delay_factors: list[DelayFactorOut] = Field(
        ..., description="Why: the signal's and the model's main factors."
    )
    delay_assessed_at: datetime.datetime | None
    created_at: datetime.datetime


class ShipmentDetailOut(ShipmentOut):
    events: list[TrackingEventOut]


class TrackingEventResult(Schema):
    event: TrackingEventOut
    created: bool = Field(..., description="False when the event was already recorded (same external_id).")
    shipment_status: str
    shipment_exception_reason: str
    delivered_at: datetime.datetime | None


class ShipmentFilters(QuerySchema):
    order: QueryId | None = Field(None, description="An order id.")
    status: TrackingStatus | None = None
    carrier: str | None = Field(None, max_length=32, description="A carrier code.")


class WebhookAccepted(Schema):
    delivery_id: int
    duplicate: bool = Field(..., description="True when this event id was already received: nothing changed.")
    status: str = Field(..., description="received, processed or failed (the body is kept either way).")
    events_recorded: int
