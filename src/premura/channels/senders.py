"""Mail into a case from an address its customer is not known by (docs/architecture.md, "E-mail in").

A customer replies from their office address, or a colleague they forwarded our reply to answers:
the message threads by its references and joins the case, and ingest records an
`email.unknown_sender` event. The case page offers each such address to the agent as a new
identity of the case's customer (`sender_offers`); the agent adds it with `add_sender_identity`.
An address that belongs to another customer is shown as such and never offered: adding it would
merge two people behind the agent's back.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from premura.channels.exceptions import NotASender
from premura.conversations.models import Case
from premura.core.audit import events_for, record_event
from premura.customers.exceptions import CustomerError
from premura.customers.models import Customer, CustomerIdentity, IdentityKind
from premura.customers.services import add_identity, normalise_email

UNKNOWN_SENDER = "email.unknown_sender"


@dataclass(frozen=True)
class SenderOffer:
    """An address that wrote into the case and is not its customer's. `owner` is the customer who
    holds it now (never the case's customer), None when nobody does: only then may it be added."""

    address: str
    owner: Customer | None


def _senders(case: Case) -> list[str]:
    """The normalised addresses of the case's unknown senders, first writer first."""
    addresses: dict[str, None] = {}
    for data in (
        events_for(case)
        .filter(action=UNKNOWN_SENDER)
        .order_by("created_at", "pk")
        .values_list("data", flat=True)
    ):
        try:
            addresses[normalise_email(str(data.get("address") or ""))] = None
        except CustomerError:
            continue
    return list(addresses)


def sender_offers(case: Case) -> list[SenderOffer]:
    """What the case page says about the case's unknown senders: each address that wrote into it,
    is not (or no longer) an identity of its customer, with the customer who holds it, if any.
    One query for the events and one for the identities, whatever their number."""
    addresses = _senders(case)
    if not addresses:
        return []
    owners = {
        identity.value: identity.customer
        for identity in CustomerIdentity.objects.filter(
            kind=IdentityKind.EMAIL, value__in=addresses
        ).select_related("customer")
    }
    return [
        SenderOffer(address, owners.get(address))
        for address in addresses
        if address not in owners or owners[address].pk != case.customer_id
    ]


@transaction.atomic
def add_sender_identity(case: Case, address: str, *, actor) -> CustomerIdentity:
    """Add `address`, which wrote into `case`, to the e-mail addresses of the case's customer;
    return the identity.

    The caller holds the case's row lock (`access_case(..., lock=True)`). Idempotent: when the
    address is already the customer's nothing is written. Raises NotASender when the address never
    wrote into this case (the offer is the only way in: an agent adds other addresses in the
    admin; an address that is not one never wrote), IdentityTaken when another customer holds it
    (nothing is merged); nothing is written then. Writes the customer's `customer.identity_added`
    event (customers.services.add_identity) and `email.identity_added` on the case's timeline.
    """
    try:
        address = normalise_email(address)
    except CustomerError:
        address = address[:254]
    if address not in _senders(case):
        raise NotASender(_("%(address)s did not write into this case.") % {"address": address})
    identity, created = add_identity(case.customer, IdentityKind.EMAIL, address, actor=actor)
    if created:
        record_event(
            case,
            "email.identity_added",
            actor=actor,
            address=address,
            customer_id=case.customer_id,
            customer_name=case.customer.full_name,
        )
    return identity
