"""Emails to an API client's owner: composed here, sent with Django's email framework.

Whatever backend the site configures (SMTP, a provider's, the console) sends
them. Owners who are deactivated or have no email address get none. Links are
absolute, from ``WAGTAILADMIN_BASE_URL``, because an email has no page to be
relative to.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import reverse

logger = logging.getLogger(__name__)


def absolute_admin_url(url_name, *args):
    """The absolute URL of an admin page, for a link in an email."""
    base = (getattr(settings, "WAGTAILADMIN_BASE_URL", "") or "").rstrip("/")
    return f"{base}{reverse(url_name, args=args)}"


def owner_email_address(client):
    """Where mail about this client goes, or None: no owner, a deactivated one, or no address."""
    owner = client.owner
    if owner is None or not owner.is_active:
        return None
    address = (getattr(owner, owner.get_email_field_name(), "") or "").strip()
    return address or None


def _one_line(text):
    # A subject is a header: a line break in a client's name must not end it.
    return " ".join(str(text).split())


def send_to_owner(client, *, subject, paragraphs):
    """Send a plain-text email to the client's owner; True if it was handed to the backend.

    A backend that fails is logged, not raised: the change that prompted the
    email has been made and must not be undone by a mail server being down.
    """
    address = owner_email_address(client)
    if address is None:
        return False
    message = EmailMessage(
        subject=_one_line(subject),
        body="\n\n".join(paragraphs) + "\n",
        to=[address],
    )
    try:
        message.send()
    except Exception:
        logger.exception("Could not email the owner of API client %s.", client.pk)
        return False
    return True


def revoked_for_leak_paragraphs(leak):
    """The body of the email sent when a client is revoked because its token leaked."""
    url = leak.get("url")
    if leak.get("source") == "reported":
        first = "Its token was reported as found in public and has been revoked."
    elif url:
        first = f"Its token was found in public at {_one_line(url)} and has been revoked."
    else:
        first = "Its token was found in public and has been revoked."
    return [first, f"Add a new API client: {absolute_admin_url('api_clients:add')}"]


def send_revoked_for_leak(client, *, leak):
    """Tell the owner that the client was revoked because its token was found in public."""
    return send_to_owner(
        client,
        subject=f"API client {client.name} was revoked",
        paragraphs=revoked_for_leak_paragraphs(leak),
    )
