"""The services: the only code that changes an API client, each with its audit entry."""

import datetime
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from guardian.shortcuts import get_perms

from api_clients import tokens
from api_clients.dates import add_months, expiry_bounds, format_date, today
from api_clients.models import ApiClient, ApiClientLogEntry, Status
from api_clients.services import (
    ApiClientError,
    create_api_client,
    delete_api_client,
    rename_api_client,
    revoke_api_client,
)

pytestmark = pytest.mark.django_db


def soon():
    return today() + datetime.timedelta(days=30)


def entries(api_client):
    return list(ApiClientLogEntry.objects.for_instance(api_client).order_by("timestamp", "id"))


def at(iso):
    return mock.patch(
        "django.utils.timezone.now", return_value=datetime.datetime.fromisoformat(iso)
    )


class TestCreate:
    def test_creates_an_active_client_and_returns_its_token_once(self, api_user):
        api_client, token = create_api_client(
            owner=api_user, name="Student records system", expiry_date=soon()
        )

        api_client.refresh_from_db()
        assert api_client.name == "Student records system"
        assert api_client.owner == api_user
        assert api_client.expiry_date == soon()
        assert api_client.status is Status.ACTIVE
        assert api_client.created_at is not None
        assert (api_client.revoked_at, api_client.deleted_at) == (None, None)
        assert tokens.is_well_formed(token)
        assert api_client.token_digest == tokens.digest(token)

    def test_writes_a_create_entry_that_keeps_the_owner(self, api_user, manager):
        api_client, _ = create_api_client(
            owner=api_user, name="Feed", expiry_date=soon(), user=manager
        )

        (entry,) = entries(api_client)
        assert entry.action == "api_clients.create"
        assert entry.user == manager
        assert entry.owner_id == api_user.pk
        assert entry.label == "Feed"
        assert entry.content_type == ContentType.objects.get_for_model(ApiClient)

    def test_the_actor_defaults_to_the_owner(self, api_user):
        api_client, _ = create_api_client(owner=api_user, name="Feed", expiry_date=soon())
        assert entries(api_client)[0].user == api_user

    def test_the_owner_gets_object_permissions_on_their_client_only(self, api_user, other_api_user):
        mine, _ = create_api_client(owner=api_user, name="Mine", expiry_date=soon())
        theirs, _ = create_api_client(owner=other_api_user, name="Theirs", expiry_date=soon())

        assert set(get_perms(api_user, mine)) == {
            "view_apiclient",
            "change_apiclient",
            "delete_apiclient",
        }
        for action in ("view", "change", "delete"):
            assert api_user.has_perm(f"api_clients.{action}_apiclient", mine)
            assert not api_user.has_perm(f"api_clients.{action}_apiclient", theirs)
        # Object permissions are not model permissions.
        assert not api_user.has_perm("api_clients.view_apiclient")

    @pytest.mark.parametrize(
        ("given", "stored"),
        [("  Feed  ", "Feed"), ("\tFeed\n", "Feed"), ("A" * 100, "A" * 100)],
    )
    def test_names_are_trimmed(self, api_user, given, stored):
        api_client, _ = create_api_client(owner=api_user, name=given, expiry_date=soon())
        assert api_client.name == stored

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("", "Enter client name"),
            ("   ", "Enter client name"),
            (None, "Enter client name"),
            ("A" * 101, "Client name must be 100 characters or fewer"),
            (" " + "A" * 101 + " ", "Client name must be 100 characters or fewer"),
        ],
    )
    def test_bad_names_are_refused_and_nothing_is_written(self, api_user, name, message):
        with pytest.raises(ValidationError) as error:
            create_api_client(owner=api_user, name=name, expiry_date=soon())

        assert error.value.messages == [message]
        assert not ApiClient.objects.exists()
        assert not ApiClientLogEntry.objects.exists()

    @pytest.mark.parametrize("again", ["Feed", "feed", "FEED", "  fEeD "])
    def test_names_are_unique_per_owner_whatever_the_case(self, api_user, again):
        create_api_client(owner=api_user, name="Feed", expiry_date=soon())

        with pytest.raises(ValidationError) as error:
            create_api_client(owner=api_user, name=again, expiry_date=soon())

        assert error.value.messages == ["You already have an API client with this name"]
        assert ApiClient.objects.count() == 1

    @pytest.mark.parametrize(("first", "again"), [("Émile", "émile"), ("ÆRØ feed", "ærø FEED")])
    def test_case_is_ignored_beyond_ascii_too(self, api_user, first, again):
        create_api_client(owner=api_user, name=first, expiry_date=soon())

        with pytest.raises(ValidationError):
            create_api_client(owner=api_user, name=again, expiry_date=soon())

    def test_another_owner_may_use_the_same_name(self, api_user, other_api_user):
        create_api_client(owner=api_user, name="Feed", expiry_date=soon())
        create_api_client(owner=other_api_user, name="Feed", expiry_date=soon())
        assert ApiClient.objects.filter(name="Feed").count() == 2

    def test_a_deleted_clients_name_can_be_used_again(self, api_user):
        old, _ = create_api_client(owner=api_user, name="Feed", expiry_date=soon())
        delete_api_client(old, user=api_user)

        new, _ = create_api_client(owner=api_user, name="feed", expiry_date=soon())

        assert new.pk != old.pk
        assert ApiClient.objects.filter(owner=api_user).count() == 2

    def test_a_revoked_clients_name_stays_taken(self, api_user):
        old, _ = create_api_client(owner=api_user, name="Feed", expiry_date=soon())
        revoke_api_client(old, user=api_user)

        with pytest.raises(ValidationError):
            create_api_client(owner=api_user, name="Feed", expiry_date=soon())

    def test_the_database_itself_refuses_a_duplicate_live_name(self, api_user):
        create_api_client(owner=api_user, name="Feed", expiry_date=soon())

        with pytest.raises(IntegrityError), transaction.atomic():
            ApiClient.objects.create(
                owner=api_user,
                name="FEED",
                expiry_date=soon(),
                token_digest="0" * 64,
                token_hint="rtp_0000",
            )

    def test_the_database_allows_a_duplicate_of_a_deleted_name(self, api_user):
        old, _ = create_api_client(owner=api_user, name="Feed", expiry_date=soon())
        delete_api_client(old, user=api_user)

        ApiClient.objects.create(
            owner=api_user,
            name="FEED",
            expiry_date=soon(),
            token_digest="0" * 64,
            token_hint="rtp_0000",
        )

    def test_losing_a_race_for_a_name_reads_as_the_duplicate_message(self, api_user):
        # Another request takes the name between the check and the insert:
        # only the database's constraint sees it, whatever the case.
        create_api_client(owner=api_user, name="Feed", expiry_date=soon())

        with (
            mock.patch("api_clients.services.validate_name", return_value="FEED"),
            pytest.raises(ValidationError) as error,
        ):
            create_api_client(owner=api_user, name="FEED", expiry_date=soon())

        assert error.value.message_dict == {
            "name": ["You already have an API client with this name"]
        }
        assert ApiClient.objects.count() == 1
        assert ApiClientLogEntry.objects.count() == 1

    def test_the_constraint_speaks_the_same_message(self, api_user):
        # Model validation (a ModelForm, the Django admin) reads the constraint's message.
        create_api_client(owner=api_user, name="Feed", expiry_date=soon())
        twin = ApiClient(name="FEED", owner=api_user, expiry_date=soon(), token_digest="1" * 64)

        with pytest.raises(ValidationError) as error:
            twin.validate_constraints()

        assert error.value.messages == ["You already have an API client with this name"]

    def test_expiry_from_today_to_twelve_months_ahead(self, api_user):
        with at("2027-01-31T12:00:00+00:00"):
            first, _ = create_api_client(
                owner=api_user, name="Today", expiry_date=datetime.date(2027, 1, 31)
            )
            last, _ = create_api_client(
                owner=api_user, name="Horizon", expiry_date=datetime.date(2028, 1, 31)
            )
        assert (first.expiry_date, last.expiry_date) == (
            datetime.date(2027, 1, 31),
            datetime.date(2028, 1, 31),
        )

    @pytest.mark.parametrize("expiry", [datetime.date(2027, 1, 30), datetime.date(2028, 2, 1)])
    def test_expiry_outside_the_range_is_refused(self, api_user, expiry):
        with at("2027-01-31T12:00:00+00:00"), pytest.raises(ValidationError) as error:
            create_api_client(owner=api_user, name="Feed", expiry_date=expiry)

        assert error.value.messages == [
            "Expiry date must be between 31 January 2027 and 31 January 2028"
        ]
        assert not ApiClient.objects.exists()

    def test_today_is_the_site_days_not_utcs(self, api_user):
        # 23:30 UTC on 14 June is 00:30 on 15 June in London: the 14th has gone.
        with at("2027-06-14T23:30:00+00:00"):
            with pytest.raises(ValidationError):
                create_api_client(
                    owner=api_user, name="Feed", expiry_date=datetime.date(2027, 6, 14)
                )
            api_client, _ = create_api_client(
                owner=api_user, name="Feed", expiry_date=datetime.date(2027, 6, 15)
            )
        assert api_client.expiry_date == datetime.date(2027, 6, 15)

    def test_the_horizon_is_a_setting(self, api_user, settings):
        settings.API_CLIENTS = {"EXPIRY_HORIZON_MONTHS": 1}
        with at("2027-01-31T12:00:00+00:00"):
            assert expiry_bounds() == (datetime.date(2027, 1, 31), datetime.date(2027, 2, 28))
            with pytest.raises(ValidationError):
                create_api_client(
                    owner=api_user, name="Feed", expiry_date=datetime.date(2027, 3, 1)
                )

    def test_an_inactive_owner_cannot_get_a_client(self, make_user):
        owner = make_user("gone", active=False)
        with pytest.raises(ApiClientError):
            create_api_client(owner=owner, name="Feed", expiry_date=soon())
        assert not ApiClient.objects.exists()

    def test_a_client_needs_an_owner(self):
        with pytest.raises(ApiClientError):
            create_api_client(owner=None, name="Feed", expiry_date=soon())


class TestRename:
    def test_renames_and_logs_old_and_new_names(self, api_user, manager, make_client):
        api_client, _ = make_client(api_user, name="Old name")

        rename_api_client(api_client, name="  New name ", user=manager)

        assert api_client.name == "New name"
        assert ApiClient.objects.get(pk=api_client.pk).name == "New name"
        entry = entries(api_client)[-1]
        assert entry.action == "api_clients.rename"
        assert entry.data == {"name": {"old": "Old name", "new": "New name"}}
        assert entry.user == manager
        assert entry.owner_id == api_user.pk

    def test_changing_only_the_case_is_a_rename(self, api_user, make_client):
        api_client, _ = make_client(api_user, name="feed")

        rename_api_client(api_client, name="Feed", user=api_user)

        assert ApiClient.objects.get(pk=api_client.pk).name == "Feed"
        assert entries(api_client)[-1].data == {"name": {"old": "feed", "new": "Feed"}}

    def test_the_same_name_changes_nothing_and_logs_nothing(self, api_user, make_client):
        api_client, _ = make_client(api_user, name="Feed")

        rename_api_client(api_client, name=" Feed ", user=api_user)

        assert [e.action for e in entries(api_client)] == ["api_clients.create"]

    def test_a_name_taken_by_another_of_the_owners_clients_is_refused(self, api_user, make_client):
        make_client(api_user, name="Taken")
        api_client, _ = make_client(api_user, name="Mine")

        with pytest.raises(ValidationError) as error:
            rename_api_client(api_client, name="TAKEN", user=api_user)

        assert error.value.messages == ["You already have an API client with this name"]
        assert ApiClient.objects.get(pk=api_client.pk).name == "Mine"

    @pytest.mark.parametrize(
        ("name", "message"),
        [("", "Enter client name"), ("x" * 101, "Client name must be 100 characters or fewer")],
    )
    def test_name_rules_hold_on_rename(self, api_user, make_client, name, message):
        api_client, _ = make_client(api_user, name="Mine")
        with pytest.raises(ValidationError) as error:
            rename_api_client(api_client, name=name, user=api_user)
        assert error.value.messages == [message]

    def test_a_revoked_client_cannot_be_renamed(self, api_user, make_client):
        api_client, _ = make_client(api_user, name="Mine")
        revoke_api_client(api_client, user=api_user)

        with pytest.raises(ApiClientError):
            rename_api_client(api_client, name="Other", user=api_user)

        assert ApiClient.objects.get(pk=api_client.pk).name == "Mine"
        assert "api_clients.rename" not in [e.action for e in entries(api_client)]

    def test_an_expired_client_cannot_be_renamed(self, api_user, make_client):
        api_client, _ = make_client(api_user, name="Mine")
        ApiClient.objects.filter(pk=api_client.pk).update(
            expiry_date=today() - datetime.timedelta(days=1)
        )

        with pytest.raises(ApiClientError):
            rename_api_client(api_client, name="Other", user=api_user)

        assert ApiClient.objects.get(pk=api_client.pk).name == "Mine"

    def test_a_stale_copy_cannot_rename_a_client_revoked_since(self, api_user, make_client):
        api_client, _ = make_client(api_user, name="Mine")
        stale = ApiClient.objects.get(pk=api_client.pk)
        revoke_api_client(api_client, user=api_user)

        with pytest.raises(ApiClientError):
            rename_api_client(stale, name="Other", user=api_user)

    def test_a_deleted_client_cannot_be_renamed(self, api_user, make_client):
        api_client, _ = make_client(api_user, name="Mine")
        delete_api_client(api_client, user=api_user)

        with pytest.raises(ApiClientError):
            rename_api_client(api_client, name="Other", user=api_user)


class TestRevoke:
    def test_revokes_and_logs(self, api_user, manager, make_client):
        api_client, _ = make_client(api_user)

        with at("2026-12-01T10:00:00+00:00"):
            revoke_api_client(api_client, user=manager)

        stored = ApiClient.objects.get(pk=api_client.pk)
        assert stored.status is Status.REVOKED
        assert stored.revoked_at == datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC)
        assert stored.revoked_by == manager
        assert api_client.revoked_at == stored.revoked_at  # the caller's copy follows
        entry = entries(api_client)[-1]
        assert entry.action == "api_clients.revoke"
        assert entry.user == manager
        assert entry.owner_id == api_user.pk

    def test_revoking_twice_is_refused(self, api_user, make_client):
        api_client, _ = make_client(api_user)
        revoke_api_client(api_client, user=api_user)
        first = ApiClient.objects.get(pk=api_client.pk).revoked_at

        with pytest.raises(ApiClientError):
            revoke_api_client(ApiClient.objects.get(pk=api_client.pk), user=api_user)

        assert ApiClient.objects.get(pk=api_client.pk).revoked_at == first
        assert [e.action for e in entries(api_client)].count("api_clients.revoke") == 1

    def test_a_deleted_client_cannot_be_revoked(self, api_user, make_client):
        api_client, _ = make_client(api_user)
        delete_api_client(api_client, user=api_user)

        with pytest.raises(ApiClientError):
            revoke_api_client(api_client, user=api_user)
        assert ApiClient.objects.get(pk=api_client.pk).revoked_at is None

    def test_revoked_status_wins_over_expired(self, api_user, make_client):
        api_client, _ = make_client(api_user)
        revoke_api_client(api_client, user=api_user)
        ApiClient.objects.filter(pk=api_client.pk).update(expiry_date=datetime.date(2020, 1, 1))
        assert ApiClient.objects.get(pk=api_client.pk).status is Status.REVOKED


class TestDelete:
    def test_soft_deletes_and_logs_and_keeps_history(self, api_user, manager, make_client):
        api_client, _ = make_client(api_user)
        rename_api_client(api_client, name="Renamed", user=api_user)

        delete_api_client(api_client, user=manager)

        stored = ApiClient.objects.get(pk=api_client.pk)  # the row stays
        assert stored.is_deleted
        assert stored.deleted_by == manager
        assert not ApiClient.objects.alive().filter(pk=api_client.pk).exists()
        assert [e.action for e in entries(api_client)] == [
            "api_clients.create",
            "api_clients.rename",
            "api_clients.delete",
        ]
        entry = entries(api_client)[-1]
        assert entry.user == manager
        assert entry.owner_id == api_user.pk

    def test_deleting_twice_is_refused(self, api_user, make_client):
        api_client, _ = make_client(api_user)
        delete_api_client(api_client, user=api_user)

        with pytest.raises(ApiClientError):
            delete_api_client(ApiClient.objects.get(pk=api_client.pk), user=api_user)
        assert [e.action for e in entries(api_client)].count("api_clients.delete") == 1

    def test_a_revoked_or_expired_client_can_be_deleted(self, api_user, make_client):
        revoked, _ = make_client(api_user, name="Revoked")
        revoke_api_client(revoked, user=api_user)
        expired, _ = make_client(api_user, name="Expired")
        ApiClient.objects.filter(pk=expired.pk).update(expiry_date=datetime.date(2020, 1, 1))

        delete_api_client(revoked, user=api_user)
        delete_api_client(ApiClient.objects.get(pk=expired.pk), user=api_user)

        assert not ApiClient.objects.alive().exists()

    def test_entries_survive_the_owners_deletion_with_the_owner_kept(
        self, api_user, manager, make_client
    ):
        api_client, _ = make_client(api_user)
        owner_id = api_user.pk

        api_user.delete()

        actions = [(e.action, e.owner_id) for e in entries(api_client)]
        assert actions == [("api_clients.create", owner_id), ("api_clients.delete", owner_id)]
        stored = ApiClient.objects.get(pk=api_client.pk)
        assert stored.owner is None and stored.is_deleted


class TestEntriesByViewer:
    def test_an_api_only_user_sees_only_entries_for_their_own_clients(
        self, api_user, other_api_user, manager, make_client
    ):
        mine, _ = make_client(api_user, name="Mine")
        theirs, _ = make_client(other_api_user, name="Theirs")
        delete_api_client(mine, user=manager)

        visible = ApiClientLogEntry.objects.viewable_by_user(api_user)

        assert {e.object_id for e in visible} == {str(mine.pk)}
        assert ApiClientLogEntry.objects.viewable_by_user(manager).count() == 3
        assert {
            e.object_id for e in ApiClientLogEntry.objects.viewable_by_user(other_api_user)
        } == {str(theirs.pk)}


class TestStatusInTheDatabase:
    def test_with_status_agrees_with_the_status_property(self, api_user, make_client):
        active, _ = make_client(api_user, name="Active")
        expired, _ = make_client(api_user, name="Expired")
        ApiClient.objects.filter(pk=expired.pk).update(
            expiry_date=today() - datetime.timedelta(days=1)
        )
        revoked, _ = make_client(api_user, name="Revoked")
        revoke_api_client(revoked, user=api_user)
        ends_today, _ = make_client(api_user, name="Ends today", expiry_date=today())

        for status in Status:
            names = set(ApiClient.objects.with_status(status).values_list("name", flat=True))
            expected = {c.name for c in ApiClient.objects.all() if c.status is status}
            assert names == expected
        assert set(ApiClient.objects.with_status("active").values_list("name", flat=True)) == {
            "Active",
            "Ends today",
        }


class TestDates:
    @pytest.mark.parametrize(
        ("start", "months", "expected"),
        [
            (datetime.date(2027, 1, 31), 1, datetime.date(2027, 2, 28)),
            (datetime.date(2028, 1, 31), 1, datetime.date(2028, 2, 29)),
            (datetime.date(2027, 3, 27), 12, datetime.date(2028, 3, 27)),
            (datetime.date(2028, 2, 29), 12, datetime.date(2029, 2, 28)),
            (datetime.date(2027, 12, 15), 1, datetime.date(2028, 1, 15)),
        ],
    )
    def test_add_months_clamps_to_the_months_end(self, start, months, expected):
        assert add_months(start, months) == expected

    def test_dates_read_like_26_november_2027(self):
        assert format_date(datetime.date(2027, 11, 26)) == "26 November 2027"
        assert format_date(datetime.date(2027, 3, 1)) == "1 March 2027"
