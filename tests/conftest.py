import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from api_clients.dates import today
from api_clients.services import create_api_client


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache; each test starts from zero.
    cache.clear()
    yield
    cache.clear()


def ensure_shipped_groups():
    """The two groups the migrations ship, with their permissions, made again if missing."""
    from django.contrib.auth.models import Permission

    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    client_permissions = Permission.objects.filter(
        content_type__app_label="api_clients", content_type__model="apiclient"
    )
    managers, _ = Group.objects.get_or_create(name="API client managers")
    managers.permissions.set([access_admin, *client_permissions])
    api_users, _ = Group.objects.get_or_create(name="API users")
    api_users.permissions.set([access_admin, client_permissions.get(codename="add_apiclient")])
    return managers, api_users


@pytest.fixture(autouse=True)
def _shipped_groups_in_transactional_tests(request):
    # A transactional test (a browser journey, concurrent requests) empties the
    # database when it ends, data migrations' rows included: whichever runs
    # next finds the groups again.
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        ensure_shipped_groups()


@pytest.fixture(autouse=True)
def _one_moment_per_test(monkeypatch):
    # Rate limits count in fixed windows of the epoch: a test whose requests
    # straddled a window's end would see its count start again. Each test runs
    # at one moment instead, a second into every window that divides a day;
    # tests about time passing patch the clock again.
    monkeypatch.setattr("api_clients.auth._clock", lambda: 1_728_000_001.0)


@pytest.fixture
def shipped_groups(transactional_db):
    """The groups the migrations ship, made again for a transactional test.

    A transactional test (a browser journey, requests at once) ends by emptying
    the database, and with it what the data migration made; the permissions come
    back by themselves, the groups do not.
    """
    return ensure_shipped_groups()


@pytest.fixture
def make_user(django_user_model):
    def make(username, *, group=None, superuser=False, active=True, **extra):
        user = django_user_model.objects.create_user(
            username=username,
            password="password-123!",
            is_superuser=superuser,
            is_staff=superuser,
            is_active=active,
            **extra,
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture
def superuser(make_user):
    return make_user("root", superuser=True)


@pytest.fixture
def manager(make_user):
    return make_user("manager", group="API client managers")


@pytest.fixture
def api_user(make_user):
    return make_user("owner", group="API users")


@pytest.fixture
def other_api_user(make_user):
    return make_user("other", group="API users")


@pytest.fixture
def make_client():
    """Create a client through the service; returns (client, plaintext token)."""

    def make(owner, name="Student records system", expiry_date=None):
        return create_api_client(
            owner=owner,
            name=name,
            expiry_date=expiry_date or today() + datetime.timedelta(days=30),
        )

    return make
