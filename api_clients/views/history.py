"""A client's audit history and its full list of API requests."""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import history
from wagtail.admin.views.generic.base import BaseListingView

from .base import ApiClientObjectMixin, client_url, index_breadcrumb, visible_client_or_404

MAX_ID = 2**63 - 1


class HistoryView(history.HistoryView):
    any_permission_required = ["add", "change", "delete", "view"]
    header_icon = "history"

    def get_object(self):
        return visible_client_or_404(self.request.user, self.kwargs["pk"])

    def get_edit_url(self, instance):
        return client_url("inspect", instance)

    def get_filterset_kwargs(self):
        # Wagtail's user filter hands ids straight to the database, and SQLite
        # cannot hold an integer past 64 bits: such an id can match no one anyway.
        kwargs = super().get_filterset_kwargs()
        data = kwargs["data"].copy()
        data.setlist(
            "user", [v for v in data.getlist("user") if not v.isdigit() or int(v) <= MAX_ID]
        )
        kwargs["data"] = data
        return kwargs

    @cached_property
    def header_buttons(self):
        return []

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            index_breadcrumb(),
            {"url": client_url("inspect", self.object), "label": self.object.name},
            {"url": "", "label": _("History"), "sublabel": self.object.name},
        ]


class UsageView(ApiClientObjectMixin, BaseListingView):
    """Every recorded request of one client, newest first."""

    any_permission_required = ["add", "change", "delete", "view"]
    paginate_by = 50
    breadcrumb_label = _("Requests")
    verbose_name_plural = _("requests")

    def get_page_title(self):
        return _("Requests")

    def get_page_subtitle(self):
        return self.object.name

    def get_base_queryset(self):
        return self.object.usage_records.order_by("-requested_at", "-id")

    def get_ordering(self):
        return None

    def get_index_url(self):
        return client_url("usage", self.object)

    @cached_property
    def no_results_message(self):
        return _("This API client has not made any requests.")

    @cached_property
    def columns(self):
        return [
            DateColumn("requested_at", label=_("Time")),
            Column("method", label=_("Method")),
            Column("full_path", label=_("Path")),
            Column("status_code", label=_("Status")),
            Column(
                "refusal_reason",
                label=_("Refused because"),
                accessor=lambda record: record.get_refusal_reason_display(),
            ),
            Column("duration_ms", label=_("Time taken (ms)")),
        ]
