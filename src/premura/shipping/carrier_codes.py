"""Carriers' and providers' status codes in one vocabulary: TrackingStatus plus ExceptionReason
(docs/architecture.md, "Tracking in").

A code belongs to a scheme: a provider ("aftership", "shippo", "easypost") or a carrier (our
Carrier.code: "brt", "gls", "poste", "sda", "dhl", "ups", "tnt", "fedex"). Providers send a coarse
status (AfterShip's tag, Shippo's status, EasyPost's status) and a finer code (subtag, substatus,
status_detail); carriers send only their code, with whatever hint the sender adds. An administrator's
mapping (shipping.TrackingCode with a status) wins over the tables here.

A result is complete unless it says "exception" without a reason. An incomplete or missing mapping
is kept as it came (the event keeps its raw code), becomes "exception: unknown" only when the
sender said exception, else "in transit" (a scan we cannot read still says a carrier holds the
parcel), and the code is listed for an administrator to map.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from premura.shipping.models import ExceptionReason as R
from premura.shipping.models import TrackingStatus as S


@dataclass(frozen=True)
class CodeMapping:
    status: str = ""  # "" in a finer code: the coarse status stands
    exception_reason: str = ""


M = CodeMapping

# --- Providers: coarse statuses ------------------------------------------------------------------
# AfterShip's delivery tags (docs: "Delivery statuses": tag and subtag).
AFTERSHIP_TAGS = {
    "Pending": M(S.PENDING),
    "InfoReceived": M(S.INFO_RECEIVED),
    "InTransit": M(S.IN_TRANSIT),
    "OutForDelivery": M(S.OUT_FOR_DELIVERY),
    "AttemptFail": M(S.ATTEMPT_FAIL),
    "Delivered": M(S.DELIVERED),
    "AvailableForPickup": M(S.AVAILABLE_FOR_PICKUP),
    "Exception": M(S.EXCEPTION),
    "Expired": M(S.EXPIRED),
}
# Shippo's tracking_status.status.
SHIPPO_STATUSES = {
    "UNKNOWN": M(S.PENDING),
    "PRE_TRANSIT": M(S.INFO_RECEIVED),
    "TRANSIT": M(S.IN_TRANSIT),
    "DELIVERED": M(S.DELIVERED),
    "RETURNED": M(S.EXCEPTION, R.RETURNED),
    "FAILURE": M(S.EXCEPTION),
}
# EasyPost's Tracker.status / TrackingDetail.status.
EASYPOST_STATUSES = {
    "unknown": M(S.PENDING),
    "pre_transit": M(S.INFO_RECEIVED),
    "in_transit": M(S.IN_TRANSIT),
    "out_for_delivery": M(S.OUT_FOR_DELIVERY),
    "delivered": M(S.DELIVERED),
    "available_for_pickup": M(S.AVAILABLE_FOR_PICKUP),
    "return_to_sender": M(S.EXCEPTION, R.RETURNED),
    "failure": M(S.EXCEPTION),
    "cancelled": M(S.EXPIRED),
    "error": M(S.EXCEPTION),
}
COARSE = {"aftership": AFTERSHIP_TAGS, "shippo": SHIPPO_STATUSES, "easypost": EASYPOST_STATUSES}

# --- Providers: finer codes ----------------------------------------------------------------------
FINE: dict[str, dict[str, CodeMapping]] = {
    "aftership": {
        "Exception_001": M(S.EXCEPTION, R.UNKNOWN),
        "Exception_002": M(S.EXCEPTION, R.ADDRESS),  # customer moved
        "Exception_003": M(S.EXCEPTION, R.REFUSED),  # customer refused delivery
        "Exception_004": M(S.EXCEPTION, R.CUSTOMS),  # delayed: customs clearance
        "Exception_005": M(S.EXCEPTION, R.DELAY),  # delayed: local delivery
        "Exception_006": M(S.EXCEPTION, R.CUSTOMS),  # held: customs or payment
        "Exception_007": M(S.EXCEPTION, R.ADDRESS),  # incorrect address
        "Exception_008": M(S.EXCEPTION, R.DELAY),  # pick-up missed
        "Exception_010": M(S.EXCEPTION, R.RETURNED),  # returning to sender
        "Exception_011": M(S.EXCEPTION, R.RETURNED),  # returned to sender
        "Exception_012": M(S.EXCEPTION, R.DAMAGED),
        "Exception_013": M(S.EXCEPTION, R.LOST),
        "AttemptFail_001": M(S.ATTEMPT_FAIL),  # business closed
        "AttemptFail_002": M(S.ATTEMPT_FAIL),  # recipient not available
        "AttemptFail_003": M(S.ATTEMPT_FAIL),
    },
    "shippo": {
        "information_received": M(S.INFO_RECEIVED),
        "address_issue": M("", R.ADDRESS),
        "delayed": M("", R.DELAY),
        "delivery_attempted": M(S.ATTEMPT_FAIL),
        "notice_left": M(S.ATTEMPT_FAIL),
        "location_inaccessible": M(S.ATTEMPT_FAIL, R.ADDRESS),
        "delivery_rescheduled": M("", R.DELAY),
        "reschedule_delivery": M("", R.DELAY),
        "delivery_scheduled": M(),
        "out_for_delivery": M(S.OUT_FOR_DELIVERY),
        "package_accepted": M(S.IN_TRANSIT),
        "package_arrived": M(S.IN_TRANSIT),
        "package_departed": M(S.IN_TRANSIT),
        "package_forwarded": M(S.IN_TRANSIT),
        "package_processed": M(S.IN_TRANSIT),
        "package_processing": M(S.IN_TRANSIT),
        "package_held": M("", R.DELAY),
        "package_damaged": M(S.EXCEPTION, R.DAMAGED),
        "package_lost": M(S.EXCEPTION, R.LOST),
        "package_disposed": M(S.EXCEPTION, R.LOST),
        "package_unclaimed": M(S.EXCEPTION, R.RETURNED),
        "return_to_sender": M(S.EXCEPTION, R.RETURNED),
        "pickup_available": M(S.AVAILABLE_FOR_PICKUP),
        "delivered": M(S.DELIVERED),
        "contact_carrier": M(),
        "other": M(),
    },
    "easypost": {
        "label_created": M(S.INFO_RECEIVED),
        "awaiting_information": M(),
        "arrived_at_facility": M(S.IN_TRANSIT),
        "arrived_at_destination": M(S.IN_TRANSIT),
        "departed_facility": M(S.IN_TRANSIT),
        "departed_origin_facility": M(S.IN_TRANSIT),
        "received_at_origin_facility": M(S.IN_TRANSIT),
        "received_at_destination_facility": M(S.IN_TRANSIT),
        "transferred_to_destination_carrier": M(S.IN_TRANSIT),
        "in_transit": M(S.IN_TRANSIT),
        "status_update": M(),
        "arrived_at_pickup_location": M(S.AVAILABLE_FOR_PICKUP),
        "out_for_delivery": M(S.OUT_FOR_DELIVERY),
        "delivered": M(S.DELIVERED),
        "address_correction": M("", R.ADDRESS),
        "delayed": M("", R.DELAY),
        "held": M("", R.DELAY),
        "missorted": M("", R.DELAY),
        "weather_delay": M("", R.WEATHER),
        "damaged": M(S.EXCEPTION, R.DAMAGED),
        "lost": M(S.EXCEPTION, R.LOST),
        "refused": M(S.EXCEPTION, R.REFUSED),
        "return": M(S.EXCEPTION, R.RETURNED),
    },
    # --- Carriers (codes compared upper-case) --------------------------------------------------
    # DHL Express checkpoint codes.
    "dhl": {
        "SA": M(S.INFO_RECEIVED),
        "PU": M(S.IN_TRANSIT),
        "PL": M(S.IN_TRANSIT),
        "DF": M(S.IN_TRANSIT),
        "AF": M(S.IN_TRANSIT),
        "AR": M(S.IN_TRANSIT),
        "TR": M(S.IN_TRANSIT),
        "CR": M(S.IN_TRANSIT),
        "WC": M(S.OUT_FOR_DELIVERY),
        "OK": M(S.DELIVERED),
        "CA": M(S.ATTEMPT_FAIL),
        "NH": M(S.ATTEMPT_FAIL),
        "BA": M(S.EXCEPTION, R.ADDRESS),
        "CM": M(S.EXCEPTION, R.ADDRESS),
        "RD": M(S.EXCEPTION, R.REFUSED),
        "RT": M(S.EXCEPTION, R.RETURNED),
        "OH": M(S.EXCEPTION, R.DELAY),
        "MD": M(S.EXCEPTION, R.DELAY),
        "MS": M(S.EXCEPTION, R.DELAY),
        "HP": M(S.EXCEPTION, R.CUSTOMS),
    },
    # UPS activity status types.
    "ups": {
        "M": M(S.INFO_RECEIVED),
        "MV": M(S.EXPIRED),
        "P": M(S.IN_TRANSIT),
        "I": M(S.IN_TRANSIT),
        "O": M(S.OUT_FOR_DELIVERY),
        "D": M(S.DELIVERED),
        "X": M(S.EXCEPTION, R.UNKNOWN),
        "RS": M(S.EXCEPTION, R.RETURNED),
    },
    # FedEx status codes, which TNT uses since the merger.
    "fedex": {
        "OC": M(S.INFO_RECEIVED),
        "PU": M(S.IN_TRANSIT),
        "AP": M(S.IN_TRANSIT),
        "AR": M(S.IN_TRANSIT),
        "AF": M(S.IN_TRANSIT),
        "DP": M(S.IN_TRANSIT),
        "IT": M(S.IN_TRANSIT),
        "LO": M(S.IN_TRANSIT),
        "CC": M(S.IN_TRANSIT),
        "OD": M(S.OUT_FOR_DELIVERY),
        "DL": M(S.DELIVERED),
        "HL": M(S.AVAILABLE_FOR_PICKUP),
        "DE": M(S.EXCEPTION, R.UNKNOWN),
        "SE": M(S.EXCEPTION, R.UNKNOWN),
        "CD": M(S.EXCEPTION, R.CUSTOMS),
        "DY": M(S.EXCEPTION, R.DELAY),
        "DD": M(S.EXCEPTION, R.DELAY),
        "RS": M(S.EXCEPTION, R.RETURNED),
        "CA": M(S.EXPIRED),
    },
    # BRT: the event names of its public tracking.
    "brt": {
        "DATI RICEVUTI": M(S.INFO_RECEIVED),
        "RITIRATA": M(S.IN_TRANSIT),
        "PARTITA": M(S.IN_TRANSIT),
        "IN TRANSITO": M(S.IN_TRANSIT),
        "ARRIVATA IN FILIALE": M(S.IN_TRANSIT),
        "IN CONSEGNA": M(S.OUT_FOR_DELIVERY),
        "CONSEGNATA": M(S.DELIVERED),
        "MANCATA CONSEGNA": M(S.ATTEMPT_FAIL),
        "DESTINATARIO ASSENTE": M(S.ATTEMPT_FAIL),
        "IN GIACENZA": M(S.EXCEPTION, R.DELAY),
        "INDIRIZZO ERRATO": M(S.EXCEPTION, R.ADDRESS),
        "RIFIUTATA": M(S.EXCEPTION, R.REFUSED),
        "DANNEGGIATA": M(S.EXCEPTION, R.DAMAGED),
        "SMARRITA": M(S.EXCEPTION, R.LOST),
        "RESA AL MITTENTE": M(S.EXCEPTION, R.RETURNED),
        "FERMO DEPOSITO": M(S.AVAILABLE_FOR_PICKUP),
    },
    # GLS Italy: the statuses of its public tracking.
    "gls": {
        "PRESA IN CARICO": M(S.INFO_RECEIVED),
        "IN TRANSITO": M(S.IN_TRANSIT),
        "IN SEDE": M(S.IN_TRANSIT),
        "IN CONSEGNA": M(S.OUT_FOR_DELIVERY),
        "CONSEGNATA": M(S.DELIVERED),
        "NON CONSEGNATA": M(S.ATTEMPT_FAIL),
        "GIACENTE": M(S.EXCEPTION, R.DELAY),
        "INDIRIZZO ERRATO": M(S.EXCEPTION, R.ADDRESS),
        "RIFIUTATA": M(S.EXCEPTION, R.REFUSED),
        "DANNEGGIATA": M(S.EXCEPTION, R.DAMAGED),
        "RESA AL MITTENTE": M(S.EXCEPTION, R.RETURNED),
        "PARCELSHOP": M(S.AVAILABLE_FOR_PICKUP),
    },
    # Poste Italiane (and SDA, its courier): the statuses of its public tracking.
    "poste": {
        "ACCETTATO": M(S.INFO_RECEIVED),
        "IN LAVORAZIONE": M(S.IN_TRANSIT),
        "IN TRANSITO": M(S.IN_TRANSIT),
        "IN CONSEGNA": M(S.OUT_FOR_DELIVERY),
        "CONSEGNATO": M(S.DELIVERED),
        "MANCATA CONSEGNA": M(S.ATTEMPT_FAIL),
        "IN GIACENZA": M(S.AVAILABLE_FOR_PICKUP),
        "DISPONIBILE PER IL RITIRO": M(S.AVAILABLE_FOR_PICKUP),
        "IN DOGANA": M(S.EXCEPTION, R.CUSTOMS),
        "INDIRIZZO INESATTO": M(S.EXCEPTION, R.ADDRESS),
        "RIFIUTATO": M(S.EXCEPTION, R.REFUSED),
        "IN RESTITUZIONE": M(S.EXCEPTION, R.RETURNED),
        "RESTITUITO AL MITTENTE": M(S.EXCEPTION, R.RETURNED),
    },
}
FINE["tnt"] = FINE["fedex"]
FINE["sda"] = FINE["poste"]

CASE_SENSITIVE_SCHEMES = frozenset({"aftership", "shippo", "easypost"})


def code_key(scheme: str, code: str) -> str:
    """`code` as the tables and TrackingCode rows store it: carriers' codes upper-case."""
    code = " ".join(code.split())
    return code if scheme in CASE_SENSITIVE_SCHEMES else code.upper()


@dataclass(frozen=True)
class Normalised:
    status: str
    exception_reason: str
    # False: nothing maps the code completely; the caller lists it for an administrator.
    is_mapped: bool


def normalise(
    scheme: str,
    code: str,
    *,
    coarse: str = "",
    hint_status: str = "",
    overrides: Mapping[tuple[str, str], CodeMapping] | None = None,
) -> Normalised:
    """The status and exception reason of `code` in `scheme`. `coarse` is a provider's coarse
    status (AfterShip tag, Shippo status, EasyPost status); `hint_status` a TrackingStatus the
    sender added itself (generic endpoint, import). `overrides` are administrators' mappings by
    (scheme, code_key)."""
    key = code_key(scheme, code)
    base = COARSE.get(scheme, {}).get(coarse) if coarse else None
    if base is None and hint_status:
        base = M(hint_status)
    found = (overrides or {}).get((scheme, key)) or FINE.get(scheme, {}).get(key)
    if found is not None:
        status = found.status or (base.status if base else S.IN_TRANSIT)
        reason = found.exception_reason or (base.exception_reason if base and base.status == status else "")
        if status == S.EXCEPTION and not reason:
            return Normalised(status, R.UNKNOWN, False)
        return Normalised(status, reason, True)
    if base is None:
        return Normalised(S.IN_TRANSIT, "", False)
    if base.status == S.EXCEPTION and not base.exception_reason:
        return Normalised(S.EXCEPTION, R.UNKNOWN, False)
    return Normalised(base.status, base.exception_reason, True)
