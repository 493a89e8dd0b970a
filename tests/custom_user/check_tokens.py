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
from api_clients.services import (  # noqa: E402
    create_api_client,
    renew_api_client,
    revoke_api_client,
)
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
# After a renewal with an overlap, the ORM's lookup finds both tokens too.
api_client, new_token = renew_api_client(
    api_client, expiry_date=today() + datetime.timedelta(days=60), overlap="1h", user=owner
)
previous = browser.get("/api/v1/client", headers=headers).json()["token"]
current = browser.get("/api/v1/client", headers={"Authorization": f"Bearer {new_token}"})
revoke_api_client(api_client, user=owner)
refused = browser.get("/api/v1/info", headers=headers).status_code
print(
    json.dumps(
        {
            "accepted": accepted,
            "queries": len(queries),
            "refused": refused,
            "tokens": [previous, current.json()["token"]],
            "recorded": list(
                ApiClientUsage.objects.values_list("status_code", "refusal_reason", "token")
            ),
        }
    )
)
