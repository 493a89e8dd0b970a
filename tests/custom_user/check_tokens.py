"""Run the token check through the register API with ``custom_user.Person`` as the user model.

Prints one JSON object of what was seen; ``tests/test_api_auth.py`` runs it.
"""

import datetime
import json

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from api_clients.dates import today  # noqa: E402
from api_clients.models import ApiClientUsage  # noqa: E402
from api_clients.services import create_api_client, revoke_api_client  # noqa: E402
from custom_user.models import Person  # noqa: E402

call_command("migrate", verbosity=0)
owner = Person.objects.create(username="owner")
api_client, token = create_api_client(
    owner=owner, name="Feed", expiry_date=today() + datetime.timedelta(days=30)
)
browser = Client()
headers = {"Authorization": f"Bearer {token}"}
queries = []
with connection.execute_wrapper(
    lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)
):
    accepted = browser.get("/api/v1/info", headers=headers).status_code
revoke_api_client(api_client, user=owner)
refused = browser.get("/api/v1/info", headers=headers).status_code
print(
    json.dumps(
        {
            "accepted": accepted,
            "queries": len(queries),
            "refused": refused,
            "recorded": list(ApiClientUsage.objects.values_list("status_code", "refusal_reason")),
        }
    )
)
