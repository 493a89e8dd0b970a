"""Who is API-only: the members of the API users group, whatever the group may do.

Membership of ``API_CLIENTS["API_USERS_GROUP"]`` keeps a user in the API clients
section; permissions given to the group later (a chooser permission a new app
hands every group with admin access, say) never open the rest of the admin.
Superusers and managers are never kept in.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from helpers import INDEX_URL, menu_item_names
from wagtail.models import Collection, GroupCollectionPermission

from api_clients.checks import check_api_clients_settings
from api_clients.policies import is_api_only_user

pytestmark = pytest.mark.django_db

DOCUMENT_CHOOSER = reverse("wagtaildocs_chooser:choose")
REDIRECTS = "/admin/redirects/"


def give_chooser_and_redirect_permissions(group):
    """What a later app's data migration might hand every group with admin access."""
    choose_document = Permission.objects.get(codename="choose_document")
    group.permissions.add(choose_document, Permission.objects.get(codename="change_redirect"))
    GroupCollectionPermission.objects.get_or_create(
        group=group, collection=Collection.get_first_root_node(), permission=choose_document
    )


def is_kept_in(client, user):
    client.force_login(user)
    home = client.get(reverse("wagtailadmin_home"))
    return home.status_code == 302 and home["Location"] == INDEX_URL


def test_a_chooser_permission_given_to_the_group_opens_nothing(client, api_user, make_user):
    group = Group.objects.get(name="API users")
    give_chooser_and_redirect_permissions(group)
    # The same permissions through any other group do open those areas: the
    # refusal below comes from membership alone.
    outsider_group = Group.objects.create(name="Choosers")
    outsider_group.permissions.add(Permission.objects.get(codename="access_admin"))
    give_chooser_and_redirect_permissions(outsider_group)
    outsider = make_user("outsider", group="Choosers")
    client.force_login(outsider)
    assert client.get(DOCUMENT_CHOOSER).status_code == 200
    assert client.get(REDIRECTS).status_code == 200

    client.force_login(api_user)

    for path in (DOCUMENT_CHOOSER, REDIRECTS):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("wagtailadmin_home")
    assert menu_item_names(client.get(INDEX_URL)) == ["api-clients"]
    assert is_kept_in(client, api_user)


def test_a_member_with_permissions_of_their_own_is_still_kept_in(client, make_user):
    member = make_user("member", group="API users")
    member.user_permissions.add(Permission.objects.get(codename="change_redirect"))

    assert is_kept_in(client, member)
    assert client.get(REDIRECTS).status_code == 302


def test_someone_outside_the_group_who_adds_clients_keeps_the_admin(client, make_user, make_client):
    editor = make_user("editor")
    editor.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="add_apiclient"),
        Permission.objects.get(codename="change_redirect"),
    )
    make_client(editor, name="Newsroom feed")

    assert not is_kept_in(client, editor)
    assert client.get(REDIRECTS).status_code == 200
    assert "Newsroom feed" in client.get(INDEX_URL).content.decode()
    assert {"api-clients", "settings"} <= set(menu_item_names(client.get(INDEX_URL)))


@pytest.mark.parametrize("kind", ["manager", "superuser"])
def test_managers_and_superusers_in_the_group_are_not_kept_in(client, make_user, kind):
    user = make_user(
        "both",
        group="API client managers" if kind == "manager" else None,
        superuser=kind == "superuser",
    )
    user.groups.add(Group.objects.get(name="API users"))
    user.user_permissions.add(Permission.objects.get(codename="change_redirect"))

    assert is_api_only_user(user) is False
    assert not is_kept_in(client, user)
    assert client.get(REDIRECTS).status_code == 200


def test_the_group_is_named_by_the_setting(client, settings, make_user, api_user):
    Group.objects.create(name="Integrators").permissions.set(
        Group.objects.get(name="API users").permissions.all()
    )
    integrator = make_user("integrator", group="Integrators")
    settings.API_CLIENTS = {"API_USERS_GROUP": "Integrators"}

    assert is_kept_in(client, integrator)
    # Members of the default group are no longer held to the section.
    assert not is_kept_in(client, api_user)


def test_inactive_and_anonymous_users_are_not_api_only(make_user):
    from django.contrib.auth.models import AnonymousUser

    assert is_api_only_user(AnonymousUser()) is False
    assert is_api_only_user(make_user("gone", group="API users", active=False)) is False


def test_the_groups_migration_names_the_group_from_the_setting(settings):
    from importlib import import_module

    migration = import_module("api_clients.migrations.0002_groups")
    state = MigrationExecutor(connection).loader.project_state(("api_clients", "0002_groups"))
    settings.API_CLIENTS = {"API_USERS_GROUP": "Integrators"}

    migration.create_groups(state.apps, None)

    integrators = Group.objects.get(name="Integrators")
    assert set(integrators.permissions.values_list("codename", flat=True)) == {
        "access_admin",
        "add_apiclient",
    }
    migration.remove_groups(state.apps, None)
    assert not Group.objects.filter(name__in=["Integrators", "API client managers"]).exists()


@pytest.mark.parametrize("name", ["", "   ", None, 7, "x" * 151])
def test_a_bad_group_name_fails_the_check(settings, name):
    settings.API_CLIENTS = {"API_USERS_GROUP": name}

    errors = check_api_clients_settings(None)

    assert [error.id for error in errors] == ["api_clients.E012"]
