"""The shop's logo, public (the portal shows it to customers without a login)."""

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from premura.shop.models import LOGO_TYPES
from premura.shop.queries import shop_settings


@require_GET
def logo(request: HttpRequest, version: int) -> FileResponse:
    """The logo. Its URL carries the settings' version (`ShopSettings.logo_version`), which changes
    when the logo does, so browsers may keep each URL's image for a year."""
    shop = shop_settings()
    content_type = LOGO_TYPES.get(shop.logo.name.rsplit(".", 1)[-1].lower()) if shop.logo else None
    if content_type is None:
        raise Http404
    response = FileResponse(shop.logo.open("rb"), content_type=content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
