"""A client's audit history."""

import django_filters
from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import history

from ..dates import format_time
from ..models import MAX_ID
from .base import SectionURLsMixin, visible_client_or_404
from .pagination import CappedCountPaginator


class DateRangeWidget(DateRangePickerWidget):
    """Two of the browser's own date boxes, "from" and "to".

    Wagtail's date picker starts itself with an inline script, which the site's
    Content-Security-Policy (no inline scripts) refuses.
    """

    def __init__(self, attrs=None):
        widgets = tuple(
            forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "aria-label": label})
            for label in (_("Date from"), _("Date to"))
        )
        super(DateRangePickerWidget, self).__init__(widgets, attrs)


class HistoryFilterSet(history.HistoryFilterSet):
    timestamp = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangeWidget)


class HistoryView(SectionURLsMixin, history.HistoryView):
    any_permission_required = ["add", "change", "delete", "view"]
    filterset_class = HistoryFilterSet
    # A client's entries are counted up to a limit, then estimated.
    paginator_class = CappedCountPaginator

    def get_object(self):
        return visible_client_or_404(self.request.user, self.kwargs["pk"])

    def get_edit_url(self, instance):
        # Where Wagtail links the object: its details page (renaming is not editing).
        return self.url_for("inspect", instance)

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
    def columns(self):
        # Times read as everywhere in the section, not "2 minutes ago".
        return [
            Column(
                column.name,
                label=column.label,
                width=column.width,
                accessor=lambda entry: format_time(entry.timestamp),
            )
            if isinstance(column, DateColumn)
            else column
            for column in super().columns
        ]

    @cached_property
    def header_buttons(self):
        return []

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            self.index_breadcrumb(),
            {"url": self.url_for("inspect", self.object), "label": self.object.name},
            {"url": "", "label": _("History"), "sublabel": self.object.name},
        ]
