"""The list of API clients: newest first, 15 to a page, filter by status, search by name."""

import django_filters
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views import generic

from ..dates import format_date
from ..models import ApiClient, Status
from ..policies import can_manage_all, visible_clients
from .base import SectionURLsMixin


class ApiClientFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, method="filter_status", empty_label=_("Any")
    )

    class Meta:
        model = ApiClient
        fields = []

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value) if value else queryset


class ClientNameColumn(TitleColumn):
    """The name, linking to the details page; managers also see who created it."""

    cell_template_name = "api_clients/tables/name_cell.html"

    def __init__(self, *args, show_owner=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_owner = show_owner

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["owner"] = instance.owner if self.show_owner else None
        return context


class IndexView(SectionURLsMixin, generic.IndexView):
    """The list: Wagtail's index view, given its URL names by the viewset."""

    page_title = _("API clients")
    results_template_name = "api_clients/index_results.html"
    add_item_label = _("Add API client")
    filterset_class = ApiClientFilterSet
    search_fields = ["name"]
    search_backend_name = None
    default_ordering = ["-created_at", "-id"]

    def get_base_queryset(self):
        # Only what this user may see: every live client for managers, their
        # own for API users.
        return visible_clients(self.request.user).select_related("owner")

    def get_valid_orderings(self):
        return [self.default_ordering]

    def get_ordering(self):
        return self.default_ordering

    @cached_property
    def columns(self):
        return [
            ClientNameColumn(
                "name",
                label=_("Client name"),
                get_url=lambda client: self.url_for("inspect", client),
                show_owner=can_manage_all(self.request.user),
            ),
            Column(
                "expiry_date",
                label=_("Expiry date"),
                accessor=lambda client: format_date(client.expiry_date),
            ),
            StatusTagColumn(
                "status",
                label=_("Status"),
                accessor=lambda client: client.status.label,
                primary=lambda client: client.is_active,
            ),
        ]

    def get_list_more_buttons(self, instance):
        # Every action lives on the details page, which checks the object.
        return []

    @cached_property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No API clients match your search.")
        return _("There are no API clients.")
