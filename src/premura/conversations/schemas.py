"""The shapes of cases and messages in the REST API."""

import datetime
import enum

from django.core.exceptions import ObjectDoesNotExist
from ninja import Field, Schema

from premura.api.schemas import Flag, Id, InputSchema, QueryId, QuerySchema, Text, optional_not_null
from premura.channels.schemas import DeliveryOut
from premura.conversations.models import CaseReason, CaseStatus, Direction, Message, Priority
from premura.conversations.queries import INBOX_VIEWS
from premura.core.models import Channel

# The console's inbox views ("open", "mine", "unassigned", "waiting", a status, "all").
InboxViewName = enum.StrEnum("InboxViewName", [(view.slug, view.slug) for view in INBOX_VIEWS])


# The longest message the API takes: a long e-mail thread, not a book.
MAX_BODY_LENGTH = 50_000


class CaseFilters(QuerySchema):
    view: InboxViewName = Field(InboxViewName("all"), description="An inbox view, as in the console.")
    status: CaseStatus | None = None
    owner: str | None = Field(
        None,
        pattern=r"^([1-9]\d{0,17}|none)$",
        description="An agent id, or 'none' for unassigned.",
    )
    team: QueryId | None = Field(None, description="A team id.")
    channel: Channel | None = None
    priority: Priority | None = None
    q: str | None = Field(
        None,
        max_length=200,
        description="Search: a case number, an order number, an e-mail, a name or words of the messages.",
    )


class CaseIn(InputSchema):
    customer_id: Id
    subject: str = Text(200, min_length=1)
    body: str = Text(
        MAX_BODY_LENGTH,
        min_length=1,
        description="The first message, as the token's agent wrote it on the customer's behalf.",
    )
    channel: Channel = Channel.EMAIL
    order_id: Id | None = Field(None, description="An order of this customer.")
    priority: Priority = Priority.NORMAL
    reason: CaseReason | None = Field(None, description="Why the customer got in touch.")
    team_id: Id = optional_not_null("The case's team; the token's agent's team if absent.")
    owner_id: Id | None = Field(
        None,
        description=(
            "An agent's id; null leaves the case in its team's queue. If absent, the assignment "
            "rules choose: the customer's last agent while available, else the available agent "
            "of the team with the fewest open cases."
        ),
    )


class CasePatch(InputSchema):
    """Only the fields sent change. `owner_id: null` unassigns the case."""

    status: CaseStatus = optional_not_null()
    priority: Priority = optional_not_null()
    owner_id: Id | None = Field(None, description="An agent's id; null unassigns the case.")


class MessageIn(InputSchema):
    body: str = Text(MAX_BODY_LENGTH, min_length=1)
    internal: Flag = Field(False, description="An internal note: agents see it, the customer never does.")


class InboundMessageIn(InputSchema):
    body: str = Text(MAX_BODY_LENGTH, min_length=1)
    channel: Channel = optional_not_null("The case's channel if absent.")
    external_id: str = Field("", max_length=255, description="The channel's message id: a repeat is a 409.")


class MessageOut(Schema):
    id: int
    case_id: int = Field(..., description="A message on a closed case lands in its follow-up case.")
    direction: str
    channel: str
    is_internal: bool
    author_name: str
    author_agent_id: int | None
    author_customer_id: int | None
    on_behalf_of_id: int | None = Field(None, description="The customer an agent wrote this for.")
    body: str
    created_at: datetime.datetime
    external_id: str
    delivery: DeliveryOut | None = Field(
        ...,
        description=(
            "A reply or acknowledgement sent to the customer by e-mail: where that e-mail stands. "
            "Null for every other message."
        ),
    )

    @staticmethod
    def resolve_delivery(message: Message):
        """The newest outbox row of the message (`outbound_emails`, prefetched by the lists)."""
        if message.direction != Direction.OUTBOUND or message.is_internal:
            return None
        return max(message.outbound_emails.all(), key=lambda row: row.pk, default=None)


def _sla_clock(case):
    """The case's SLA clock (`sla.CaseClock`, prefetched by the list), None before the SLA looked
    at the case."""
    try:
        return case.sla_clock
    except ObjectDoesNotExist:
        return None


class CaseOut(Schema):
    id: int
    number: str
    subject: str
    customer_id: int
    customer_name: str = Field(..., alias="customer.full_name")
    order_id: int | None
    status: str
    priority: str
    channel: str
    reason: str = Field(..., description="The contact reason, or '' when none was chosen.")
    language: str
    owner_id: int | None
    team_id: int | None
    follow_up_of_id: int | None = Field(None, description="The closed case this one follows up.")
    created_at: datetime.datetime
    last_activity_at: datetime.datetime
    solved_at: datetime.datetime | None
    first_response_due_at: datetime.datetime | None = Field(
        ..., description="When the first reply is due, while that clock runs; null when met, paused or none."
    )
    next_response_due_at: datetime.datetime | None = Field(
        ...,
        description="When the reply to the customer's latest message is due, while that clock runs.",
    )
    resolution_due_at: datetime.datetime | None = Field(
        ..., description="When the case must be solved, while that clock runs."
    )
    sla_due_at: datetime.datetime | None = Field(
        ..., description="The earliest of the three deadlines; null while no SLA clock runs."
    )
    sla_paused: bool | None = Field(
        ...,
        description=(
            "Whether the SLA clock is paused: the case waits on the customer, the carrier or the "
            "bank, or is solved or closed. Null when no SLA policy applies to the case."
        ),
    )
    sla_policy: str | None = Field(
        ..., description="The name of the SLA policy whose targets apply; null when none does."
    )

    @staticmethod
    def resolve_sla_paused(case) -> bool | None:
        sla_clock = _sla_clock(case)
        if sla_clock is None or sla_clock.policy_id is None:
            return None
        return sla_clock.running_since is None

    @staticmethod
    def resolve_sla_policy(case) -> str | None:
        sla_clock = _sla_clock(case)
        return sla_clock.policy.name if sla_clock is not None and sla_clock.policy_id else None


class CaseDetailOut(CaseOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(case):
        return case.messages.prefetch_related("outbound_emails")
