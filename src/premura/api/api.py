"""The NinjaAPI instance: mounts each domain's Router under /api/v1/ (docs at /api/docs).

Every operation needs an API token (``Authorization: Bearer <token>``) of an agent; the docs page
and the OpenAPI schema (/api/openapi.json) are public. Errors are handled in premura.api.errors.
"""

from ninja import NinjaAPI

from premura.agents.api import router as agents_router
from premura.api.auth import ApiTokenAuth
from premura.api.errors import StrictJsonParser, register_error_handlers
from premura.api.throttling import TokenRateThrottle, register_throttle_handler
from premura.channels.api import router as messages_router
from premura.commerce.api import router as orders_router
from premura.commerce.api import webhooks_router as shop_webhooks_router
from premura.conversations.api import router as cases_router
from premura.customers.api import router as customers_router
from premura.shipping.api import router as shipments_router
from premura.shipping.api import webhooks_router as tracking_webhooks_router

api = NinjaAPI(
    title="Premura API",
    version="1",
    description=(
        "Customer care for online shops: customers, orders, shipments and tracking, cases and messages. "
        "Authenticate with `Authorization: Bearer <token>`; tokens are issued in the admin or with "
        '`premura create_api_token <username>`. Errors are `{"detail": "..."}`.'
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=ApiTokenAuth(),
    throttle=TokenRateThrottle(),
    parser=StrictJsonParser(),
)
register_error_handlers(api)
register_throttle_handler(api)

api.add_router("/v1/", customers_router)
api.add_router("/v1/", orders_router)
api.add_router("/v1/", shipments_router)
api.add_router("/v1/", tracking_webhooks_router)
api.add_router("/v1/", shop_webhooks_router)
api.add_router("/v1/", cases_router)
api.add_router("/v1/", agents_router)
api.add_router("/v1/", messages_router)
