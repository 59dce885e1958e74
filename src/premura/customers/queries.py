"""Read side of customers: finding a customer from what an agent or a search box was told."""

import re

from premura.customers.models import Customer, CustomerIdentity, IdentityKind, fold_name
from premura.customers.services import PHONE_KINDS, CustomerError, normalise_identity

# A query that could be a phone number: digits and the punctuation people write them with.
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]{6,}")
# Shorter name prefixes match too many people to be useful.
NAME_PREFIX_MIN = 3


def matching_customer_ids(query: str, *, limit: int = 100) -> list[int]:
    """The customers a search names, each found by an index lookup: the one with this e-mail
    address or the ones with this phone (exact, normalised as customers.services stores them), or
    those whose name starts with the query. At most `limit` ids, in no particular order.
    """
    query = query.strip()
    if "@" in query or "\uff20" in query:  # "＠", the full-width at sign, is "@" once normalised
        return _ids_with_identity([IdentityKind.EMAIL], IdentityKind.EMAIL, query, limit)
    if _PHONE_LIKE.fullmatch(query):
        return _ids_with_identity(PHONE_KINDS, IdentityKind.PHONE, query, limit)
    name = fold_name(query)
    if len(name) < NAME_PREFIX_MIN:
        return []
    return list(
        Customer.objects.filter(search_name__gte=name, search_name__lt=name + "\uffff").values_list(
            "pk", flat=True
        )[:limit]
    )


def _ids_with_identity(kinds, kind: str, value: str, limit: int) -> list[int]:
    try:
        value = normalise_identity(kind, value)
    except CustomerError:
        return []
    identities = CustomerIdentity.objects.filter(kind__in=list(kinds), value=value)
    return list(dict.fromkeys(identities.values_list("customer_id", flat=True)[:limit]))


def email_address_for(customer: Customer, wanted: str = "") -> str:
    """The address to send the customer's mail to: `wanted` (the Reply-To of their mail, say)
    or else their primary e-mail, unless that address is failing (our mail to it came back) and
    another of their addresses is not; then the first working one, primary first. A failing
    address is still used when it is all they have. "" when there is no address at all. Reads
    `customer.identities` (prefetched or not)."""
    emails = sorted(
        (i for i in customer.identities.all() if i.kind == IdentityKind.EMAIL),
        key=lambda i: (not i.is_primary, i.pk),
    )
    working = [i.value for i in emails if not i.is_failing]
    wanted = wanted.strip()
    if wanted:
        try:
            normalised = normalise_identity(IdentityKind.EMAIL, wanted)
        except CustomerError:
            return wanted
        failing = any(i.value == normalised and i.is_failing for i in emails)
        return working[0] if failing and working else wanted
    if not emails:
        return ""
    return working[0] if working else emails[0].value
