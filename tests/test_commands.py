"""The api_clients management command, and loading the demo data."""

import datetime
import errno
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from helpers import bearer

from api_clients import tokens
from api_clients.dates import today
from api_clients.models import (
    ApiClient,
    ApiClientLogEntry,
    ApiClientUsage,
    ApiClientUserObjectPermission,
)
from api_clients.services import delete_api_client, revoke_api_client
from register.models import TrainingProvider

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    out = io.StringIO()
    call_command("api_clients", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def in_days(days):
    return (today() + datetime.timedelta(days=days)).isoformat()


class TestCreate:
    def test_prints_the_token_once_and_stores_only_its_digest(self, api_user):
        output = run("create", "--owner", "owner", "--name", "Feed", "--expires", in_days(30))

        api_client = ApiClient.objects.get()
        lines = output.splitlines()
        candidates = [line for line in lines if line.startswith(tokens.token_prefix())]
        assert len(candidates) == 1
        (token,) = candidates
        assert output.count(token) == 1
        assert tokens.is_well_formed(token)
        assert api_client.token_digest == tokens.digest(token)
        assert f"Created API client {api_client.pk} 'Feed'" in output
        assert "shown once" in output
        assert api_client.owner == api_user
        assert ApiClientLogEntry.objects.get().action == "api_clients.create"

    def test_json_for_scripts(self, api_user):
        output = run(
            "create", "--owner", "owner", "--name", " Feed ", "--expires", in_days(30), "--json"
        )

        data = json.loads(output)
        api_client = ApiClient.objects.get()
        assert data == {
            "id": api_client.pk,
            "name": "Feed",
            "expiry_date": in_days(30),
            "token": data["token"],
        }
        assert api_client.token_digest == tokens.digest(data["token"])

    def test_the_printed_token_works(self, client, api_user):
        token = json.loads(
            run("create", "--owner", "owner", "--name", "Feed", "--expires", in_days(1), "--json")
        )["token"]
        response = client.get("/api/v1/info", headers=bearer(token))
        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--owner", "nobody", "--name", "Feed"], "--owner: no user is called 'nobody'."),
            (["--owner", "owner", "--name", "  "], "Enter client name"),
            (["--owner", "owner", "--name", "x" * 101], "100 characters or fewer"),
        ],
    )
    def test_bad_owner_or_name(self, api_user, args, message):
        with pytest.raises(CommandError, match=message):
            run("create", *args, "--expires", in_days(30))
        assert not ApiClient.objects.exists()

    @pytest.mark.parametrize(
        "expires", ["2027-02-30", "tomorrow", "27/03/2027", "", "20271101", "2027-W01-1"]
    )
    def test_an_unreal_date(self, api_user, expires):
        with pytest.raises(CommandError, match="--expires must be a real date"):
            run("create", "--owner", "owner", "--name", "Feed", "--expires", expires)

    @pytest.mark.parametrize("days", [-1, 800])
    def test_a_date_out_of_range(self, api_user, days):
        with pytest.raises(CommandError, match="Expiry date must be between"):
            run("create", "--owner", "owner", "--name", "Feed", "--expires", in_days(days))

    def test_a_duplicate_name(self, api_user, make_client):
        make_client(api_user, name="Feed")
        with pytest.raises(CommandError, match="You already have an API client with this name"):
            run("create", "--owner", "owner", "--name", "FEED", "--expires", in_days(30))

    def test_an_inactive_owner(self, make_user):
        make_user("gone", active=False)
        with pytest.raises(CommandError, match="active owner"):
            run("create", "--owner", "gone", "--name", "Feed", "--expires", in_days(30))


class TestList:
    @pytest.fixture
    def clients(self, api_user, other_api_user, make_client):
        active, _ = make_client(api_user, name="Active one")
        expired, _ = make_client(api_user, name="Expired one")
        ApiClient.objects.filter(pk=expired.pk).update(expiry_date=datetime.date(2020, 1, 1))
        revoked, _ = make_client(other_api_user, name="Revoked one")
        revoke_api_client(revoked, user=other_api_user)
        deleted, _ = make_client(other_api_user, name="Deleted one")
        delete_api_client(deleted, user=other_api_user)
        return {"active": active, "expired": expired, "revoked": revoked, "deleted": deleted}

    def test_lists_live_clients_newest_first(self, clients):
        output = run("list")

        lines = output.splitlines()
        assert len(lines) == 3
        assert "Revoked one" in lines[0] and "Revoked" in lines[0]
        assert "Expired one" in lines[1] and "Expired" in lines[1] and "2020-01-01" in lines[1]
        assert "Active one" in lines[2] and "Active" in lines[2]
        # The columns line up, whatever the status.
        assert len({line.index("20") for line in lines}) == 1
        assert clients["active"].token_hint in lines[2]
        assert "Deleted one" not in output

    def test_json(self, clients):
        rows = json.loads(run("list", "--json"))
        assert [row["name"] for row in rows] == ["Revoked one", "Expired one", "Active one"]
        active = rows[2]
        assert active == {
            "id": clients["active"].pk,
            "name": "Active one",
            "owner": "owner",
            "expiry_date": clients["active"].expiry_date.isoformat(),
            "status": "active",
            "token_hint": clients["active"].token_hint,
        }

    @pytest.mark.parametrize(
        ("args", "names"),
        [
            (["--owner", "owner"], ["Expired one", "Active one"]),
            (["--owner", "other"], ["Revoked one"]),
            (["--status", "active"], ["Active one"]),
            (["--status", "expired"], ["Expired one"]),
            (["--status", "revoked"], ["Revoked one"]),
            (["--owner", "other", "--status", "active"], []),
        ],
    )
    def test_filters(self, clients, args, names):
        assert [row["name"] for row in json.loads(run("list", *args, "--json"))] == names

    def test_empty(self, db):
        assert run("list") == "There are no API clients.\n"

    def test_an_unknown_owner(self, db):
        with pytest.raises(CommandError, match="no user is called 'nobody'"):
            run("list", "--owner", "nobody")

    def test_an_unknown_status(self, db):
        with pytest.raises(CommandError, match="invalid choice"):
            run("list", "--status", "deleted")


class TestRevokeAndDelete:
    def test_revoke_logs_who_did_it(self, api_user, manager, make_client):
        api_client, _ = make_client(api_user, name="Feed")

        output = run("revoke", str(api_client.pk), "--by", "manager")

        assert output == f"Revoked API client {api_client.pk} 'Feed'.\n"
        api_client.refresh_from_db()
        assert api_client.is_revoked and api_client.revoked_by == manager
        entry = ApiClientLogEntry.objects.for_instance(api_client).get(action="api_clients.revoke")
        assert entry.user == manager
        assert entry.owner_id == api_user.pk

    def test_revoke_without_by_logs_no_user(self, api_user, make_client):
        api_client, _ = make_client(api_user)

        run("revoke", str(api_client.pk))

        entry = ApiClientLogEntry.objects.for_instance(api_client).get(action="api_clients.revoke")
        assert entry.user is None
        assert entry.owner_id == api_user.pk

    def test_revoking_twice(self, api_user, make_client):
        api_client, _ = make_client(api_user)
        run("revoke", str(api_client.pk))
        with pytest.raises(CommandError, match="Only active API clients can be changed."):
            run("revoke", str(api_client.pk))

    def test_delete_logs_and_hides(self, api_user, manager, make_client):
        api_client, _ = make_client(api_user, name="Feed")

        output = run("delete", str(api_client.pk), "--by", "manager")

        assert output == f"Deleted API client {api_client.pk} 'Feed'.\n"
        api_client.refresh_from_db()
        assert api_client.is_deleted and api_client.deleted_by == manager
        entry = ApiClientLogEntry.objects.for_instance(api_client).get(action="api_clients.delete")
        assert entry.user == manager
        assert "Feed" not in run("list")

    @pytest.mark.parametrize("subcommand", ["revoke", "delete"])
    def test_a_deleted_or_unknown_client(self, api_user, make_client, subcommand):
        api_client, _ = make_client(api_user)
        delete_api_client(api_client, user=api_user)
        for client_id in (api_client.pk, 987654):
            with pytest.raises(CommandError, match=f"No API client has the id {client_id}."):
                run(subcommand, str(client_id))

    @pytest.mark.parametrize("subcommand", ["revoke", "delete"])
    def test_an_unknown_by_user_changes_nothing(self, api_user, make_client, subcommand):
        api_client, _ = make_client(api_user)
        with pytest.raises(CommandError, match="--by: no user is called 'nobody'"):
            run(subcommand, str(api_client.pk), "--by", "nobody")
        api_client.refresh_from_db()
        assert not api_client.is_revoked and not api_client.is_deleted


class TestPrune:
    @pytest.fixture
    def usage(self, api_user, make_client):
        api_client, _ = make_client(api_user)
        now = timezone.now()

        def record(days_ago):
            return ApiClientUsage.objects.create(
                client=api_client,
                requested_at=now - datetime.timedelta(days=days_ago),
                method="GET",
                path="/api/v1/info",
                status_code=200,
                duration_ms=3,
            )

        return {days: record(days) for days in (0, 10, 89, 91, 400)}

    def test_deletes_usage_older_than_the_retention_period_only(self, usage):
        output = run("prune")

        assert output == "Deleted 2 usage records older than 90 days.\n"
        assert set(ApiClientUsage.objects.values_list("pk", flat=True)) == {
            usage[0].pk,
            usage[10].pk,
            usage[89].pk,
        }
        assert ApiClient.objects.count() == 1
        assert ApiClientLogEntry.objects.count() == 1

    def test_days_given(self, usage):
        assert run("prune", "--days", "30") == "Deleted 3 usage records older than 30 days.\n"
        assert ApiClientUsage.objects.count() == 2

    def test_the_retention_period_is_a_setting(self, usage, settings):
        settings.API_CLIENTS = {"USAGE_RETENTION_DAYS": 5}
        run("prune")
        assert list(ApiClientUsage.objects.values_list("pk", flat=True)) == [usage[0].pk]

    @pytest.mark.parametrize("days", ["0", "-3"])
    def test_days_must_be_positive(self, usage, days):
        with pytest.raises(CommandError, match="--days must be 1 or more"):
            run("prune", "--days", days)
        assert ApiClientUsage.objects.count() == 5


class TestWrongArguments:
    @pytest.mark.parametrize(
        "args",
        [
            [],
            ["bogus"],
            ["revoke"],
            ["revoke", "abc"],
            ["delete", "1.5"],
            ["create", "--owner", "owner"],
            ["prune", "--days", "many"],
            ["list", "--unknown"],
        ],
    )
    def test_raise_command_error(self, db, args):
        with pytest.raises(CommandError):
            run(*args)


def manage(*args, tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.test_settings",
        SQLITE_PATH=str(tmp_path / "unused.sqlite3"),
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "api_clients", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args",
    [["revoke", "abc"], [], ["create", "--owner", "x"], ["prune", "--days", "many"]],
    ids=["revoke-abc", "nothing", "create-missing", "prune-words"],
)
def test_from_a_shell_wrong_arguments_exit_2_with_usage_and_no_traceback(tmp_path, args):
    result = manage(*args, tmp_path=tmp_path)

    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


class TestDemoData:
    def counts(self):
        User = get_user_model()
        return {
            "users": User.objects.count(),
            "memberships": User.groups.through.objects.count(),
            "providers": TrainingProvider.objects.count(),
            "clients": ApiClient.objects.count(),
            "live clients": ApiClient.objects.alive().count(),
            "audit entries": ApiClientLogEntry.objects.count(),
            "object permissions": ApiClientUserObjectPermission.objects.count(),
            "digests": tuple(ApiClient.objects.order_by("pk").values_list("token_digest")),
        }

    def test_loading_twice_changes_nothing(self):
        call_command("load_demo_data", stdout=io.StringIO())
        first = self.counts()

        call_command("load_demo_data", stdout=io.StringIO())

        assert self.counts() == first
        assert first["users"] == 4
        assert first["providers"] == 50
        assert first["clients"] == 7

    def test_there_are_clients_in_every_status(self):
        call_command("load_demo_data", stdout=io.StringIO())

        statuses = {c.status.value for c in ApiClient.objects.alive()}
        assert statuses == {"active", "expired", "revoked"}
        assert ApiClient.objects.filter(deleted_at__isnull=False).count() == 1

    def test_it_prints_the_logins(self):
        out = io.StringIO()
        call_command("load_demo_data", stdout=out)
        for username in ("admin", "manager", "apiuser1", "apiuser2"):
            assert username in out.getvalue()


class TestPruneKeepsLastUsed:
    def test_a_client_keeps_its_newest_record_however_old(
        self, client, manager, api_user, make_client
    ):
        api_client, _ = make_client(api_user)
        long_ago = timezone.now() - datetime.timedelta(days=200)
        for days in (0, 5, 1):
            ApiClientUsage.objects.create(
                client=api_client,
                requested_at=long_ago - datetime.timedelta(days=days),
                method="GET",
                path="/api/v1/info",
                status_code=200,
                duration_ms=3,
            )

        assert run("prune") == "Deleted 2 usage records older than 90 days.\n"

        assert list(ApiClientUsage.objects.values_list("requested_at", flat=True)) == [long_ago]
        client.force_login(manager)
        page = client.get(f"/admin/api-clients/inspect/{api_client.pk}/").content.decode()
        assert "Never" not in page

    def test_days_past_a_century_are_refused(self, db):
        with pytest.raises(CommandError, match="--days must be 36500 or fewer"):
            run("prune", "--days", "1000000000")


@pytest.mark.parametrize(
    ("given", "stored"),
    [("\x1b[31mRed\x1b[0m feed", "[31mRed[0m feed"), ("line one\nline two", "line oneline two")],
)
def test_create_drops_control_characters_from_names_as_the_admin_does(api_user, given, stored):
    run("create", "--owner", "owner", "--name", given, "--expires", in_days(30))
    assert ApiClient.objects.get().name == stored


@pytest.mark.parametrize("given", ["\x1b", "\x00\x07", "\u200b"])
def test_create_refuses_a_name_with_nothing_visible(api_user, given):
    with pytest.raises(CommandError, match="^Enter client name$"):
        run("create", "--owner", "owner", "--name", given, "--expires", in_days(30))
    assert not ApiClient.objects.exists()


class FullDisk(io.StringIO):
    """Standard output on a full disk: every write fails."""

    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")


class TestOutputThatCannotBeWritten:
    """A token no one saw leaves nothing behind: no client, no new token."""

    def test_create_keeps_nothing(self, api_user):
        with pytest.raises(CommandError) as error:
            call_command(
                "api_clients",
                *("create", "--owner", "owner", "--name", "Feed", "--expires", in_days(30)),
                stdout=FullDisk(),
                stderr=io.StringIO(),
            )
        assert str(error.value) == (
            "Nothing was changed: the token could not be written to standard output "
            "(No space left on device)."
        )
        assert not ApiClient.objects.exists()
        assert not ApiClientLogEntry.objects.exists()

    def test_renew_keeps_the_token_that_works(self, api_user, make_client):
        api_client, token = make_client(api_user)
        with pytest.raises(CommandError, match="^Nothing was changed: "):
            call_command(
                "api_clients",
                *("renew", str(api_client.pk), "--expires", in_days(60)),
                stdout=FullDisk(),
                stderr=io.StringIO(),
            )
        api_client.refresh_from_db()
        assert api_client.token_digest == tokens.digest(token)
        assert api_client.previous_token_digest is None


def test_from_a_shell_output_that_cannot_be_written_is_one_line_and_nothing_made(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DEBUG="true", SQLITE_PATH=str(tmp_path / "full.sqlite3"))
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(  # noqa: S603
        [*manage, "shell", "-c", OWNER],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    create = [*manage, "api_clients", "create", "--owner", "owner", "--name", "Feed"]
    create += ["--expires", in_days(30)]

    with open(os.devnull if not os.path.exists("/dev/full") else "/dev/full", "w") as full:
        on_full_disk = subprocess.run(  # noqa: S603
            create, env=env, cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True, timeout=300
        )
    closed = subprocess.run(  # noqa: S603
        create,
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.close(1),  # noqa: PLW1509
    )

    assert on_full_disk.returncode == 1
    assert on_full_disk.stderr.strip() == (
        "CommandError: Nothing was changed: the token could not be written to standard "
        "output (No space left on device)."
    )
    assert closed.returncode == 1
    assert closed.stderr.strip() == (
        "CommandError: There is no standard output to write to: nothing was done."
    )
    listed = subprocess.run(  # noqa: S603
        [*manage, "api_clients", "list", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert json.loads(listed.stdout) == []


OWNER = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import Group, User
owner = User.objects.create_user("owner", password="not-used-1")
owner.groups.add(Group.objects.get(name="API users"))
"""


LIST_MANY = """
import sys
sys.path.insert(0, "site")
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from test_support_many import make_many
make_many(4000)
print("ready", file=sys.stderr, flush=True)
call_command("api_clients", "list")
"""


def test_list_into_a_reader_that_stops_early_ends_quietly(tmp_path):
    """``api_clients list | head``: no BrokenPipeError traceback when the reader goes."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.test_settings",
        SQLITE_PATH=str(tmp_path / "many.sqlite3"),
        PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT / "site")]),
    )
    child = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", LIST_MANY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    first = child.stdout.readline()  # what `head -1` reads, then it goes
    child.stdout.close()
    stderr = child.stderr.read().decode()
    child.wait(timeout=120)

    assert b"Bulk client" in first, first
    assert "ready" in stderr
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
