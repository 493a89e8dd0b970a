"""A client's audit history."""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic import history

from ..models import MAX_ID
from .base import SectionURLsMixin, visible_client_or_404


class HistoryView(SectionURLsMixin, history.HistoryView):
    any_permission_required = ["add", "change", "delete", "view"]

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
    def header_buttons(self):
        return []

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            self.index_breadcrumb(),
            {"url": self.url_for("inspect", self.object), "label": self.object.name},
            {"url": "", "label": _("History"), "sublabel": self.object.name},
        ]
