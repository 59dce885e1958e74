"""The OpenAPI schema and the docs page."""

from django.test import Client


def test_the_schema_declares_the_errors_of_creating_a_case(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Premura API"
    responses = schema["paths"]["/api/v1/cases"]["post"]["responses"]
    # 409: a request with the same Idempotency-Key is still in progress.
    assert sorted(responses) == ["201", "401", "403", "409", "422"]
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    assert responses["401"]["content"] == error
    assert responses["422"]["content"] == error
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"detail"}


def test_every_operation_declares_401_403_and_422_and_needs_a_bearer_token(db):
    schema = Client().get("/api/openapi.json").json()
    bearer = {"type": "http", "scheme": "bearer"}
    assert schema["components"]["securitySchemes"] == {"ApiTokenAuth": bearer, "AdminTokenAuth": bearer}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if path.startswith(("/api/v1/tracking/webhooks/", "/api/v1/shop/webhooks/")):
                # Providers and shops sign their requests instead: no token
                # (tests/shipping/test_tracking_webhooks.py, tests/commerce/test_shop_webhooks.py).
                assert operation.get("security", []) == [], f"{method} {path}"
                assert {"401", "404"} <= set(operation["responses"]), f"{method} {path}"
                continue
            assert {"401", "403", "422"} <= set(operation["responses"]), f"{method} {path}"
            # Managing agents needs an administrator's token; everything else any agent's.
            scheme = "AdminTokenAuth" if path == "/api/v1/agents" else "ApiTokenAuth"
            assert operation["security"] == [{scheme: []}], f"{method} {path}"
            if "{" in path:
                assert "404" in operation["responses"], f"{method} {path}"


def test_the_docs_page_is_served_from_our_own_static_files(db):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/openapi.json" in page
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()  # works on a closed network and leaks nothing to a CDN
    assert Client().get("/static/ninja/swagger-ui-bundle.js").status_code == 200
