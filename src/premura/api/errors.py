"""Errors of the REST API, in one place: the Error schema and the handlers that turn exceptions
into HTTP responses (docs/architecture.md, "REST API"; style.md §4).

Every error body has the same shape, ``{"detail": "..."}``; a 422 for invalid input also lists
the fields (``errors``) and names them in ``detail`` ("body.subject: Field required").
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import IntegrityError, models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from premura.core.exceptions import Conflict, DomainError


class FieldError(Schema):
    field: str
    message: str


class Error(Schema):
    """The body of every error response."""

    detail: str
    # Only on 422 for invalid input: one entry per field.
    errors: list[FieldError] | None = None


def errors(*codes: int) -> dict[int, type[Error]]:
    """The error responses an operation declares: ``response={200: X, **errors(401, 404)}``."""
    return dict.fromkeys(codes, Error)


class InvalidReference(Exception):
    """A body or query field names an object that does not exist: 422, naming the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


M = TypeVar("M", bound=models.Model)


def referenced(queryset: models.QuerySet[M] | type[M], pk: int, field: str) -> M:
    """The object a request field refers to by id; raises InvalidReference (422) if there is none.

    A missing path parameter is a 404; a missing object named in the body is invalid input.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise InvalidReference(
            field,
            _("There is no %(model)s with id %(id)s.")
            % {"model": queryset.model._meta.verbose_name, "id": pk},
        ) from None


def _field_name(loc: Any) -> str:
    """("body", "payload", "subject") -> "body.subject": the source and the field, not the parameter."""
    parts = [str(part) for part in loc or ()]
    if len(parts) >= 3 and parts[0] == "body" and parts[1] == "payload":
        del parts[1]
    return ".".join(parts)


def _response(api: NinjaAPI, request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


def register_error_handlers(api: NinjaAPI) -> None:
    """Install the exception handlers on `api`. The most specific class of an exception wins."""

    def handle(exc_class: type[Exception]) -> Callable[[Callable], Callable]:
        def decorator(func: Callable[[HttpRequest, Any], HttpResponse]) -> Callable:
            api.add_exception_handler(exc_class, func)
            return func

        return decorator

    @handle(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = exc.message if exc.message != "Unauthorized" else _("Authentication required.")
        response = _response(api, request, 401, message)
        response["WWW-Authenticate"] = 'Bearer realm="premura"'
        return response

    @handle(AuthorizationError)
    def forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        message = exc.message if exc.message != "Forbidden" else _("You are not allowed to do this.")
        return _response(api, request, 403, message)

    @handle(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return _response(api, request, 403, str(exc) or _("You are not allowed to do this."))

    @handle(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return _response(api, request, exc.status_code, str(exc))

    @handle(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _response(api, request, 404, _("Not found."))

    api.add_exception_handler(ObjectDoesNotExist, not_found)

    @handle(ValidationError)
    def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = [{"field": _field_name(e.get("loc")), "message": str(e.get("msg", ""))} for e in exc.errors]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or _("Invalid input.")
        return _response(api, request, 422, detail, errors=fields)

    @handle(InvalidReference)
    def invalid_reference(request: HttpRequest, exc: InvalidReference) -> HttpResponse:
        return _response(
            api,
            request,
            422,
            f"{exc.field}: {exc.message}",
            errors=[{"field": exc.field, "message": exc.message}],
        )

    # Domain errors (each app's exceptions.py derives from these two): their message is written
    # for the user. A conflict with an existing row is a 409, any other refusal a 422.
    @handle(DomainError)
    def refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return _response(api, request, 422, str(exc))

    @handle(Conflict)
    def conflicting(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return _response(api, request, 409, str(exc))

    @handle(IntegrityError)
    def conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        return _response(
            api, request, 409, _("This conflicts with an existing record: a unique value is taken.")
        )
