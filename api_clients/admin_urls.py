"""Admin URLs that take the place of Wagtail's own: include them just before Wagtail's.

    path("admin/", include("api_clients.admin_urls")),
    path("admin/", include(wagtailadmin_urls)),

Django serves a path from the first pattern that matches it, so the site history
report (and its results, which the filters fetch) is then answered by
``SiteHistoryView``: Wagtail's report, read from each log table's timestamp
index. Wagtail's URL names still point here, as the paths are the same.
``manage.py check`` warns when the report is still Wagtail's.
"""

from functools import update_wrapper

from django.urls import path
from django.views.decorators.cache import never_cache
from wagtail.admin.auth import require_admin_access

from .views.site_history import SiteHistoryView


def _as_admin_view(view):
    # What Wagtail's admin URLs wrap every view of theirs in, keeping the view's
    # attributes (``view_class``) as Wagtail does.
    return update_wrapper(never_cache(require_admin_access(view)), view)


urlpatterns = [
    path(
        "reports/site-history/",
        _as_admin_view(SiteHistoryView.as_view()),
        name="api_clients_site_history",
    ),
    path(
        "reports/site-history/results/",
        _as_admin_view(SiteHistoryView.as_view(results_only=True)),
        name="api_clients_site_history_results",
    ),
]
