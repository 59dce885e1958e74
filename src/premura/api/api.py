"""The NinjaAPI instance: mounts each domain's Router under /api/v1/ (docs at /api/docs)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Premura API", version="1", urls_namespace="api", docs_url="/docs")
