"""Every API request a client made, newest first, a page at a time."""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic.base import BaseListingView

from .base import ApiClientObjectMixin


class RequestsView(ApiClientObjectMixin, BaseListingView):
    """Rendered by the same table as the details page's recent requests."""

    any_permission_required = ["add", "change", "delete", "view"]
    results_template_name = "api_clients/requests_results.html"
    paginate_by = 50
    breadcrumb_label = _("Requests")
    verbose_name_plural = _("requests")
    columns = []  # the table is the shared include, not Wagtail's table component

    def get_page_title(self):
        return _("Requests")

    def get_page_subtitle(self):
        return self.object.name

    def get_base_queryset(self):
        return self.object.usage_records.order_by("-requested_at", "-id")

    def get_ordering(self):
        return None

    def get_index_url(self):
        return self.url_for("requests", self.object)

    @cached_property
    def no_results_message(self):
        return _("This API client has not made any requests.")
