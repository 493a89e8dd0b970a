"""The two shipped groups: "API client managers" and the API users group.

The API users group takes its name from ``API_CLIENTS["API_USERS_GROUP"]`` (default
"API users") as it is when the migration runs; membership of that group is what
makes a user API-only (``api_clients.policies.is_api_only_user``).
"""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS = "API client managers"
DEFAULT_API_USERS = "API users"


def api_users_group_name():
    configured = getattr(settings, "API_CLIENTS", None)
    if not isinstance(configured, dict):
        return DEFAULT_API_USERS
    return configured.get("API_USERS_GROUP") or DEFAULT_API_USERS


def create_groups(apps, schema_editor):
    # The app's permissions are normally made after all migrations; make them now.
    # "access_admin" comes from wagtailadmin's first migration.
    app_config = apps.get_app_config("api_clients")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    client_perms = {
        p.codename: p
        for p in Permission.objects.filter(content_type__app_label="api_clients", content_type__model="apiclient")
    }
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.add(access_admin, *client_perms.values())
    api_users, _ = Group.objects.get_or_create(name=api_users_group_name())
    api_users.permissions.add(access_admin, client_perms["add_apiclient"])


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=[MANAGERS, api_users_group_name()]
    ).delete()


class Migration(migrations.Migration):
    # Nothing here on Wagtail's images or documents, which a site may leave out.
    # Where they are installed, their "choose" migrations may run after this one
    # and give the API users group a chooser permission: harmless, since being
    # in the group, not the group's permissions, keeps its members in their section.
    dependencies = [
        ("api_clients", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
