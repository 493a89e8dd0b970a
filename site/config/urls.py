from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from config.errors import api_not_found
from config.health import health
from register.api import api

urlpatterns = [
    # The app's faster site history report, in place of Wagtail's at the same paths.
    path("admin/", include("api_clients.admin_urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("api/v1/", api.urls),
    # Anything else under /api/ (its root, another version): JSON too, never a page.
    re_path(r"^api(?:/|$)", api_not_found),
    path("health", health, name="health"),
    path("", include(wagtail_urls)),
]

# JSON under the API, the admin's look elsewhere; a database fault is a 503.
handler400 = "config.errors.bad_request"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
