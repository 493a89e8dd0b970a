"""Migrations need only what they use: Wagtail 7.0 has it, and images or documents may be absent."""

import subprocess
import sys
from pathlib import Path

from django.db.migrations.loader import MigrationLoader

from api_clients.compat import HAS_POLICY_REGISTRY
from api_clients.models import ApiClient
from api_clients.policies import permission_policy
from api_clients.viewsets import ApiClientViewSet

TESTS = Path(__file__).resolve().parent
# Where each dependency outside the app must already be on Wagtail 7.0 LTS.
NEEDED = {
    ("wagtailcore", "0070_rename_pagerevision_revision"),
    ("wagtailadmin", "0001_create_admin_access_permissions"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("contenttypes", "0002_remove_content_type_name"),
}


def app_dependencies():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {
        dependency
        for key, migration in loader.disk_migrations.items()
        if key[0] == "api_clients"
        for dependency in migration.dependencies
        if dependency[0] != "api_clients"
    }


def test_the_migrations_depend_only_on_what_they_use():
    dependencies = {d for d in app_dependencies() if d[1] != "__first__"}

    assert dependencies == NEEDED


def test_nothing_depends_on_images_documents_or_wagtail_8():
    labels = {app_label for app_label, _ in app_dependencies()}

    assert not labels & {"wagtailimages", "wagtaildocs"}
    assert ("wagtailcore", "0098_apitoken") not in app_dependencies()


def test_a_site_without_images_or_documents_migrates_and_gets_both_groups(tmp_path):
    script = f"""
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "no_images_or_documents"
import no_images_or_documents as site
site.DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3",
                               "NAME": {str(tmp_path / "db.sqlite3")!r}}}}}
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("check", fail_level="WARNING")
from django.contrib.auth.models import Group
for group in Group.objects.filter(name__in=["API client managers", "API users"]):
    print(group.name, sorted(group.permissions.values_list("codename", flat=True)))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": f"{TESTS / 'sites'}:{TESTS.parent}", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "API users ['access_admin', 'add_apiclient']" in result.stdout
    assert (
        "API client managers ['access_admin', 'add_apiclient', 'change_apiclient', "
        "'delete_apiclient', 'view_apiclient']"
    ) in result.stdout


def test_wagtail_uses_the_apps_policy_on_every_supported_version():
    # Wagtail 7 asks the viewset; Wagtail 8 its registry. Both must get the app's policy.
    assert ApiClientViewSet().permission_policy is permission_policy
    if HAS_POLICY_REGISTRY:
        from wagtail.permissions import policy_registry

        assert policy_registry.get_by_type(ApiClient) is permission_policy
