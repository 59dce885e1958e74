"""``Idempotency-Key`` on every POST that creates something (docs/decisions/0007-api-idempotency-keys.md).

A client that is not sure its POST arrived (a timeout, a dropped connection, a proxy replaying
it) sends it again with the same ``Idempotency-Key`` header, and nothing is created twice. The
spirit is Zulip's (docs/subsystems/idempotency.md):

1. A key is the client's, per user: (user, key) is unique in IdempotentRequest. The request it
   stands for is the operation ("POST /api/v1/cases") and a SHA-256 of the body (canonical JSON)
   and the query string.
2. The first request with a key inserts the row "in flight" (no response yet) and commits it,
   then runs the handler and stores the response in the handler's own transaction: the work and
   the stored response commit together or not at all.
3. The same key and the same request again: the stored response (status and body), with the
   header ``Idempotent-Replayed: true``; nothing runs.
4. The same key with another request: 422 (the key names the field); nothing runs.
5. The same key while the first request is still in flight: 409; nothing runs. A row left in
   flight by a crashed process is taken over after IN_FLIGHT_TIMEOUT (its work was rolled back).
6. Responses under 500 are stored, a refusal included (a retry gets the same refusal; change the
   key after changing the request). A 5xx is not stored and releases the key, so a retry with the
   same key runs again: the handler's transaction was rolled back.
7. Validation of the request itself (401, 403, 422 from the schema) happens before any of this
   and is never stored, so such requests are checked afresh every time.
8. Keys expire after IDEMPOTENCY_KEY_TTL (24 hours): an expired key counts as new, and
   ``purge_idempotent_requests`` (a periodic task) deletes old rows.
"""

import datetime
import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Field, Header, Schema
from ninja.decorators import _apply_decorators
from ninja.operation import Operation
from ninja.utils import contribute_operation_args, contribute_operation_callback

from premura.api.errors import Error
from premura.api.models import IdempotentRequest
from premura.core import clock

HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_TTL = datetime.timedelta(hours=24)
IN_FLIGHT_TIMEOUT = datetime.timedelta(minutes=5)
REPLAYED_HEADER = "Idempotent-Replayed"
# The error type of a key reused for another request (FieldError.type).
KEY_REUSED = "idempotency_key_reused"
PURGE_BATCH = 1000


class IdempotencyHeaders(Schema):
    idempotency_key: str | None = Field(
        None,
        alias=HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "A key the client makes for this request (a UUID, say): sent again with the same body, "
            "the first response comes back and nothing is created twice. Kept 24 hours."
        ),
    )


def request_hash(request: HttpRequest) -> str:
    """SHA-256 of the body as canonical JSON (key order and spacing do not matter) and the query."""
    body = request.body
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    query = request.META.get("QUERY_STRING", "")
    return hashlib.sha256(f"{canonical}\n{query}".encode()).hexdigest()


def _remember_operation(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap Operation.run to note the operation on the request: the view renders through it."""
    operation = getattr(run, "__self__", None)

    @wraps(run)
    def run_noting_operation(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        request._premura_operation = operation  # type: ignore[attr-defined]
        return run(request, **kwargs)

    return run_noting_operation


def _declare(operation: Operation) -> None:
    """The operation may answer 409 (a duplicate in flight); note it in the OpenAPI document."""
    operation.response_models.setdefault(409, operation._create_response_model(Error))
    _apply_decorators((_remember_operation,), operation)


class RequiredIdempotencyHeaders(IdempotencyHeaders):
    idempotency_key: str = Field(
        ...,
        alias=HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "Required: a key the client makes for this action (a UUID, say). Sent again with the same "
            "body, the first response comes back and the action is done once; with another body, 422."
        ),
    )


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a create handler honour the Idempotency-Key header. Put it under ``@router.post``."""
    return _idempotent(view, IdempotencyHeaders)


def idempotency_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """`idempotent`, with the header required (a 422 without it): for actions that move money,
    whose handler also passes the key on to the action (read it with `request.headers[HEADER]`)."""
    return _idempotent(view, RequiredIdempotencyHeaders)


def _idempotent(view: Callable[..., Any], headers_schema: type[IdempotencyHeaders]) -> Callable[..., Any]:
    @wraps(view)
    def idempotent_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        headers: IdempotencyHeaders | None = kwargs.pop("idempotency", None)
        key = headers.idempotency_key if headers is not None else None
        if key is None:
            return view(request, *args, **kwargs)
        operation: Operation = request._premura_operation  # type: ignore[attr-defined]
        label = f"{request.method} {request.path}"
        claimed = _claim(request, operation, key, label, request_hash(request))
        if isinstance(claimed, HttpResponseBase):
            return claimed
        with transaction.atomic():
            response = _run(request, operation, view, args, kwargs)
            if response.status_code < 500:
                IdempotentRequest.objects.filter(pk=claimed.pk).update(
                    response_status=response.status_code, response_body=response.content.decode()
                )
                return response
            transaction.set_rollback(True)
        # A server error: nothing was kept, so the key is free for a retry.
        IdempotentRequest.objects.filter(pk=claimed.pk, response_status__isnull=True).delete()
        return response

    contribute_operation_args(idempotent_view, "idempotency", headers_schema, Header(...))
    contribute_operation_callback(idempotent_view, _declare)
    return idempotent_view


def _run(
    request: HttpRequest, operation: Operation, view: Callable[..., Any], args: Any, kwargs: Any
) -> HttpResponseBase:
    """The handler's response as the client would get it, errors included (rendered by the API)."""
    try:
        with transaction.atomic():
            result = view(request, *args, **kwargs)
            return operation._result_to_response(
                request, result, operation.api.create_temporal_response(request)
            )
    except Exception as exc:
        return operation.api.on_exception(request, exc)


def _claim(
    request: HttpRequest, operation: Operation, key: str, label: str, digest: str, *, retry: bool = True
) -> IdempotentRequest | HttpResponseBase:
    """The row this request now holds, or the response it gets instead (a replay, a 409, a 422)."""
    user = request.user
    now = clock.now()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(
                user=user, key=key, operation=label, request_hash=digest, created_at=now, started_at=now
            )
    except IntegrityError:
        pass
    existing = IdempotentRequest.objects.filter(user=user, key=key).first()
    if existing is None or existing.created_at < now - IDEMPOTENCY_KEY_TTL:
        if existing is not None:  # expired: it counts as new
            IdempotentRequest.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
        if retry:
            return _claim(request, operation, key, label, digest, retry=False)
        return _error(request, operation, 409, _("A request with this Idempotency-Key is in progress."))
    if (existing.operation, existing.request_hash) != (label, digest):
        message = _("This Idempotency-Key was already used for another request.")
        field = f"header.{HEADER}"
        return operation.api.create_response(
            request,
            {
                "detail": f"{field}: {message}",
                "errors": [{"field": field, "message": message, "type": KEY_REUSED}],
            },
            status=422,
        )
    if existing.response_status is not None:
        response = HttpResponse(
            existing.response_body,
            status=existing.response_status,
            content_type="application/json; charset=utf-8",
        )
        response[REPLAYED_HEADER] = "true"
        return response
    if existing.started_at < now - IN_FLIGHT_TIMEOUT:
        # Left in flight by a process that died: its transaction was rolled back, take it over.
        taken = IdempotentRequest.objects.filter(
            pk=existing.pk, response_status__isnull=True, started_at=existing.started_at
        ).update(started_at=now)
        if taken:
            existing.started_at = now
            return existing
    return _error(request, operation, 409, _("A request with this Idempotency-Key is in progress."))


def _error(request: HttpRequest, operation: Operation, status: int, detail: str) -> HttpResponseBase:
    return operation.api.create_response(request, {"detail": detail}, status=status)


def purge_idempotent_requests(*, now: datetime.datetime | None = None) -> int:
    """Delete the rows of keys older than IDEMPOTENCY_KEY_TTL, a batch at a time; returns how many."""
    cutoff = (now or clock.now()) - IDEMPOTENCY_KEY_TTL
    deleted = 0
    while True:
        batch = list(
            IdempotentRequest.objects.filter(created_at__lt=cutoff)
            .order_by("created_at")
            .values_list("pk", flat=True)[:PURGE_BATCH]
        )
        if not batch:
            return deleted
        deleted += IdempotentRequest.objects.filter(pk__in=batch).delete()[0]
