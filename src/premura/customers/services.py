"""Customer actions: create a customer with their identities, update their preferences.

Identities are stored normalised (e-mails by `normalise_email`: NFKC, IDNA domain, lower case;
phones in E.164 by `phonenumbers`; handles without "@"), so the same address written two ways
names the same person; (kind, value) is unique. Every lookup by address goes through
`normalise_identity` too (`find_customer`, the console's search box, the API's e-mail filter).
"""

import contextlib
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from premura.core import clock, text
from premura.core.audit import record_event
from premura.core.models import Channel
from premura.customers.exceptions import CustomerError, IdentityTaken
from premura.customers.models import Customer, CustomerIdentity, IdentityKind, Language, Tier
from premura.customers.signals import customer_changed

PHONE_KINDS = frozenset({IdentityKind.PHONE, IdentityKind.WHATSAPP})
HANDLE_KINDS = frozenset({IdentityKind.INSTAGRAM, IdentityKind.X})
# Digits and the punctuation people write numbers with; letters ("333-CALL-ME") are refused,
# although phonenumbers would read them as a keypad would.
_PHONE_CHARACTERS = re.compile(r"[+\d\s().\-/]+")


@dataclass(frozen=True)
class NewIdentity:
    kind: str
    value: str
    is_primary: bool = False


def normalise_identity(kind: str, value: str) -> str:
    """The stored form of an identity. Raises CustomerError for an unknown kind or a malformed value.

    >>> normalise_identity("email", " Anna.Colombo@Example.IT ")
    'anna.colombo@example.it'
    >>> normalise_identity("phone", "333 123 4567")
    '+393331234567'
    """
    if kind not in IdentityKind.values:
        raise CustomerError(_("Unknown identity kind: %(kind)s") % {"kind": kind})
    value = (value or "").strip()
    if not value:
        raise CustomerError(_("The %(kind)s is empty.") % {"kind": IdentityKind(kind).label})
    if kind == IdentityKind.EMAIL:
        return normalise_email(value)
    if kind in PHONE_KINDS:
        return normalise_phone(value)
    value = text.single_line(value, field=IdentityKind(kind).label, error=CustomerError).lstrip("@")
    return value.lower() if kind in HANDLE_KINDS else value


def normalise_email(value: str) -> str:
    """The stored form of an e-mail address (premura.core.text.normalise_email); raises CustomerError."""
    return text.normalise_email(value, error=CustomerError)


def normalise_phone(value: str) -> str:
    """A phone number in E.164 form: "+39 333 123-4567" and "0039 3331234567" -> "+393331234567".

    Parsed by phonenumbers (Google's libphonenumber); a number without a country code belongs to
    PHONE_DEFAULT_REGION (Italy unless set). Raises CustomerError unless it has a possible length
    for its country: the ranges operators assign change faster than any metadata, so a number is
    not refused for lying outside the known ones (pagers, new mobile blocks).
    """
    value = value.strip()
    international = "+" + value[2:] if value.startswith("00") else value
    number = None
    if _PHONE_CHARACTERS.fullmatch(value):
        with contextlib.suppress(phonenumbers.NumberParseException):
            number = phonenumbers.parse(international, settings.PHONE_DEFAULT_REGION)
    if number is None or not phonenumbers.is_possible_number(number):
        raise CustomerError(_("%(value)s is not a phone number.") % {"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_customer(kind: str, value: str) -> Customer | None:
    """The customer known by this address, written in any of its spellings; None if there is none
    or the value is not a valid address of that kind.
    """
    try:
        value = normalise_identity(kind, value)
    except CustomerError:
        return None
    identity = find_identities(kind, [value]).get(value)
    return identity.customer if identity is not None else None


def find_identities(kind: str, values: Iterable[str]) -> dict[str, CustomerIdentity]:
    """The identities of many addresses in one query, each with its customer, by the stored form of
    each address (`normalise_identity`). Addresses nobody has, and values that are not valid
    addresses of that kind, are absent."""
    normalised = set()
    for value in values:
        try:
            normalised.add(normalise_identity(kind, value))
        except CustomerError:
            continue
    if not normalised:
        return {}
    identities = CustomerIdentity.objects.filter(kind=kind, value__in=normalised).select_related("customer")
    return {identity.value: identity for identity in identities}


def _check_time_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CustomerError(_("Unknown time zone: %(name)s") % {"name": name}) from None


def _check_quiet_hours(start: time | None, end: time | None) -> None:
    if (start is None) != (end is None):
        raise CustomerError(_("Quiet hours need both a start and an end."))


def _check_choice(value: str, choices: type, label: str) -> None:
    if value not in choices.values:
        raise CustomerError(_("Unknown %(label)s: %(value)s") % {"label": label, "value": value})


@transaction.atomic
def create_customer(
    *,
    full_name: str,
    identities: Iterable[NewIdentity] = (),
    language: str = Language.ITALIAN,
    preferred_channel: str = Channel.EMAIL,
    time_zone: str = "Europe/Rome",
    quiet_hours_start: time | None = None,
    quiet_hours_end: time | None = None,
    marketing_consent: bool = False,
    tier: str = Tier.STANDARD,
    notes: str = "",
    actor: Any = None,
) -> Customer:
    """Create a customer with their identities, normalised. Not idempotent.

    In each kind, the identity marked primary (else the first) is the primary one. Raises
    IdentityTaken if an identity already belongs to someone, CustomerError for invalid values;
    either way nothing is written.
    """
    full_name = " ".join(text.single_line(full_name or "", field=_("name"), error=CustomerError).split())
    if not full_name:
        raise CustomerError(_("The customer's name is empty."))
    _check_choice(language, Language, _("language"))
    _check_choice(preferred_channel, Channel, _("channel"))
    _check_choice(tier, Tier, _("tier"))
    _check_time_zone(time_zone)
    _check_quiet_hours(quiet_hours_start, quiet_hours_end)
    normalised = _normalise_identities(identities)
    now = clock.now()
    customer = Customer.objects.create(
        full_name=full_name,
        language=language,
        preferred_channel=preferred_channel,
        time_zone=time_zone,
        quiet_hours_start=quiet_hours_start,
        quiet_hours_end=quiet_hours_end,
        marketing_consent=marketing_consent,
        marketing_consent_at=now if marketing_consent else None,
        tier=tier,
        notes=notes,
        created_at=now,
    )
    for identity in normalised:
        # No savepoint of its own: IdentityTaken leaves this function's atomic block, which rolls
        # the customer back with it.
        try:
            CustomerIdentity.objects.create(
                customer=customer,
                kind=identity.kind,
                value=identity.value,
                is_primary=identity.is_primary,
            )
        except IntegrityError:
            raise IdentityTaken(
                _("The %(kind)s %(value)s already belongs to another customer.")
                % {"kind": IdentityKind(identity.kind).label, "value": identity.value}
            ) from None
    record_event(
        customer, "customer.created", actor=actor, identities=[f"{i.kind}:{i.value}" for i in normalised]
    )
    return customer


def _normalise_identities(identities: Iterable[NewIdentity]) -> list[NewIdentity]:
    """Normalised, without repeats, with exactly one primary identity of each kind."""
    result: list[NewIdentity] = []
    seen: set[tuple[str, str]] = set()
    for identity in identities:
        value = normalise_identity(identity.kind, identity.value)
        if (identity.kind, value) in seen:
            raise CustomerError(_("The identity %(value)s is listed twice.") % {"value": value})
        seen.add((identity.kind, value))
        result.append(NewIdentity(identity.kind, value, identity.is_primary))
    primary: dict[str, NewIdentity] = {}
    for identity in result:
        if identity.is_primary and identity.kind in primary:
            raise CustomerError(
                _("Only one %(kind)s can be primary.") % {"kind": IdentityKind(identity.kind).label}
            )
        if identity.is_primary:
            primary[identity.kind] = identity
    for identity in result:
        primary.setdefault(identity.kind, identity)
    return [NewIdentity(i.kind, i.value, primary[i.kind] is i) for i in result]


# The fields update_customer may change.
UPDATABLE_FIELDS = frozenset(
    {
        "language",
        "preferred_channel",
        "time_zone",
        "quiet_hours_start",
        "quiet_hours_end",
        "marketing_consent",
        "tier",
    }
)
NOT_NULL_FIELDS = frozenset({"language", "preferred_channel", "time_zone", "marketing_consent", "tier"})


@transaction.atomic
def update_customer(customer: Customer, *, changes: Mapping[str, Any], actor: Any = None) -> Customer:
    """Change the customer's preferences: the keys of `changes` are among UPDATABLE_FIELDS.

    Idempotent: unchanged values write nothing. Giving marketing consent stamps
    marketing_consent_at; withdrawing it clears it. Raises CustomerError for an unknown field or an
    invalid value (quiet hours need both ends); nothing is written then.
    """
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise CustomerError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    for field in sorted(NOT_NULL_FIELDS & set(changes)):
        if changes[field] is None:
            raise CustomerError(
                _("%(field)s cannot be empty.") % {"field": Customer._meta.get_field(field).verbose_name}
            )
    if "language" in changes:
        _check_choice(changes["language"], Language, _("language"))
    if "preferred_channel" in changes:
        _check_choice(changes["preferred_channel"], Channel, _("channel"))
    if "tier" in changes:
        _check_choice(changes["tier"], Tier, _("tier"))
    if "time_zone" in changes:
        _check_time_zone(changes["time_zone"])
    _check_quiet_hours(
        changes.get("quiet_hours_start", customer.quiet_hours_start),
        changes.get("quiet_hours_end", customer.quiet_hours_end),
    )
    changed: dict[str, list[Any]] = {}
    for field, value in changes.items():
        old = getattr(customer, field)
        if old != value:
            changed[field] = [old, value]
            setattr(customer, field, value)
    if not changed:
        return customer
    fields = list(changed)
    if "marketing_consent" in changed:
        customer.marketing_consent_at = clock.now() if customer.marketing_consent else None
        fields.append("marketing_consent_at")
    customer.save(update_fields=fields)
    record_event(
        customer,
        "customer.updated",
        actor=actor,
        changes={field: [_jsonable(old), _jsonable(new)] for field, (old, new) in changed.items()},
    )
    customer_changed.send(sender=Customer, customer=customer, fields=frozenset(changed))
    return customer


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, time) else value


@transaction.atomic
def add_identity(
    customer: Customer, kind: str, value: str, *, actor: Any = None
) -> tuple[CustomerIdentity, bool]:
    """Give `customer` one more identity, normalised; return it and whether it is new.

    Idempotent: an identity that is already the customer's is returned with False and nothing is
    written. The first identity of its kind becomes the primary one; later ones never take that
    place. Raises IdentityTaken when it belongs to another customer (customers are never merged
    behind anyone's back) and CustomerError for a malformed value; nothing is written then.
    Writes a `customer.identity_added` audit event.
    """
    value = normalise_identity(kind, value)
    existing = CustomerIdentity.objects.filter(kind=kind, value=value).first()
    if existing is None:
        try:
            with transaction.atomic():
                identity = CustomerIdentity.objects.create(
                    customer=customer,
                    kind=kind,
                    value=value,
                    is_primary=not customer.identities.filter(kind=kind).exists(),
                    created_at=clock.now(),
                )
        except IntegrityError:
            # Added a moment ago by someone else: theirs or ours, decided below.
            existing = CustomerIdentity.objects.get(kind=kind, value=value)
        else:
            record_event(customer, "customer.identity_added", actor=actor, identity=f"{kind}:{value}")
            return identity, True
    if existing.customer_id != customer.pk:
        raise IdentityTaken(
            _("The %(kind)s %(value)s already belongs to another customer.")
            % {"kind": IdentityKind(kind).label, "value": value}
        )
    return existing, False


def mark_identity_failing(kind: str, value: str, *, reason: str) -> CustomerIdentity | None:
    """Record that messages to this address come back (a permanent bounce of ours); return the
    identity, or None when the address is nobody's.

    Idempotent: a failing identity keeps the time it first failed and takes the newest reason. The
    first failure writes a `customer.identity_failing` audit event on the customer. One
    conditional UPDATE each way, so it races safely with `clear_identity_failing`.
    """
    try:
        value = normalise_identity(kind, value)
    except CustomerError:
        return None
    reason = text.one_line(reason)[: CustomerIdentity._meta.get_field("failing_reason").max_length]
    identities = CustomerIdentity.objects.filter(kind=kind, value=value)
    # No savepoint: inside the caller's transaction (ingest files a message in one) it is one
    # transaction anyway, and mail processing counts every statement.
    with transaction.atomic(savepoint=False):
        started = identities.filter(failing_since__isnull=True).update(
            failing_since=clock.now(), failing_reason=reason
        )
        if not started:
            identities.update(failing_reason=reason)
        identity = identities.select_related("customer").first()
        if identity is not None and started:
            record_event(
                identity.customer,
                "customer.identity_failing",
                identity=f"{kind}:{value}",
                reason=reason,
            )
    return identity


def clear_identity_failing(kind: str, value: str) -> bool:
    """The customer wrote from this address, so it works: it stops being failing. Returns whether
    it was failing. Idempotent and cheap when it was not (one UPDATE matching nothing, by the
    unique index); when it was, writes a `customer.identity_recovered` audit event."""
    try:
        value = normalise_identity(kind, value)
    except CustomerError:
        return False
    with transaction.atomic(savepoint=False):  # as in mark_identity_failing
        cleared = CustomerIdentity.objects.filter(kind=kind, value=value, failing_since__isnull=False).update(
            failing_since=None, failing_reason=""
        )
        if cleared:
            identity = CustomerIdentity.objects.select_related("customer").get(kind=kind, value=value)
            record_event(identity.customer, "customer.identity_recovered", identity=f"{kind}:{value}")
    return bool(cleared)
