"""Issuing tokens: in the Django admin (shown once) and with the create_api_token command."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client

from premura.api.models import ApiToken, hash_token
from tests.api.conftest import ApiClient


def test_the_admin_shows_a_new_token_once_and_it_works(admin, agent):
    client = Client()
    client.force_login(admin.user)
    response = client.post(
        "/admin/api/apitoken/add/", {"user": agent.user.pk, "name": "CRM"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302, response.content
    token = ApiToken.objects.get(name="CRM")
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "copy it now" in str(m)]
    raw = re.search(r"prm_\S+", message).group(0)
    assert token.key_hash == hash_token(raw)
    assert token.key_hint == raw[:12]
    assert raw not in str(ApiToken.objects.values())
    assert ApiClient(raw).get("/api/v1/teams").status_code == 200


def test_the_admin_revokes_tokens(admin, agent):
    token, raw = ApiToken.issue(agent.user, "CRM")
    client = Client()
    client.force_login(admin.user)
    response = client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiClient(raw).get("/api/v1/teams").status_code == 401


def test_the_command_prints_a_token_for_an_agent(agent):
    out = io.StringIO()
    call_command("create_api_token", "marco", "--name", "import ordini", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(key_hash=hash_token(raw))
    assert (token.user, token.name) == (agent.user, "import ordini")
    assert ApiClient(raw).get("/api/v1/teams").status_code == 200


def test_the_command_refuses_unknown_users_and_non_agents(db):
    get_user_model().objects.create_user(username="esterno")
    with pytest.raises(CommandError, match="No user named 'nessuno'"):
        call_command("create_api_token", "nessuno")
    with pytest.raises(CommandError, match="'esterno' is not an agent"):
        call_command("create_api_token", "esterno")
    assert not ApiToken.objects.exists()
