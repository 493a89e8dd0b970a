"""Demo data: people, training providers and API clients in every status. Idempotent."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from api_clients.dates import today
from api_clients.models import ApiClient
from api_clients.services import create_api_client, delete_api_client, revoke_api_client

from .models import AccreditationStatus, ProviderType, TrainingProvider

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - printed for local demo logins only

PEOPLE = [
    # username, first, last, superuser, group
    ("admin", "Ada", "Admin", True, None),
    ("manager", "Morgan", "Manager", False, "API client managers"),
    ("apiuser1", "Priya", "Patel", False, "API users"),
    ("apiuser2", "Tom", "Okafor", False, "API users"),
]

PLACES = [
    "Birmingham",
    "Bristol",
    "Cambridge",
    "Canterbury",
    "Carlisle",
    "Chester",
    "Coventry",
    "Derby",
    "Durham",
    "Exeter",
    "Gloucester",
    "Hull",
    "Lancaster",
    "Leeds",
    "Leicester",
    "Lincoln",
    "Liverpool",
    "London",
    "Manchester",
    "Newcastle",
    "Norwich",
    "Nottingham",
    "Oxford",
    "Peterborough",
    "Plymouth",
    "Portsmouth",
    "Reading",
    "Sheffield",
    "Southampton",
    "Sunderland",
    "Truro",
    "Wakefield",
    "Winchester",
    "Wolverhampton",
    "York",
]
HEI_FORMS = ["University of {}", "{} University", "{} Institute of Education"]
SCHOOL_FORMS = ["{} Teaching School Hub", "{} SCITT", "{} Primary Partnership"]
OTHER_FORMS = ["{} Teacher Training Trust", "{} Education Partnership"]

CLIENTS = [
    # owner, name, status
    ("apiuser1", "Student records system", "active"),
    ("apiuser1", "Placement matching service", "active"),
    ("apiuser1", "Old data warehouse feed", "expired"),
    ("apiuser2", "Apply for teacher training", "active"),
    ("apiuser2", "Reporting dashboard", "revoked"),
    ("apiuser2", "Trial integration", "deleted"),
    ("manager", "Support team checks", "active"),
]


def _providers(count=50):
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    names, codes, ukprns = set(), set(), set()
    rows = []
    while len(rows) < count:
        place = rng.choice(PLACES)
        kind = rng.choice(list(ProviderType))
        forms = {
            ProviderType.HIGHER_EDUCATION_INSTITUTION: HEI_FORMS,
            ProviderType.SCHOOL: SCHOOL_FORMS,
            ProviderType.OTHER: OTHER_FORMS,
        }[kind]
        name = rng.choice(forms).format(place)
        code = "".join(
            (rng.choice("123456789"), chr(65 + len(rows) % 26), rng.choice("BCDFGHJKLMNPRSTVWXZ"))
        )
        ukprn = f"1{rng.randrange(10**6, 10**7):07d}"
        if name in names or code in codes or ukprn in ukprns:
            continue  # codes and UKPRNs are unique in the register
        names.add(name)
        codes.add(code)
        ukprns.add(ukprn)
        rows.append(
            {
                "operating_name": name,
                "legal_name": f"{name} Limited"
                if kind is not ProviderType.HIGHER_EDUCATION_INSTITUTION
                else name,
                "provider_type": kind,
                "code": code,
                "ukprn": ukprn,
                "urn": f"{rng.randrange(100000, 150000)}" if kind is ProviderType.SCHOOL else "",
                "accreditation_status": rng.choice(list(AccreditationStatus)),
            }
        )
    return rows


@transaction.atomic
def load_demo_data(stdout=None):
    """Create what is missing; run it twice and nothing doubles. Returns the users."""
    User = get_user_model()
    users = {}
    for username, first, last, superuser, group in PEOPLE:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "is_superuser": superuser,
                "is_staff": superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if group:
            user.groups.add(Group.objects.get(name=group))
        users[username] = user

    if not TrainingProvider.objects.exists():
        TrainingProvider.objects.bulk_create(TrainingProvider(**row) for row in _providers())

    for owner, name, status in CLIENTS:
        if ApiClient.objects.filter(owner=users[owner], name=name).exists():
            continue
        client, _token = create_api_client(
            owner=users[owner], name=name, expiry_date=today() + datetime.timedelta(days=180)
        )
        if status == "expired":
            ApiClient.objects.filter(pk=client.pk).update(
                expiry_date=today() - datetime.timedelta(days=10),
                created_at=timezone.now() - datetime.timedelta(days=200),
            )
        elif status == "revoked":
            revoke_api_client(client, user=users["manager"])
        elif status == "deleted":
            delete_api_client(client, user=users[owner])
    return users
