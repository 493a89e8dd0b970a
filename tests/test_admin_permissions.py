"""Who may open which page of the API clients section, and what a refusal leaves behind.

The matrix below is the whole section: every page, every kind of user, GET and
POST, each with the answer it must get. Refusals change nothing in the
database; allowed POSTs do exactly what they say.
"""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import NoReverseMatch, reverse
from helpers import (
    INDEX_URL,
    SITE_HISTORY_URL,
    add_data,
    database_state,
    expire,
    hidden_value,
    in_days,
    menu_item_names,
    messages,
    soup,
    url,
)

from api_clients.models import ApiClient
from api_clients.services import delete_api_client
from api_clients.views.drafts import draft_key

pytestmark = pytest.mark.django_db

PERMISSION_DENIED = "Sorry, you do not have permission to access this area."
RENAMED = "Renamed from the session"
ADDED = "Added from the session"
RENEWED_UNTIL = in_days(40)

# What each answer means. "302:home": Wagtail's refusal, to the dashboard with
# PERMISSION_DENIED. "302:login": to the admin's login page. "302:step2": on to
# the flow's check-your-answers page. "302:detail": to the client's details
# page. "302:list": to the list of clients.
# fmt: off
MATRIX = """
page             method superuser  manager    owner      other      plain      viewer     anonymous
index            GET    200        200        200        200        302:home   200        302:login
index            POST   405        405        405        405        302:home   405        302:login
index_results    GET    200        200        200        200        302:home   200        302:login
index_results    POST   405        405        405        405        302:home   405        302:login
add              GET    200        200        200        200        302:home   302:home   302:login
add              POST   302:step2  302:step2  302:step2  302:step2  302:home   302:home   302:login
add_check        GET    200        200        200        200        302:home   302:home   302:login
add_check        POST   200        200        200        200        302:home   302:home   302:login
inspect          GET    200        200        200        404        404        200        302:login
inspect          POST   405        405        405        404        404        405        302:login
rename           GET    200        200        200        404        404        302:home   302:login
rename           POST   302:step2  302:step2  302:step2  404        404        302:home   302:login
rename_check     GET    200        200        200        404        404        302:home   302:login
rename_check     POST   302:detail 302:detail 302:detail 404        404        302:home   302:login
renew            GET    200        200        200        404        404        302:home   302:login
renew            POST   302:step2  302:step2  302:step2  404        404        302:home   302:login
renew_check      GET    200        200        200        404        404        302:home   302:login
renew_check      POST   200        200        200        404        404        302:home   302:login
revoke           GET    200        200        200        404        404        302:home   302:login
revoke           POST   302:detail 302:detail 302:detail 404        404        302:home   302:login
delete           GET    200        200        200        404        404        302:home   302:login
delete           POST   302:list   302:list   302:list   404        404        302:home   302:login
history          GET    200        200        200        404        404        200        302:login
history          POST   405        405        405        404        404        405        302:login
history_results  GET    200        200        200        404        404        200        302:login
history_results  POST   405        405        405        404        404        405        302:login
requests         GET    200        200        200        404        404        200        302:login
requests         POST   405        405        405        404        404        405        302:login
refused_requests GET    200        200        302:home   302:home   302:home   200        302:login
refused_requests POST   405        405        302:home   302:home   302:home   405        302:login
"""
# fmt: on

# What an allowed POST changes; every other allowed request changes nothing.
EFFECTS = {
    ("add_check", "POST"): "created",
    ("rename_check", "POST"): "renamed",
    ("renew_check", "POST"): "renewed",
    ("revoke", "POST"): "revoked",
    ("delete", "POST"): "deleted",
}
REFUSALS = {"302:home", "302:login", "404", "405"}
CLIENT_PAGES = {"index", "index_results", "add", "add_check", "refused_requests"}


def _matrix():
    lines = [line.split() for line in MATRIX.strip().splitlines()]
    roles = lines[0][2:]
    cases = []
    for page, method, *answers in lines[1:]:
        assert len(answers) == len(roles), page
        for role, expected in zip(roles, answers, strict=True):
            cases.append(pytest.param(page, method, role, expected, id=f"{page}-{method}-{role}"))
    return cases


@pytest.fixture
def users(make_user, superuser, manager, api_user, other_api_user):
    plain = make_user("plain")
    plain.user_permissions.add(Permission.objects.get(codename="access_admin"))
    viewer = make_user("viewer")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_apiclient"),
    )
    return {
        "superuser": superuser,
        "manager": manager,
        "owner": api_user,
        "other": other_api_user,
        # An admin user with no API client permission at all.
        "plain": plain,
        # Model-level "view" only: sees every client, changes none.
        "viewer": viewer,
        "anonymous": None,
    }


def log_in_with_answers_waiting(client, user, api_client):
    """Log in, with answers waiting in the session for both flows' last steps.

    So a refused last step is refused for who is asking, not for want of answers.
    """
    if user is not None:
        client.force_login(user)
    # Written as the flows' first steps write them (a user refused those steps
    # could not have answered them), under the flows' own names.
    session = client.session
    submission = uuid.uuid4().hex
    session[draft_key("add")] = {
        "name": ADDED,
        "expiry_date": in_days(20).isoformat(),
        "submission": submission,
    }
    session[draft_key("rename", api_client)] = {"name": RENAMED, "submission": submission}
    session[draft_key("renew", api_client)] = {
        "expiry_date": RENEWED_UNTIL.isoformat(),
        "overlap": "1h",
        "submission": submission,
    }
    session.save()
    return submission


def expected_location(expected, page, api_client):
    target = expected.split(":", 1)[1]
    if target == "login":
        asked = url(page, None if page in CLIENT_PAGES else api_client)
        return f"{reverse('wagtailadmin_login')}?next={asked}"
    if target == "home":
        return reverse("wagtailadmin_home")
    if target == "list":
        return INDEX_URL
    if target == "step2":
        if page == "add":
            return url("add_check")
        return url(f"{page}_check", api_client)
    return url("inspect", api_client)


@pytest.mark.parametrize(("page", "method", "role", "expected"), _matrix())
def test_permission_matrix(client, users, make_client, page, method, role, expected):
    api_client, _ = make_client(users["owner"], name="Owner's client")
    user = users[role]
    submission = log_in_with_answers_waiting(client, user, api_client)
    page_url = url(page, None if page in CLIENT_PAGES else api_client)
    data = {
        "add": add_data(name="Posted name"),
        "add_check": {"submission": submission},
        "renew_check": {"submission": submission},
        "rename_check": {"submission": submission},
        "rename": {"name": "Posted name"},
        "renew": {**add_data(expiry_date=in_days(50)), "overlap": "24h"},
    }.get(page, {})
    before = database_state()

    response = client.post(page_url, data) if method == "POST" else client.get(page_url)

    status = int(expected.split(":")[0])
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == expected_location(expected, page, api_client)
    after = database_state()
    if expected in REFUSALS:
        assert after == before
        return
    effect = EFFECTS.get((page, method))
    fresh = ApiClient.objects.get(pk=api_client.pk)
    if effect is None:
        assert after == before
    elif effect == "created":
        created = ApiClient.objects.exclude(pk=api_client.pk).get()
        assert (created.name, created.owner) == (ADDED, user)
    elif effect == "renamed":
        assert fresh.name == RENAMED
    elif effect == "renewed":
        assert fresh.expiry_date == RENEWED_UNTIL
        assert fresh.previous_token_digest == api_client.token_digest
    elif effect == "revoked":
        assert (fresh.revoked_at is not None, fresh.revoked_by) == (True, user)
    elif effect == "deleted":
        assert (fresh.deleted_at is not None, fresh.deleted_by) == (True, user)


def test_the_matrix_covers_every_page_of_the_section():
    from api_clients.viewsets import ApiClientViewSet

    names = {pattern.name for pattern in ApiClientViewSet().get_urlpatterns()}
    covered = {line.split()[0] for line in MATRIX.strip().splitlines()[1:]}
    assert covered == names


class TestRefusals:
    @pytest.mark.parametrize("page", ["index", "add", "add_check"])
    def test_an_admin_user_without_api_client_permissions_is_refused_like_anywhere_else(
        self, client, users, page
    ):
        client.force_login(users["plain"])

        response = client.get(url(page), follow=True)

        assert response.redirect_chain == [(reverse("wagtailadmin_home"), 302)]
        assert messages(response) == [("error", PERMISSION_DENIED)]

    @pytest.mark.parametrize(
        "page", ["inspect", "rename", "rename_check", "revoke", "delete", "history", "requests"]
    )
    @pytest.mark.parametrize("role", ["owner", "other", "manager", "superuser"])
    def test_a_client_that_does_not_exist_is_not_found_whoever_asks(
        self, client, users, page, role
    ):
        client.force_login(users[role])

        assert client.get(url(page, 987654)).status_code == 404
        assert client.post(url(page, 987654)).status_code == 404

    @pytest.mark.parametrize(
        "page",
        ["inspect", "rename", "rename_check", "revoke", "delete", "history", "history_results"],
    )
    @pytest.mark.parametrize("role", ["owner", "manager", "superuser"])
    def test_a_deleted_client_is_not_found_whoever_asks(
        self, client, users, make_client, page, role
    ):
        api_client, _ = make_client(users["owner"])
        delete_api_client(api_client, user=users["manager"])
        client.force_login(users[role])
        before = database_state()

        assert client.get(url(page, api_client)).status_code == 404
        assert client.post(url(page, api_client), {"name": "Back"}).status_code == 404
        assert database_state() == before

    def test_someone_elses_client_looks_like_no_client(self, client, users, make_client):
        api_client, _ = make_client(users["owner"])
        client.force_login(users["other"])

        theirs = client.get(url("inspect", api_client))
        nobody = client.get(url("inspect", api_client.pk + 1000))

        assert theirs.status_code == nobody.status_code == 404
        assert theirs.content == nobody.content

    def test_an_expired_client_can_still_be_seen_and_deleted_by_its_owner_only(
        self, client, users, make_client
    ):
        api_client, _ = make_client(users["owner"])
        expire(api_client)

        client.force_login(users["other"])
        assert client.post(url("delete", api_client)).status_code == 404
        assert ApiClient.objects.get(pk=api_client.pk).deleted_at is None

        client.force_login(users["owner"])
        assert client.get(url("inspect", api_client)).status_code == 200
        assert client.post(url("delete", api_client))["Location"] == INDEX_URL
        assert ApiClient.objects.get(pk=api_client.pk).deleted_at is not None

    def test_a_deactivated_users_session_is_refused(self, client, users, make_client):
        api_client, _ = make_client(users["owner"])
        client.force_login(users["owner"])
        users["owner"].is_active = False
        users["owner"].save()

        response = client.post(url("revoke", api_client))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("wagtailadmin_login"))
        assert ApiClient.objects.get(pk=api_client.pk).revoked_at is None


# Other admin areas an API-only user must not reach.
OTHER_ADMIN_AREAS = [
    "/admin/pages/",
    "/admin/pages/2/",
    "/admin/pages/2/edit/",
    "/admin/pages/search/",
    "/admin/choose-page/",
    "/admin/images/",
    "/admin/documents/",
    "/admin/snippets/register/trainingprovider/",
    "/admin/users/",
    "/admin/groups/",
    "/admin/sites/",
    "/admin/collections/",
    "/admin/redirects/",
    "/admin/forms/",
    "/admin/workflows/list/",
    "/admin/reports/locked/",
    "/admin/reports/aging-pages/",
    "/admin/reports/page-types-usage/",
    "/admin/tag-autocomplete/",
]


class TestApiOnlyUsers:
    def test_the_dashboard_is_their_list_of_clients(self, client, api_user):
        client.force_login(api_user)

        response = client.get(reverse("wagtailadmin_home"))

        assert response.status_code == 302
        assert response["Location"] == INDEX_URL

    @pytest.mark.parametrize("path", OTHER_ADMIN_AREAS)
    def test_every_other_admin_area_is_refused(self, client, api_user, path):
        client.force_login(api_user)

        followed = client.get(path, follow=True)

        assert followed.redirect_chain == [
            (reverse("wagtailadmin_home"), 302),
            (INDEX_URL, 302),
        ]
        assert messages(followed) == [("error", PERMISSION_DENIED)]

    @pytest.mark.parametrize("path", OTHER_ADMIN_AREAS)
    def test_managers_are_not_kept_in_the_section(self, client, superuser, path):
        # The same paths exist and open for a superuser: the refusal above is real.
        client.force_login(superuser)

        assert client.get(path).status_code == 200

    def test_posts_elsewhere_are_refused_and_change_nothing(self, client, api_user):
        from django.contrib.auth.models import Group

        client.force_login(api_user)
        groups = Group.objects.count()

        response = client.post("/admin/groups/add/", {"name": "Mine now", "permissions": []})

        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
        assert Group.objects.count() == groups

    def test_their_menu_has_only_api_clients(self, client, api_user):
        client.force_login(api_user)

        response = client.get(INDEX_URL)

        assert menu_item_names(response) == ["api-clients"]
        assert soup(response).select_one("#wagtail-sidebar-props") is not None

    def test_managers_menu_has_api_clients_among_the_rest(self, client, manager, superuser):
        for user in (manager, superuser):
            client.force_login(user)
            names = menu_item_names(client.get(INDEX_URL))
            assert "api-clients" in names
        assert len(names) > 1

    def test_admin_users_without_permission_get_no_api_clients_item(self, client, users):
        client.force_login(users["plain"])

        names = menu_item_names(client.get(reverse("wagtailadmin_home")))

        assert "api-clients" not in names

    @pytest.mark.parametrize(
        "path", [reverse("wagtailadmin_account"), SITE_HISTORY_URL, INDEX_URL, url("add")]
    )
    def test_their_account_and_their_history_stay_open(self, client, api_user, path):
        client.force_login(api_user)

        assert client.get(path).status_code == 200


# Every POST of the section, with what it would need to do something.
CSRF_POSTS = ["add", "add_check", "rename", "rename_check", "revoke", "delete"]


class TestCsrf:
    @pytest.fixture
    def browser(self, api_user, make_client):
        api_client, _ = make_client(api_user, name="Guarded")
        browser = Client(enforce_csrf_checks=True)
        submission = log_in_with_answers_waiting(browser, api_user, api_client)
        return browser, api_client, submission

    def post_data(self, page, submission):
        return {
            "add": add_data(name="Forged"),
            "add_check": {"submission": submission},
            "rename_check": {"submission": submission},
            "rename": {"name": "Forged"},
        }.get(page, {})

    @pytest.mark.parametrize("page", CSRF_POSTS)
    def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(self, browser, page):
        browser, api_client, submission = browser
        page_url = url(page, None if page in CLIENT_PAGES else api_client)
        before = database_state()
        session_before = dict(browser.session.items())

        response = browser.post(page_url, self.post_data(page, submission))

        assert response.status_code == 403
        assert database_state() == before
        assert dict(browser.session.items()) == session_before

    @pytest.mark.parametrize("page", CSRF_POSTS)
    def test_the_same_post_with_the_token_goes_through(self, browser, page):
        # The refusal above is the CSRF check's, not something else's.
        browser, api_client, submission = browser
        page_url = url(page, None if page in CLIENT_PAGES else api_client)
        # The revoke page's form carries a token and leaves the session's answers alone.
        form_page = browser.get(url("revoke", api_client))
        token = hidden_value(form_page, "csrfmiddlewaretoken")
        before = database_state()

        response = browser.post(
            page_url, {**self.post_data(page, submission), "csrfmiddlewaretoken": token}
        )

        assert response.status_code in (200, 302)
        if page in ("add_check", "rename_check", "revoke", "delete"):
            assert database_state() != before


class TestObjectPermissionsThroughGroups:
    """Object permissions held through a group count like one's own."""

    def test_a_group_object_permission_shows_the_client(
        self, client, api_user, other_api_user, make_client
    ):
        from django.contrib.auth.models import Group
        from guardian.shortcuts import assign_perm

        api_client, _ = make_client(api_user, name="Shared")
        make_client(api_user, name="Not shared")
        team = Group.objects.create(name="Team")
        other_api_user.groups.add(team)
        client.force_login(other_api_user)
        assert client.get(url("inspect", api_client)).status_code == 404

        assign_perm("api_clients.view_apiclient", team, api_client)

        listed = [a.get_text(strip=True) for a in soup(client.get(INDEX_URL)).select("td.title a")]
        assert listed == ["Shared"]
        assert client.get(url("inspect", api_client)).status_code == 200
        # Seeing is not changing.
        assert client.post(url("revoke", api_client)).status_code == 302
        assert ApiClient.objects.get(pk=api_client.pk).revoked_at is None


@pytest.mark.parametrize("route", ["edit", "usage", "copy"])
def test_wagtails_routes_that_would_bypass_the_services_do_not_exist(
    client, superuser, api_user, make_client, route
):
    api_client, _ = make_client(api_user, name="Kept")
    client.force_login(superuser)

    with pytest.raises(NoReverseMatch):
        reverse(f"api_clients:{route}", args=(api_client.pk,))
    response = client.post(f"/admin/api-clients/{route}/{api_client.pk}/", {"name": "Changed"})

    assert response.status_code == 404
    assert ApiClient.objects.get(pk=api_client.pk).name == "Kept"
