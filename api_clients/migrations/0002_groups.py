"""The two shipped groups: "API client managers" and "API users"."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MANAGERS = "API client managers"
API_USERS = "API users"


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    for app_label in ("api_clients", "wagtailadmin"):
        app_config = apps.get_app_config(app_label)
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
    api_users, _ = Group.objects.get_or_create(name=API_USERS)
    api_users.permissions.add(access_admin, client_perms["add_apiclient"])


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[MANAGERS, API_USERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("api_clients", "0001_initial"),
        ("wagtailadmin", "0006_formstate"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # After these grant "choose" to every group with admin access, so the
        # API users group gets nothing but what is given here.
        ("wagtaildocs", "0011_add_choose_permissions"),
        ("wagtailimages", "0023_add_choose_permissions"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
