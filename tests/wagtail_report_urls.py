"""The site's URLs, with Wagtail's own site history report beside the app's, to compare them."""

from django.urls import path
from wagtail.admin.views.reports.audit_logging import LogEntriesView

from api_clients.admin_urls import _as_admin_view
from config.urls import urlpatterns as site_urlpatterns

WAGTAIL_REPORT_URL = "/wagtail-site-history/"
WAGTAIL_REPORT_RESULTS_URL = "/wagtail-site-history/results/"

urlpatterns = [
    path("wagtail-site-history/", _as_admin_view(LogEntriesView.as_view())),
    path(
        "wagtail-site-history/results/", _as_admin_view(LogEntriesView.as_view(results_only=True))
    ),
    *site_urlpatterns,
]
