from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from premura.api.api import api

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:inbox", permanent=False)),
    path("console/", include("premura.console.urls")),
    path("portal/", include("premura.portal.urls")),
    path("shop/", include("premura.shop.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
# Uploaded files are never served from MEDIA_URL, not even with DEBUG: attachments go through
# console.views.attachment (the case's access check) and the logo through premura.shop.
