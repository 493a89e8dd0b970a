"""The list of API clients: newest first, 15 to a page, sortable, filtered and searched."""

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic

from ..dates import format_date, format_time
from ..models import ApiClient, Status
from ..policies import can_manage_all, visible_clients
from .base import SectionURLsMixin
from .pagination import CappedCountPaginator

EXPIRING_SOON = "expiring_soon"
# The status filter's choices, in the order people look for them.
STATUS_FILTER_CHOICES = [
    (Status.ACTIVE.value, Status.ACTIVE.label),
    (EXPIRING_SOON, _("Expires within 30 days")),
    (Status.EXPIRED.value, Status.EXPIRED.label),
    (Status.REVOKED.value, Status.REVOKED.label),
    (Status.OWNER_DEACTIVATED.value, Status.OWNER_DEACTIVATED.label),
]


def owner_label(user):
    """How the list names a client's owner: their full name, else their username."""
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full_name or user.get_username()


class ApiClientFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=STATUS_FILTER_CHOICES,
        method="filter_status",
        empty_label=_("Any"),
    )

    class Meta:
        model = ApiClient
        fields = []

    def filter_status(self, queryset, name, value):
        if value == EXPIRING_SOON:
            return queryset.expiring_soon()
        return queryset.with_status(value) if value else queryset


def _owners():
    """Users who own a live client, by name: the owner filter's choices (one query)."""
    user_model = get_user_model()
    order = [name for name in ("first_name", "last_name") if _has_field(user_model, name)] or [
        user_model.USERNAME_FIELD
    ]
    return user_model._default_manager.filter(
        pk__in=ApiClient.objects.alive().values("owner_id")
    ).order_by(*order, "pk")


# Up to this many owners the owner filter is a list to pick from; past it, a
# list that long would weigh on every page of the list, so it is a text box.
OWNER_CHOICES_LIMIT = 100


class ManagerApiClientFilterSet(ApiClientFilterSet):
    """Managers see everyone's clients, so they may also narrow the list to one owner's.

    The owner is picked from a list of everyone who owns a live client, or,
    past ``OWNER_CHOICES_LIMIT`` of them, typed: part of a name, username or
    email, as the search matches it. One query either way.
    """

    owner = django_filters.ChoiceFilter(
        label=_("Owner"), field_name="owner_id", empty_label=_("Any")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owners = list(_owners()[: OWNER_CHOICES_LIMIT + 1])
        if len(owners) <= OWNER_CHOICES_LIMIT:
            self.filters["owner"].extra["choices"] = [
                (str(owner.pk), owner_label(owner)) for owner in owners
            ]
        else:
            self.filters["owner"] = django_filters.CharFilter(
                label=_("Owner"),
                method=self.filter_owner_text,
                help_text=_("Part of their name, username or email"),
                max_length=150,
            )

    def filter_owner_text(self, queryset, name, value):
        return queryset.filter(owner_search_q(value)) if value.strip() else queryset


def _has_field(model, name):
    try:
        return model._meta.get_field(name).concrete
    except FieldDoesNotExist:
        return False


def owner_search_q(query):
    """Q matching clients whose owner's name, username or email contains ``query``.

    "Priya Patel" finds Priya Patel: the full name is matched as well as each part.
    """
    user_model = get_user_model()
    names = [user_model.USERNAME_FIELD]
    email_field = user_model.get_email_field_name()
    if _has_field(user_model, email_field):
        names.append(email_field)
    condition = Q()
    for name in names:
        condition |= Q(**{f"owner__{name}__icontains": query})
    if _has_field(user_model, "first_name") and _has_field(user_model, "last_name"):
        first, _space, rest = query.strip().partition(" ")
        condition |= Q(owner__first_name__icontains=query) | Q(owner__last_name__icontains=query)
        if rest:
            condition |= Q(
                owner__first_name__icontains=first, owner__last_name__icontains=rest.strip()
            )
    return condition


class ClientNameColumn(TitleColumn):
    """The name, linking to the details page; managers also see who created it."""

    cell_template_name = "api_clients/tables/name_cell.html"

    def __init__(self, *args, show_owner=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_owner = show_owner

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["owner"] = owner_label(instance.owner) if self.show_owner and instance.owner else ""
        return context


class ExpiryDateColumn(Column):
    """The date, and under it how soon an Active client expires when that is within 30 days."""

    cell_template_name = "api_clients/tables/expiry_date_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["expires_in"] = expires_in(instance) if instance.is_expiring_soon else ""
        return context


def expires_in(client):
    """ "Expires in 12 days", "Expires tomorrow" or "Expires today"."""
    days = client.days_until_expiry
    if days == 0:
        return _("Expires today")
    if days == 1:
        return _("Expires tomorrow")
    return _("Expires in %(days)s days") % {"days": days}


class StatusColumn(Column):
    """Each status its own colour (the section's stylesheet), with its label as the text."""

    cell_template_name = "api_clients/tables/status_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["status"] = instance.status
        return context


# What each sortable column sorts by; clients never used sort after the others
# either way, and ties fall back to newest first.
ORDERINGS = {
    "expiry_date": [F("expiry_date").asc()],
    "-expiry_date": [F("expiry_date").desc()],
    "last_used_at": [F("last_used_at").asc(nulls_last=True)],
    "-last_used_at": [F("last_used_at").desc(nulls_last=True)],
}


class IndexView(SectionURLsMixin, generic.IndexView):
    """The list: Wagtail's index view, given its URL names by the viewset."""

    page_title = _("API clients")
    results_template_name = "api_clients/index_results.html"
    add_item_label = _("Add API client")
    search_fields = ["name"]
    search_backend_name = None
    default_ordering = "-created_at"
    # Counting a million clients for the footer would cost more than the page.
    paginator_class = CappedCountPaginator

    @cached_property
    def is_manager(self):
        return can_manage_all(self.request.user)

    @property
    def filterset_class(self):
        return ManagerApiClientFilterSet if self.is_manager else ApiClientFilterSet

    def get_base_queryset(self):
        # Only what this user may see: every live client for managers, their
        # own for API users; with each one's last use, in the same query.
        return visible_clients(self.request.user).select_related("owner").with_last_used()

    def search_queryset(self, queryset):
        if not self.is_searching or not self.is_manager:
            return super().search_queryset(queryset)
        return queryset.filter(
            Q(name__icontains=self.search_query) | owner_search_q(self.search_query)
        )

    def get_valid_orderings(self):
        return [self.default_ordering, *ORDERINGS]

    def order_queryset(self, queryset):
        return queryset.order_by(*ORDERINGS.get(self.ordering, []), "-created_at", "-id")

    @cached_property
    def columns(self):
        return [
            ClientNameColumn(
                "name",
                label=_("Client name"),
                get_url=lambda client: self.url_for("inspect", client),
                show_owner=self.is_manager,
            ),
            ExpiryDateColumn(
                "expiry_date",
                label=_("Expiry date"),
                accessor=lambda client: format_date(client.expiry_date),
                sort_key="expiry_date",
            ),
            Column(
                "last_used_at",
                label=_("Last used"),
                accessor=lambda client: (
                    format_time(client.last_used_at) if client.last_used_at else _("Never")
                ),
                sort_key="last_used_at",
            ),
            StatusColumn("status", label=_("Status")),
        ]

    def get_list_more_buttons(self, instance):
        # Every action lives on the details page, which checks the object.
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["add_url"] = self.url_for("add")
        return context

    @cached_property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No API clients match your search.")
        return _("There are no API clients.")
