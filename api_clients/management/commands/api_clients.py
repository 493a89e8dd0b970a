"""Manage API clients from the command line: create, list, renew, revoke, delete, prune,
and send expiry reminders."""

import contextlib
import datetime
import getpass
import json
import os
import re
import sys

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_variables

from api_clients import emails, leaked_tokens, tokens
from api_clients.conf import MAX_RETENTION_DAYS, get_setting
from api_clients.dates import format_date, format_time
from api_clients.lifecycle import OVERLAPS, ApiClientError, previous_token_works
from api_clients.models import (
    ApiClient,
    ApiClientDailyUsage,
    ApiClientUsage,
    Status,
    TokenUsed,
)
from api_clients.reminders import send_reminders
from api_clients.services import (
    create_api_client,
    delete_api_client,
    renew_api_client,
    revoke_api_client,
)
from api_clients.usage import counted_live_since, roll_up_finished_days


def _messages(error):
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)


# Generous for one token and its line break; more is not a token.
TOKEN_INPUT_MAX_CHARS = 1024


class Command(BaseCommand):
    help = (
        "Create, list, renew, revoke and delete API clients, count and prune old usage "
        "records and send expiry reminders."
    )
    # call_command(..., stdin=...) hands revoke-token its standard input.
    stealth_options = ("stdin",)

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except BrokenPipeError:
            # The reader stopped early (``api_clients list | head``): stop too,
            # quietly, as other command-line tools do. Standard output goes to
            # the null device so that Python's own flush at exit cannot fail.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(1)
        except OSError as error:
            # Standard output cannot take what is written (a full disk, say).
            raise CommandError(f"Could not write the output: {error.strerror or error}.") from None

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        # Django's CommandParser hands its called_from_command_line on to the
        # subparsers: usage errors exit 2 from a shell and raise CommandError
        # from call_command.

        create = commands.add_parser("create", help="Create a client and print its token once.")
        create.add_argument("--owner", required=True, help="Username of the client's owner.")
        create.add_argument("--name", required=True, help="Client name.")
        create.add_argument(
            "--expires", required=True, help="Expiry date, YYYY-MM-DD, within the horizon."
        )
        create.add_argument("--json", action="store_true", help="Print JSON for scripts.")

        listing = commands.add_parser("list", help="List live clients, newest first.")
        listing.add_argument("--owner", help="Only this user's clients.")
        listing.add_argument(
            "--status", choices=[s.value for s in Status], help="Only this status."
        )
        listing.add_argument("--json", action="store_true", help="Print JSON for scripts.")

        renew = commands.add_parser(
            "renew", help="Give an active client a new token and expiry date; print it once."
        )
        renew.add_argument("client_id", type=int, help="The client's id (see list).")
        renew.add_argument(
            "--expires", required=True, help="New expiry date, YYYY-MM-DD, within the horizon."
        )
        renew.add_argument(
            "--overlap",
            choices=list(OVERLAPS),
            default="0",
            help="How long the current token keeps working (default 0: it stops now).",
        )
        renew.add_argument("--by", help="Username recorded in the audit log as who did it.")
        renew.add_argument("--json", action="store_true", help="Print JSON for scripts.")

        for name, text in (("revoke", "Revoke a client."), ("delete", "Delete a client.")):
            sub = commands.add_parser(name, help=text)
            sub.add_argument("client_id", type=int, help="The client's id (see list).")
            sub.add_argument("--by", help="Username recorded in the audit log as who did it.")

        commands.add_parser(
            "send_reminders",
            help="Email owners whose clients expire soon or just expired; run it daily.",
        )

        revoke_token = commands.add_parser(
            "revoke-token",
            help="Revoke the client of a token found in public. "
            "The token is read from standard input, never from the command line.",
        )
        revoke_token.add_argument("--by", help="Username recorded in the audit log as who did it.")

        prune = commands.add_parser(
            "prune", help="Delete usage records older than the retention period."
        )
        prune.add_argument(
            "--days", type=int, help="Keep this many days (default: USAGE_RETENTION_DAYS)."
        )

        commands.add_parser(
            "summarise",
            help="Count each client's requests per finished day, so details pages need not. "
            "Run daily by any scheduler; prune runs it too.",
        )

    def handle(self, *args, subcommand, **options):
        if getattr(self.stdout, "_out", None) is None:
            raise CommandError("There is no standard output to write to: nothing was done.")
        try:
            return getattr(self, f"handle_{subcommand.replace('-', '_')}")(**options)
        except (ValidationError, ApiClientError) as error:
            raise CommandError(_messages(error)) from error

    @contextlib.contextmanager
    def _shown_or_undone(self):
        """Keep what the block makes only if its output, a token, reaches standard output.

        A token no one saw would leave a working client that nobody can use:
        if writing fails (a full disk, a closed pipe), nothing is kept.
        """
        try:
            with transaction.atomic():
                yield
                self.stdout.flush()
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise CommandError(
                "Nothing was changed: the token could not be written to standard output "
                f"({reason})."
            ) from None

    def _user(self, username, option):
        if username is None:
            return None
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"{option}: no user is called {username!r}.") from None

    def _client(self, client_id):
        try:
            return ApiClient.objects.alive().select_related("owner").get(pk=client_id)
        except ApiClient.DoesNotExist:
            raise CommandError(f"No API client has the id {client_id}.") from None

    @staticmethod
    def _expiry_date(expires):
        # Only YYYY-MM-DD: fromisoformat also reads 20270327 and week dates (2027-W13-6).
        expires = expires.strip()
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", expires, flags=re.ASCII):
                raise ValueError(expires)
            return datetime.date.fromisoformat(expires)
        except ValueError:
            raise CommandError("--expires must be a real date, like 2027-03-27.") from None

    @method_decorator(sensitive_variables("token"))
    def handle_create(self, *, owner, name, expires, json: bool, **options):
        owner_user = self._user(owner, "--owner")
        expiry_date = self._expiry_date(expires)
        with self._shown_or_undone():
            client, token = create_api_client(owner=owner_user, name=name, expiry_date=expiry_date)
            self._show_created(client, token, json=json)

    @method_decorator(sensitive_variables("token"))
    def _show_created(self, client, token, *, json):
        if json:
            self.stdout.write(
                _dumps(
                    {
                        "id": client.pk,
                        "name": client.name,
                        "expiry_date": client.expiry_date.isoformat(),
                        "token": token,
                    }
                )
            )
        else:
            self.stdout.write(
                f"Created API client {client.pk} {client.name!r}, "
                f"expires {format_date(client.expiry_date)}."
            )
            self.stdout.write("Token (shown once, copy it now):")
            self.stdout.write(token)

    @method_decorator(sensitive_variables("token"))
    def handle_renew(self, *, client_id, expires, overlap, by, json: bool, **options):
        expiry_date = self._expiry_date(expires)
        user = self._user(by, "--by")
        with self._shown_or_undone():
            client, token = renew_api_client(
                self._client(client_id), expiry_date=expiry_date, overlap=overlap, user=user
            )
            self._show_renewed(client, token, json=json)

    @method_decorator(sensitive_variables("token"))
    def _show_renewed(self, client, token, *, json):
        works = previous_token_works(client)
        if json:
            self.stdout.write(
                _dumps(
                    {
                        "id": client.pk,
                        "name": client.name,
                        "expiry_date": client.expiry_date.isoformat(),
                        "previous_token_stops_at": client.previous_token_expires_at.isoformat()
                        if works
                        else None,
                        "token": token,
                    }
                )
            )
            return
        self.stdout.write(
            f"Generated a new token for API client {client.pk} {client.name!r}, "
            f"expires {format_date(client.expiry_date)}."
        )
        if works:
            self.stdout.write(
                "The previous token stops working on "
                f"{format_time(client.previous_token_expires_at)}."
            )
        else:
            self.stdout.write("The previous token no longer works.")
        self.stdout.write("Token (shown once, copy it now):")
        self.stdout.write(token)

    def handle_list(self, *, owner, status, json: bool, **options):
        clients = ApiClient.objects.alive().select_related("owner")
        if owner is not None:
            clients = clients.filter(owner=self._user(owner, "--owner"))
        if status:
            clients = clients.with_status(status)
        rows = [
            {
                "id": client.pk,
                "name": client.name,
                "owner": client.owner.get_username() if client.owner else None,
                "expiry_date": client.expiry_date.isoformat(),
                "status": client.status.value,
                "token_hint": client.token_hint,
            }
            for client in clients
        ]
        if json:
            self.stdout.write(_dumps(rows))
            return
        if not rows:
            self.stdout.write("There are no API clients.")
            return
        labels = {status.value: str(status.label) for status in Status}
        width = max(len(labels[row["status"]]) for row in rows)
        for row in rows:
            self.stdout.write(
                f"{row['id']:>6}  {labels[row['status']]:<{width}}  {row['expiry_date']}  "
                f"{row['token_hint']}…  {row['owner'] or '-'}  {row['name']}"
            )

    def handle_revoke(self, *, client_id, by, **options):
        client = revoke_api_client(self._client(client_id), user=self._user(by, "--by"))
        self.stdout.write(f"Revoked API client {client.pk} {client.name!r}.")

    def handle_delete(self, *, client_id, by, **options):
        client = delete_api_client(self._client(client_id), user=self._user(by, "--by"))
        self.stdout.write(f"Deleted API client {client.pk} {client.name!r}.")

    def handle_send_reminders(self, **options):
        outcome = send_reminders()
        self.stdout.write(f"Sent {_count(outcome.sent, 'reminder')}.")
        if outcome.skipped:
            reasons = ", ".join(
                f"{number} {reason}" for reason, number in sorted(outcome.skipped.items())
            )
            self.stdout.write(f"Skipped {_count(outcome.skipped.total(), 'client')}: {reasons}.")
        else:
            self.stdout.write("Skipped no clients.")

    @method_decorator(sensitive_variables("token"))
    def handle_revoke_token(self, *, by, **options):
        user = self._user(by, "--by")
        token = _read_token(options.get("stdin", sys.stdin))
        if not tokens.is_well_formed(token):
            raise CommandError(
                f"That is not an API client token: one is {tokens.TOKEN_PREFIX} followed by "
                f"{tokens.TOKEN_LENGTH - len(tokens.TOKEN_PREFIX)} letters and digits "
                "with a valid checksum."
            )
        client = leaked_tokens.find_clients([token]).get(token)
        if client is None:
            raise CommandError("No API client has this token.")
        label = f"API client {client.pk} {client.name!r}"
        if client.is_deleted:
            self.stdout.write(f"{label} is deleted: its token no longer works. Nothing changed.")
        elif leaked_tokens.revoke_leaked(client, leak=leaked_tokens.reported_leak(), user=user):
            self.stdout.write(f"Revoked {label}: its token no longer works.")
            if emails.owner_email_address(client):
                self.stdout.write("Its owner has been emailed.")
            else:
                self.stdout.write("Its owner has no email address or is deactivated: no email.")
        else:
            replaced = getattr(client, "token_used", None) == TokenUsed.PREVIOUS
            client.refresh_from_db()
            if replaced and client.is_active:
                self.stdout.write(
                    f"That is the previous token of {label}, replaced by a new one: "
                    "it no longer works. Nothing changed."
                )
                return
            state = "deleted" if client.is_deleted else client.status.label.lower()
            self.stdout.write(f"{label} is {state}: its token no longer works. Nothing changed.")

    def handle_prune(self, *, days, **options):
        days = get_setting("USAGE_RETENTION_DAYS") if days is None else days
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        if days > MAX_RETENTION_DAYS:
            raise CommandError(f"--days must be {MAX_RETENTION_DAYS} or fewer.")
        # The chart's days are counted before their rows go.
        roll_up_finished_days()
        # Never rows of a day still counted live (yesterday's, just after midnight).
        cutoff = min(timezone.now() - datetime.timedelta(days=days), counted_live_since())
        # Each client keeps its newest record, so "Last used" can still be told.
        newest = (
            ApiClientUsage.objects.filter(client=OuterRef("client"))
            .order_by("-requested_at", "-pk")
            .values("pk")[:1]
        )
        with transaction.atomic():
            deleted, _ = (
                ApiClientUsage.objects.filter(requested_at__lt=cutoff)
                .exclude(pk=Subquery(newest))
                .delete()
            )
            # Daily counts go the same way, but the chart's days are kept.
            kept_days = max(days, get_setting("RECENT_USAGE_DAYS"))
            oldest = timezone.localdate() - datetime.timedelta(days=kept_days)
            ApiClientDailyUsage.objects.filter(date__lt=oldest).delete()
        self.stdout.write(
            f"Deleted {_count(deleted, 'usage record')} older than {_count(days, 'day')}."
        )

    def handle_summarise(self, **options):
        count = roll_up_finished_days()
        self.stdout.write(f"Counted {count} client days of usage.")


def _count(number, noun):
    return f"{number} {noun}{'' if number == 1 else 's'}"


@sensitive_variables("text")
def _read_token(stream):
    """One token from standard input: typed without echo at a terminal, or piped in."""
    if stream is None:
        raise CommandError("There is no standard input to read the token from.")
    try:
        if stream.isatty():
            text = getpass.getpass("Token (not shown): ", stream=sys.stderr)
        else:
            text = stream.read(TOKEN_INPUT_MAX_CHARS + 1)
    except (UnicodeDecodeError, EOFError, KeyboardInterrupt):
        raise CommandError("No token was read from standard input.") from None
    if len(text) > TOKEN_INPUT_MAX_CHARS or len(text.split()) > 1:
        raise CommandError("Give exactly one token on standard input.")
    text = text.strip()
    if not text:
        raise CommandError(
            "No token on standard input. Pipe it in, for example: "
            "pbpaste | python manage.py api_clients revoke-token"
        )
    return text


def _dumps(value):
    return json.dumps(value, indent=2)
