"""A client's audit history."""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic import history

from ..models import MAX_ID
from .base import client_url, index_breadcrumb, visible_client_or_404


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
