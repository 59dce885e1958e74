"""Errors of the REST API, in one place: the Error schema and the handlers that turn exceptions
into HTTP responses (docs/architecture.md, "REST API"; style.md §4).

Every error body has the same shape, ``{"detail": "..."}``, in the language of the request's
Accept-Language (English unless Italian is asked for; premura.api.middleware). A 422 for invalid
input also lists the fields (``errors``) and names them in ``detail`` ("body.subject: Field
required"); pydantic's messages are rewritten from their error type, so they follow the language
too. An unexpected error is a 500 with an ``error_id``, logged with its traceback under that id.
"""

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import IntegrityError, models
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import get_language, gettext_lazy, ngettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.parser import Parser

from premura.api.schemas import DOMAIN_RULE_TYPE
from premura.core.exceptions import Conflict, DomainError

logger = logging.getLogger("premura.api")


class FieldError(Schema):
    field: str
    message: str
    type: str = Field(
        ...,
        description=(
            "What is wrong: pydantic's error type (missing, string_too_long, ...), 'domain_rule' for a "
            "rule the schema cannot state (a weak password, an unknown time zone, a date in the future), "
            "'unknown_reference' for an id that names nothing, 'json_invalid' for a body that is not JSON."
        ),
    )


class Error(Schema):
    """The body of every error response."""

    detail: str
    # Only on 422 for invalid input: one entry per field.
    errors: list[FieldError] | None = None
    # Only on 500: the id under which the error was logged, for the administrator.
    error_id: str | None = None


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


# The error type of a refusal the schema cannot state (see premura.api.schemas.domain_rule).
DOMAIN_RULE = DOMAIN_RULE_TYPE
UNKNOWN_REFERENCE = "unknown_reference"


class MalformedBody(ValueError):
    """The request body is not a JSON object."""


class StrictJsonParser(Parser):
    """JSON bodies must be one JSON object, with no NaN or Infinity (they are not JSON)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        def refuse_constant(name: str) -> Any:
            raise MalformedBody(name)

        try:
            data = json.loads(request.body, parse_constant=refuse_constant)
        except ValueError as exc:  # also UnicodeDecodeError and digits past Python's limit
            raise MalformedBody(str(exc)) from exc
        if not isinstance(data, dict):
            raise MalformedBody("not an object")
        return data


# pydantic's error types, in our words (the English is pydantic's own where it says it well).
# An error type not listed keeps pydantic's English message when the request is in English
# and becomes "Invalid value." in another language: a detail never mixes two languages.
_VALIDATION_MESSAGES: dict[str, Any] = {
    "missing": gettext_lazy("Field required"),
    "extra_forbidden": gettext_lazy("Unknown field: it is not part of this request"),
    "int_type": gettext_lazy("Input should be a valid integer"),
    "int_parsing": gettext_lazy("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": gettext_lazy("Input should be a valid integer, got a number with a fractional part"),
    "bool_type": gettext_lazy("Input should be a valid boolean"),
    "bool_parsing": gettext_lazy("Input should be a valid boolean"),
    "string_type": gettext_lazy("Input should be a valid string"),
    "list_type": gettext_lazy("Input should be a valid list"),
    "model_type": gettext_lazy("Input should be an object"),
    "model_attributes_type": gettext_lazy("Input should be an object"),
    "dict_type": gettext_lazy("Input should be an object"),
    "date_type": gettext_lazy("Input should be a valid date"),
    "date_parsing": gettext_lazy("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_parsing": gettext_lazy("Input should be a valid date in the format YYYY-MM-DD"),
    "date_from_datetime_inexact": gettext_lazy("Input should be a valid date in the format YYYY-MM-DD"),
    "datetime_type": gettext_lazy("Input should be a valid date and time"),
    "datetime_parsing": gettext_lazy("Input should be a valid date and time in ISO 8601"),
    "datetime_from_date_parsing": gettext_lazy("Input should be a valid date and time in ISO 8601"),
    "timezone_aware": gettext_lazy("Input should have timezone info"),
    "greater_than_equal": gettext_lazy("Input should be greater than or equal to %(ge)s"),
    "less_than_equal": gettext_lazy("Input should be less than or equal to %(le)s"),
    "greater_than": gettext_lazy("Input should be greater than %(gt)s"),
    "less_than": gettext_lazy("Input should be less than %(lt)s"),
    "string_too_short": (
        "min_length",
        ngettext_lazy(
            "String should have at least %(min_length)s character",
            "String should have at least %(min_length)s characters",
            "min_length",
        ),
    ),
    "string_too_long": (
        "max_length",
        ngettext_lazy(
            "String should have at most %(max_length)s character",
            "String should have at most %(max_length)s characters",
            "max_length",
        ),
    ),
    "too_short": (
        "min_length",
        ngettext_lazy(
            "List should have at least %(min_length)s item",
            "List should have at least %(min_length)s items",
            "min_length",
        ),
    ),
    "too_long": (
        "max_length",
        ngettext_lazy(
            "List should have at most %(max_length)s item",
            "List should have at most %(max_length)s items",
            "max_length",
        ),
    ),
    "string_pattern_mismatch": gettext_lazy("String should match pattern '%(pattern)s'"),
    "enum": gettext_lazy("Input should be %(expected)s"),
    "literal_error": gettext_lazy("Input should be %(expected)s"),
}


def _validation_message(error: dict[str, Any]) -> str:
    """One pydantic error in the active language."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == DOMAIN_RULE:
        return str(error.get("msg", ""))
    if kind == "value_error" and "error" in ctx:
        # Our own validators raise ValueError with a message already translated.
        return str(ctx["error"])
    template = _VALIDATION_MESSAGES.get(kind)
    if template is not None:
        expected = str(ctx.get("expected", ""))
        values: dict[str, Any] = {key: str(value) for key, value in ctx.items()}
        values["expected"] = re.sub(r"\s+or\s+(?=')", f" {_('or')} ", expected)
        if isinstance(template, tuple):  # a plural: (the number's key, the lazy ngettext)
            number_key, template = template
            values[number_key] = ctx.get(number_key, 0)
        try:
            return template % values
        except (KeyError, ValueError, TypeError):
            pass
    if (get_language() or "en").startswith("en"):
        return str(error.get("msg", "")) or _("Invalid value.")
    return _("Invalid value.")


@dataclass(frozen=True)
class UniqueRule:
    """A unique constraint the API knows: a conflict with it is a 409 with this message."""

    table: str
    columns: frozenset[str]
    message: Any


def _constraint(label: str, name: str, message: Any) -> tuple[str, UniqueRule]:
    model = apps.get_model(label)
    [constraint] = [c for c in model._meta.constraints if getattr(c, "name", None) == name]
    columns = frozenset(model._meta.get_field(f).column for f in constraint.fields)  # type: ignore[attr-defined]
    return name, UniqueRule(model._meta.db_table, columns, message)


def _unique_field(model: str | type[models.Model], field: str, message: Any) -> tuple[str, UniqueRule]:
    if isinstance(model, str):
        model = apps.get_model(model)
    column = model._meta.get_field(field).column
    # The name PostgreSQL gives a column's UNIQUE: table_column_key.
    return f"{model._meta.db_table}_{column}_key", UniqueRule(
        model._meta.db_table, frozenset([column]), message
    )


def known_constraints() -> dict[str, UniqueRule]:
    """The unique constraints a request can run into, by name, with what a 409 says about each.

    Models are named by label: the API knows the constraints, not the domain apps' modules.
    """
    return dict(
        [
            _constraint(
                "conversations.Message",
                "message_channel_external_id_unique",
                gettext_lazy("A message with this external_id was already recorded on this channel."),
            ),
            _constraint(
                "customers.CustomerIdentity",
                "identity_kind_value_unique",
                gettext_lazy("This identity already belongs to a customer."),
            ),
            _unique_field(
                "commerce.Order", "number", gettext_lazy("An order with this number was already imported.")
            ),
            _constraint(
                "commerce.Order",
                "order_source_external_id_unique",
                gettext_lazy("An order with this external_id was already imported from this source."),
            ),
            _constraint(
                "shipping.Shipment",
                "shipment_tracking_unique",
                gettext_lazy("This carrier already has a shipment with this tracking number."),
            ),
            _constraint(
                "shipping.TrackingEvent",
                "tracking_event_external_id_unique",
                gettext_lazy("A tracking event with this external_id was already recorded."),
            ),
            _unique_field(get_user_model(), "username", gettext_lazy("This username is taken.")),
        ]
    )


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>.+)$")
_POSTGRES_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)=")


def known_constraint(exc: IntegrityError) -> UniqueRule | None:
    """The known unique constraint `exc` broke, if it is one (PostgreSQL and SQLite)."""
    rules = known_constraints()
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg): the constraint's name, else its table and columns
        if diag.constraint_name in rules:
            return rules[diag.constraint_name]
        match = _POSTGRES_KEY.search(diag.message_detail or "")
        if not match:
            return None
        table, columns = diag.table_name, frozenset(c.strip() for c in match["columns"].split(","))
    else:  # SQLite: "UNIQUE constraint failed: table.column, table.column"
        match = _SQLITE_UNIQUE.search(str(exc))
        if not match:
            return None
        pairs = [part.strip().split(".", 1) for part in match["columns"].split(",")]
        if any(len(pair) != 2 for pair in pairs):
            return None
        tables = {table for table, _column in pairs}
        if len(tables) != 1:
            return None
        table, columns = tables.pop(), frozenset(column for _table, column in pairs)
    for rule in rules.values():
        if rule.table == table and rule.columns == columns:
            return rule
    return None


def server_error_body(error_id: str) -> dict[str, str]:
    return {
        "detail": _("An unexpected error occurred. It was logged with the id %(id)s.") % {"id": error_id},
        "error_id": error_id,
    }


def log_server_error(request: HttpRequest, exc: BaseException) -> str:
    """Log `exc` with its traceback under a new error id, and return the id."""
    error_id = uuid.uuid4().hex[:12]
    logger.error(
        "API error %s on %s %s: %s",
        error_id,
        request.method,
        request.path,
        exc.__class__.__name__,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return error_id


@csrf_exempt  # a POST to an unknown path is a 404, not the CSRF failure page
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any /api/ path the API does not have: the API's JSON 404, not the site's HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


def _field_name(loc: Any) -> str:
    """("body", "payload", "subject") -> "body.subject": the source and the field, not the parameter."""
    parts = [str(part) for part in loc or ()]
    if len(parts) >= 2 and parts[0] == "body" and parts[1] == "payload":
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
        if isinstance(exc.__cause__, MalformedBody):  # raised by StrictJsonParser, wrapped by ninja
            message = _("The body must be one JSON object.")
            return _response(
                api,
                request,
                422,
                f"body: {message}",
                errors=[{"field": "body", "message": message, "type": "json_invalid"}],
            )
        return _response(api, request, exc.status_code, str(exc))

    @handle(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return _response(api, request, 404, _("Not found."))

    api.add_exception_handler(ObjectDoesNotExist, not_found)

    @handle(ValidationError)
    def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields = [
            {"field": _field_name(e.get("loc")), "message": _validation_message(e), "type": e.get("type", "")}
            for e in exc.errors
        ]
        detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or _("Invalid input.")
        return _response(api, request, 422, detail, errors=fields)

    @handle(InvalidReference)
    def invalid_reference(request: HttpRequest, exc: InvalidReference) -> HttpResponse:
        return _response(
            api,
            request,
            422,
            f"{exc.field}: {exc.message}",
            errors=[{"field": exc.field, "message": exc.message, "type": UNKNOWN_REFERENCE}],
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
        """A known unique constraint is a 409 that says which; any other IntegrityError is a bug."""
        rule = known_constraint(exc)
        if rule is None:
            return server_error(request, exc)
        return _response(api, request, 409, str(rule.message))

    @handle(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        error_id = log_server_error(request, exc)
        return api.create_response(request, server_error_body(error_id), status=500)
