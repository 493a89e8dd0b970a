"""Wagtail's site history report, the same page read from each log table's timestamp index.

Wagtail's ``LogEntriesView`` sorts the UNION of every log model's entries by
time and counts it whole, which costs in proportion to every entry ever logged.
This subclass keeps its page, filters and export and changes three things:

* Every branch of the UNION gives its id as a 64-bit integer. Wagtail's own log
  tables have 32-bit ids and this app's 64-bit ones; PostgreSQL can only merge
  branches whose columns have one type, so with mixed types it sorted them all.
  With one type it merges the branches' timestamp indexes, newest first, and
  stops after the page asked for (deeper pages read further, and stay right).
* The total is counted up to a limit, then estimated (``CappedCountPaginator``).
* An API-only user's report reads only this app's log table, the only one
  whose entries they may see.
"""

from django.db.models import BigIntegerField, IntegerField, Value
from django.db.models.functions import Cast
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.log_actions import registry as log_action_registry

from ..models import ApiClientLogEntry
from ..policies import is_api_only_user
from .pagination import CappedCountPaginator


class SiteHistoryView(LogEntriesView):
    paginator_class = CappedCountPaginator

    def get_log_models(self):
        """The log models whose entries the report lists for this user, in Wagtail's order."""
        if is_api_only_user(self.request.user):
            return [ApiClientLogEntry]
        return list(log_action_registry.get_log_entry_models())

    def get_filtered_queryset(self):
        # Wagtail's method, with the branches' ids of one type, UNION ALL on
        # every version, and an order that breaks ties between equal times.
        self.log_models = self.get_log_models()
        queryset = None
        for log_model_index, log_model in enumerate(self.log_models):
            branch = (
                log_model.objects.viewable_by_user(self.request.user)
                .values("timestamp", entry_id=Cast("pk", BigIntegerField()))
                .annotate(log_model_index=Value(log_model_index, output_field=IntegerField()))
            )
            branch = self.filter_queryset(branch).order_by()
            queryset = branch if queryset is None else queryset.union(branch, all=True)
        return queryset.order_by("-timestamp", "-log_model_index", "-entry_id")

    def decorate_paginated_queryset(self, queryset):
        return super().decorate_paginated_queryset(
            [{"pk": row["entry_id"], "log_model_index": row["log_model_index"]} for row in queryset]
        )
