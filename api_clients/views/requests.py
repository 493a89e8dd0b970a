"""Every API request a client made, newest first, a page at a time."""

from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic.base import BaseListingView

from ..dashboard import counted_refusals, refused_requests
from ..dates import format_date
from ..policies import can_manage_all
from .base import ApiClientObjectMixin, ApiClientPageMixin
from .pagination import CappedCountPaginator


class RequestsView(ApiClientObjectMixin, BaseListingView):
    """Rendered by the same table as the details page's recent requests."""

    any_permission_required = ["add", "change", "delete", "view"]
    results_template_name = "api_clients/requests_results.html"
    paginate_by = 50
    # A busy client makes millions of requests: the total is capped, not counted.
    paginator_class = CappedCountPaginator
    breadcrumb_label = _("Requests")
    verbose_name_plural = _("requests")
    columns = []  # the table is the shared include, not Wagtail's table component

    def get_page_title(self):
        return _("Requests")

    def get_page_subtitle(self):
        return self.object.name

    def get_breadcrumbs_items(self):
        # The client's name stays in the header when the breadcrumbs collapse.
        *items, last = super().get_breadcrumbs_items()
        return [*items, {**last, "sublabel": self.object.name}]

    def get_base_queryset(self):
        return self.object.usage_records.order_by("-requested_at", "-id")

    def get_ordering(self):
        return None

    def get_index_url(self):
        return self.url_for("requests", self.object)

    @cached_property
    def no_results_message(self):
        return _("This API client has not made any requests.")


class RefusedRequestsView(ApiClientPageMixin, BaseListingView):
    """Managers: every request refused in the last 24 hours, newest first, with its client.

    What the dashboard's "Refused requests in the last 24 hours" counts, one
    row each: who still calls with a dead token, and who hits the rate limit.
    Above them, by client, the refusals past a rate limit, which are counted
    by day rather than recorded one by one.
    """

    any_permission_required = ["change", "delete", "view"]
    results_template_name = "api_clients/refused_requests_results.html"
    paginate_by = 50
    page_title = _("Refused requests in the last 24 hours")
    verbose_name_plural = _("refused requests")
    columns = []  # the table is the shared include, not Wagtail's table component

    def dispatch(self, request, *args, **kwargs):
        if not can_manage_all(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_base_queryset(self):
        return refused_requests().select_related("client").order_by("-requested_at", "-id")

    def get_ordering(self):
        return None

    def get_index_url(self):
        return self.url_for("refused_requests")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for record in context["object_list"]:
            record.client_url = self._client_url(record.client)
        # Past a rate limit refusals are counted by day, not listed: say how many.
        first_day, counted = counted_refusals()
        context["counted_since"] = format_date(first_day)
        context["counted"] = [
            {"name": client.name, "url": self._client_url(client), "count": count}
            for client, count in counted
        ]
        return context

    def _client_url(self, client):
        # A deleted client has no page: its name shows without a link.
        return None if client.is_deleted else self.url_for("inspect", client)

    @cached_property
    def no_results_message(self):
        return _("No requests were refused in the last 24 hours.")
