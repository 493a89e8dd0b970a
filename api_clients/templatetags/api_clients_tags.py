"""Template filters of the API clients section."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.auth import user_has_any_page_permission
from wagtail.admin.forms.search import SearchForm

from ..conf import get_setting
from ..dates import format_time
from ..policies import permission_policy

register = template.Library()


@register.filter
def client_time(value):
    """A moment as the section shows every time: "29 November 2026, 2:39pm"."""
    return format_time(value) if value else ""


@register.simple_tag
def api_docs_url():
    """Where to read the API's documentation (``API_CLIENTS["API_DOCS_URL"]``), or ""."""
    return get_setting("API_DOCS_URL")


@register.simple_tag
def dashboard_search(user, root_page=None):
    """The dashboard's search box: pages for those who have pages, else API clients, else none.

    A dict with the form and where it goes, or None.
    """
    if user_has_any_page_permission(user):
        if root_page is not None and root_page.pk:
            action = reverse("wagtailadmin_explore", args=(root_page.pk,))
        else:
            action = reverse("wagtailadmin_explore_root")
        return {"form": SearchForm(placeholder=_("Search all pages…")), "action": action}
    if permission_policy.user_has_any_permission(user, ["add", "change", "delete", "view"]):
        return {
            "form": SearchForm(placeholder=_("Search API clients…")),
            "action": reverse("api_clients:index"),
        }
    return None
