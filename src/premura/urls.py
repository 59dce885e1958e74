from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from premura.api.api import api
from premura.api.errors import api_not_found

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:inbox", permanent=False)),
    # The e-mail channel's console pages (channels.views): agents only, like the console.
    path("console/mail/", include("premura.channels.urls")),
    # The SLA's report (sla.views): agents only, like the console.
    path("console/sla/", include("premura.sla.urls")),
    path("console/care/", include("premura.care.urls")),
    path("console/", include("premura.console.urls")),
    path("portal/", include("premura.portal.urls")),
    path("shop/", include("premura.shop.urls")),
    path("api/", api.urls),
    re_path(r"^api/", api_not_found),  # every other /api/ path: the API's JSON 404
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
# Uploaded files are never served from MEDIA_URL, not even with DEBUG: attachments go through
# console.views.attachment (the case's access check) and the logo through premura.shop.
