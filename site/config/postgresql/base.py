"""Django's PostgreSQL backend with a client-side bound on every wait for the server.

The server's ``statement_timeout`` cancels a slow statement, but only a server
that runs can: when the whole server freezes (a hung disk or host) a request on
a kept connection would wait on its socket forever, since the kernel still
acknowledges what is sent. Here each wait (a statement, a commit or rollback,
the health check) is registered with the watchdog; past its deadline the
connection's socket is shut down, the wait fails at once with an
``OperationalError`` (a 503, see ``config/errors.py``) and Django discards the
connection.

``OPTIONS["statement_timeout"]`` (milliseconds) sets both: the server's limit,
and the client's, ``WAIT_MARGIN`` seconds later so that the server cancels
first when it can. ``0`` or none: no limit on either (long migrations).
"""

import functools

from django.db.backends.postgresql import base
from django.db.backends.utils import debug_transaction

from .watchdog import WATCHDOG

Database = base.Database

# Seconds the client waits past the server's statement timeout.
WAIT_MARGIN = 1.5
# Seconds the health check before a kept connection's reuse may take: a frozen
# server must leave time to try a new connection (DATABASE_CONNECT_TIMEOUT)
# and still answer within 5 seconds.
HEALTH_CHECK_TIMEOUT = 1.0


def bounded(connection, seconds, function, *args, **kwargs):
    """``function(*args, **kwargs)``, a wait on ``connection`` of at most ``seconds``."""
    if seconds is None:
        return function(*args, **kwargs)
    wait = WATCHDOG.start(connection.fileno(), seconds)
    try:
        result = function(*args, **kwargs)
    except BaseException as error:
        if WATCHDOG.end(wait):
            raise _no_answer(seconds) from error
        raise
    if WATCHDOG.end(wait):
        # It ended just past the deadline: the socket is shut all the same.
        raise _no_answer(seconds)
    return result


def _no_answer(seconds):
    return Database.OperationalError(f"the database did not answer within {seconds:g} s")


class BoundedCursorMixin:
    """Cursor methods that wait for the server, bounded by the connection's limit."""

    def execute(self, *args, **kwargs):
        connection = self.connection
        seconds = getattr(connection, "wait_timeout", None)
        return bounded(connection, seconds, super().execute, *args, **kwargs)

    def executemany(self, *args, **kwargs):
        connection = self.connection
        seconds = getattr(connection, "wait_timeout", None)
        return bounded(connection, seconds, super().executemany, *args, **kwargs)


@functools.cache
def bounded_cursor_class(cursor_class):
    return type(f"Bounded{cursor_class.__name__}", (BoundedCursorMixin, cursor_class), {})


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def wait_timeout(self):
        """Seconds a wait on the server may last; ``None``: no limit."""
        milliseconds = self.settings_dict["OPTIONS"].get("statement_timeout")
        return milliseconds / 1000 + WAIT_MARGIN if milliseconds else None

    def get_connection_params(self):
        params = super().get_connection_params()
        milliseconds = params.pop("statement_timeout", None)
        if milliseconds is not None:
            options = params.get("options", "")
            params["options"] = f"{options} -c statement_timeout={int(milliseconds)}".strip()
        params["cursor_factory"] = bounded_cursor_class(params["cursor_factory"])
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # Read by the cursors; lifted (None) by a session that lifts its statement timeout.
        connection.wait_timeout = self.wait_timeout
        return connection

    def _commit(self):
        if self.connection is not None:
            with debug_transaction(self, "COMMIT"), self.wrap_database_errors:
                return self._bounded(self.connection.commit)

    def _rollback(self):
        if self.connection is not None:
            with debug_transaction(self, "ROLLBACK"), self.wrap_database_errors:
                return self._bounded(self.connection.rollback)

    def _bounded(self, function):
        connection = self.connection
        return bounded(connection, getattr(connection, "wait_timeout", None), function)

    def is_usable(self):
        if self.connection is None:
            return False
        seconds = getattr(self.connection, "wait_timeout", None)
        if seconds is not None:
            seconds = min(seconds, HEALTH_CHECK_TIMEOUT)
        try:
            # A cursor of the driver's own, so that only this bound applies.
            with Database.ClientCursor(self.connection) as cursor:
                bounded(self.connection, seconds, cursor.execute, "SELECT 1")
        except Database.Error:
            return False
        return True
