"""API clients, one per persona, each with its own token; and a snapshot of the rows a refused
request must not have written."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from premura.agents.models import Agent
from premura.api.models import ApiToken
from premura.commerce.models import Order, Payment
from premura.conversations.models import Case, Message
from premura.core.models import AuditEvent
from premura.customers.models import Customer, CustomerIdentity
from premura.shipping.models import Shipment, TrackingEvent


class ApiClient:
    """A django.test.Client that sends a bearer token and JSON bodies, and asks for English."""

    def __init__(self, raw_token: str | None = None, authorization: str | None = None) -> None:
        self.client = Client()
        self.headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if raw_token:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {raw_token}"
        if authorization is not None:
            self.headers["HTTP_AUTHORIZATION"] = authorization

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {}, **self.headers)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(path, json.dumps(body or {}), content_type="application/json", **self.headers)

    def patch(self, path: str, body: dict | None = None):
        return self.client.patch(
            path, json.dumps(body or {}), content_type="application/json", **self.headers
        )

    def put(self, path: str, body: dict | None = None):
        return self.client.put(path, json.dumps(body or {}), content_type="application/json", **self.headers)

    def request(self, method: str, path: str, body: dict | None = None):
        if method == "GET":
            return self.get(path)
        return getattr(self, method.lower())(path, body)


def client_for(user) -> ApiClient:
    _token, raw = ApiToken.issue(user, "tests")
    return ApiClient(raw)


@pytest.fixture
def agent_api(agent) -> ApiClient:
    return client_for(agent.user)


@pytest.fixture
def admin_api(admin) -> ApiClient:
    return client_for(admin.user)


@pytest.fixture
def anonymous_api(db) -> ApiClient:
    return ApiClient()


@pytest.fixture
def outsider_api(db) -> ApiClient:
    """A valid token of a user who is not an agent of the desk."""
    user = get_user_model().objects.create_user(username="esterno", password="premura-test-pw")
    return client_for(user)


COUNTED_MODELS = [
    Customer,
    CustomerIdentity,
    Order,
    Payment,
    Shipment,
    TrackingEvent,
    Case,
    Message,
    Agent,
    get_user_model(),
    AuditEvent,
]


def row_counts() -> dict[str, int]:
    """How many rows each writable model has: equal before and after a refused request."""
    return {model.__name__: model.objects.count() for model in COUNTED_MODELS}
