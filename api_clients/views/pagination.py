"""A paginator whose total does not grow with the table: exact up to a limit, then estimated."""

import json

from django.core.paginator import EmptyPage
from django.db import connections
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.admin.paginator import WagtailPaginator

# Up to this many rows the total is exact; past it, counting every row would
# cost the page time in proportion to the table, so it is estimated.
EXACT_COUNT_LIMIT = 10_000


class CappedCountPaginator(WagtailPaginator):
    """Wagtail's paginator, counting at most ``exact_limit + 1`` rows.

    Beyond the limit the total is PostgreSQL's planner estimate (never less
    than the limit), so every page stays reachable; on other databases it is
    "more than" the limit. Either way one query, or two past the limit on
    PostgreSQL, whatever the number of rows.
    """

    exact_limit = EXACT_COUNT_LIMIT

    is_estimate = False
    is_capped = False

    @cached_property
    def count(self):
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return super().count
        # No ordering: any exact_limit + 1 rows will do, read from an index.
        counted = queryset.order_by()[: self.exact_limit + 1].count()
        if counted <= self.exact_limit:
            return counted
        estimate = _planner_estimate(queryset)
        if estimate is None:
            self.is_capped = True
            return self.exact_limit + 1
        self.is_estimate = True
        return max(self.exact_limit + 1, estimate)

    # Past an estimated or capped total, pages are served up to this many times
    # the pages it makes: an estimate is never that far off, and a number past
    # it cannot reach the database as an offset too large for it.
    reachable_past_total = 10

    def validate_number(self, number):
        """Pages past an estimated or capped total too: the rows may go on past it."""
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.count <= self.exact_limit:
                raise
            number = int(number)  # Django found an integer, below 1 or past the total
            if not 1 <= number <= self.num_pages * self.reachable_past_total:
                raise
            return number

    def page(self, number):
        """A full page, even where an estimated or capped total would clip it."""
        if self.count <= self.exact_limit:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)

    @cached_property
    def items_count_label(self):
        count = self.count  # counted first: it tells whether it is capped or estimated
        if self.is_capped:
            return _("More than %(count)s %(items)s") % {
                "count": f"{self.exact_limit:,}",
                "items": self.verbose_name_plural,
            }
        if self.is_estimate:
            return _("About %(count)s %(items)s") % {
                "count": f"{_round(count):,}",
                "items": self.verbose_name_plural,
            }
        return ngettext("%(count)s %(item)s", "%(count)s %(items)s", count) % {
            "count": count,
            "item": self.verbose_name,
            "items": self.verbose_name_plural,
        }


def _round(number):
    """An estimate to two significant figures: it is no more precise than that."""
    digits = len(str(number))
    return round(number, -max(0, digits - 2))


def _planner_estimate(queryset):
    """PostgreSQL's estimate of the rows a query returns, from EXPLAIN; None elsewhere."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
