"""The admin at the site's root, with the app's report in place of Wagtail's."""

from django.urls import include, path

urlpatterns = [
    path("", include("api_clients.admin_urls")),
    path("", include("wagtail.admin.urls")),
]
