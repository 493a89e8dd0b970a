"""The API clients section of the Wagtail admin."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.viewsets.model import ModelViewSet

from .models import ApiClient
from .policies import permission_policy, user_can
from .views import add, delete, detail, history, index, rename, revoke
from .views.base import client_url


class ApiClientURLFinder(ModelAdminURLFinder):
    """Where the site history links an entry: the client's page, if the user may see it."""

    def get_edit_url(self, instance):
        if instance.deleted_at is None and user_can(self.user, "view", instance):
            return client_url("inspect", instance)
        return None


class ApiClientViewSet(ModelViewSet):
    model = ApiClient
    name = "api_clients"
    url_prefix = "api-clients"
    icon = "key"
    menu_label = _("API clients")
    menu_name = "api-clients"
    menu_order = 250
    add_to_admin_menu = True
    list_per_page = 15
    copy_view_enabled = False
    inspect_view_enabled = True
    add_to_reference_index = False

    index_view_class = index.IndexView
    history_view_class = history.HistoryView
    url_finder_class = ApiClientURLFinder

    @property
    def permission_policy(self):
        # Wagtail 7 asks the viewset for it (views and menu); Wagtail 8 asks its
        # registry, where apps.py put the same policy (see compat.py).
        return permission_policy

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("add/", add.AddView.as_view(), name="add"),
            path("add/check/", add.AddCheckView.as_view(), name="add_check"),
            path("<int:pk>/", detail.DetailView.as_view(), name="inspect"),
            path("<int:pk>/rename/", rename.RenameView.as_view(), name="rename"),
            path("<int:pk>/rename/check/", rename.RenameCheckView.as_view(), name="rename_check"),
            path("<int:pk>/revoke/", revoke.RevokeView.as_view(), name="revoke"),
            path("<int:pk>/delete/", delete.DeleteView.as_view(), name="delete"),
            path("<int:pk>/history/", self.history_view, name="history"),
            path("<int:pk>/history/results/", self.history_results_view, name="history_results"),
            path("<int:pk>/usage/", history.UsageView.as_view(), name="usage"),
        ]
