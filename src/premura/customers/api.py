"""Customers in the REST API: /api/v1/customers."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from premura.api.errors import errors
from premura.api.idempotency import idempotent
from premura.api.pagination import LimitOffset
from premura.customers import services
from premura.customers.models import Customer, IdentityKind, fold_name
from premura.customers.schemas import CustomerFilters, CustomerIn, CustomerOut, CustomerPatch

router = Router(tags=["customers"])


def _customers() -> QuerySet[Customer]:
    return Customer.objects.prefetch_related("identities")


@router.get("/customers", response={200: list[CustomerOut], **errors(401, 403, 422)})
@paginate(LimitOffset)
def list_customers(request: HttpRequest, filters: Query[CustomerFilters]):
    """Customers, by name; `email` finds the one with that address, `q` those whose name starts so."""
    customers = _customers()
    if filters.email:
        found = services.find_customer(IdentityKind.EMAIL, filters.email)
        customers = customers.filter(pk=found.pk if found is not None else None)
    if filters.q and (name := fold_name(filters.q)):
        customers = customers.filter(search_name__gte=name, search_name__lt=name + "\uffff")
    return customers.order_by("search_name", "pk")


@router.get("/customers/{int:customer_id}", response={200: CustomerOut, **errors(401, 403, 404, 422)})
def get_customer(request: HttpRequest, customer_id: int):
    return get_object_or_404(_customers(), pk=customer_id)


@router.post("/customers", response={201: CustomerOut, **errors(401, 403, 409, 422)})
@idempotent
def create_customer(request: HttpRequest, payload: CustomerIn):
    """Create a customer with their identities (e-mail, phone...). An identity that already belongs
    to someone is a 409; e-mails are stored lower-cased, phones as +39...
    """
    data = payload.model_dump(exclude={"identities"})
    customer = services.create_customer(
        **data,
        identities=[services.NewIdentity(i.kind, i.value, i.is_primary) for i in payload.identities],
        actor=request.user,
    )
    return Status(201, get_object_or_404(_customers(), pk=customer.pk))


@router.patch("/customers/{int:customer_id}", response={200: CustomerOut, **errors(401, 403, 404, 422)})
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch):
    """Change the language, preferred channel, time zone, quiet hours or marketing consent."""
    customer = get_object_or_404(Customer, pk=customer_id)
    services.update_customer(customer, changes=payload.model_dump(exclude_unset=True), actor=request.user)
    return get_object_or_404(_customers(), pk=customer_id)
