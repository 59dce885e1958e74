"""Schemathesis hooks for tests/api/test_openapi_conformance.py (loaded through SCHEMATHESIS_HOOKS).

schemathesis's positive_data_acceptance check wants every request the schema allows to succeed.
Some refusals depend on data or rules an OpenAPI document cannot state: an id that names nothing,
a weak password, a time zone that does not exist, an event dated in the future, a total that does
not add up, an Idempotency-Key already used for another request. The API marks those (a 422 whose
errors are all of type domain_rule, unknown_reference or idempotency_key_reused, or a domain
error with only a detail); this check lets exactly those through and fails on any other refusal
of valid data, which would mean the document is looser than the API.
"""

import json

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

SEMANTIC_ERROR_TYPES = {"domain_rule", "unknown_reference", "idempotency_key_reused"}


def is_semantic_refusal(status_code: int, body: bytes) -> bool:
    if status_code != 422:
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    if not isinstance(data, dict) or not isinstance(data.get("detail"), str):
        return False
    errors = data.get("errors")
    if errors is None:  # a domain error: its message is all there is
        return True
    return bool(errors) and all(error.get("type") in SEMANTIC_ERROR_TYPES for error in errors)


@schemathesis.check
def positive_data_accepted_unless_a_domain_rule_refuses(ctx, response, case):
    if is_semantic_refusal(response.status_code, response.content):
        return None
    return positive_data_acceptance(ctx, response, case)
