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

from .dates import format_date

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
    message = compose_to_owner(client, subject=subject, paragraphs=paragraphs)
    if message is None:
        return False
    try:
        message.send()
    except Exception:
        logger.exception("Could not email the owner of API client %s.", client.pk)
        return False
    return True


def revoked_for_leak_paragraphs(leak):
    """The body of the email sent when a client is revoked because its token leaked."""
    url = leak.get("url")
    if url:
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


def compose_to_owner(client, *, subject, paragraphs):
    """The plain-text email to the client's owner, or None when there is no one to send it to."""
    address = owner_email_address(client)
    if address is None:
        return None
    return EmailMessage(
        subject=_one_line(subject),
        body="\n\n".join(paragraphs) + "\n",
        to=[address],
    )


def expiry_reminder(client, *, today):
    """The reminder about the client's expiry date, as of ``today``; None without an address.

    Before the date (or on it) it says when the token stops and links to the
    page that generates a new one; after it, that the token no longer works.
    """
    name = _one_line(client.name)
    date = format_date(client.expiry_date)
    days_left = (client.expiry_date - today).days
    if days_left < 0:
        return compose_to_owner(
            client,
            subject=f"API client {name} has expired",
            paragraphs=[
                f"Your API client {name} expired on {date}. Its token no longer works.",
                f"Add a new API client: {absolute_admin_url('api_clients:add')}",
            ],
        )
    if days_left == 0:
        when = "today"
    elif days_left == 1:
        when = "tomorrow"
    else:
        when = f"in {days_left} days"
    return compose_to_owner(
        client,
        subject=f"API client {name} expires {when}",
        paragraphs=[
            f"Your API client {name} expires on {date}. "
            "Its token stops working at the end of that day.",
            f"Generate a new token: {absolute_admin_url('api_clients:renew', client.pk)}",
        ],
    )
