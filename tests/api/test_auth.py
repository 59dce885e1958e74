"""Token authentication: who gets in, and what a refusal says."""

import datetime

import pytest
from django.utils import timezone

from premura.api.models import ApiToken
from tests.api.conftest import ApiClient, client_for

MISSING = {"detail": "Missing API token: send 'Authorization: Bearer <token>'."}


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer   ", "Basic bWFyY286cHc=", "Token prm_abc"],
    ids=["no header", "empty", "scheme only", "blank token", "basic auth", "other scheme"],
)
def test_it_refuses_a_request_without_a_bearer_token(db, authorization):
    response = ApiClient(authorization=authorization).get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json() == MISSING
    assert response["WWW-Authenticate"] == 'Bearer realm="premura"'


def test_it_refuses_an_unknown_token(agent):
    ApiToken.issue(agent.user, "real")
    response = ApiClient("prm_not-a-real-token").get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid API token."}


def test_it_refuses_a_revoked_token(agent):
    token, raw = ApiToken.issue(agent.user, "revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    response = ApiClient(raw).get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has been revoked."}


def test_it_refuses_the_token_of_an_inactive_user(agent):
    api = client_for(agent.user)
    agent.user.is_active = False
    agent.user.save(update_fields=["is_active"])
    response = api.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.json() == {"detail": "The user of this API token is inactive."}


def test_it_accepts_a_valid_token_and_records_its_use(agent):
    token, raw = ApiToken.issue(agent.user, "crm")
    assert token.last_used_at is None
    response = ApiClient(raw).get("/api/v1/teams")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < datetime.timedelta(seconds=10)


def test_it_writes_last_used_at_at_most_once_a_minute(agent):
    token, raw = ApiToken.issue(agent.user, "crm")
    recent = timezone.now() - datetime.timedelta(seconds=30)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    assert ApiClient(raw).get("/api/v1/teams").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == recent

    old = timezone.now() - datetime.timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)
    assert ApiClient(raw).get("/api/v1/teams").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > old


def test_the_scheme_is_case_insensitive(agent):
    _token, raw = ApiToken.issue(agent.user, "crm")
    response = ApiClient(authorization=f"bearer {raw}").get("/api/v1/teams")
    assert response.status_code == 200
