"""A bound on each wait for the database server, kept by one thread per process.

A wait is registered with its deadline and its connection's socket before it
starts and unregistered when it ends. Past the deadline the watchdog shuts the
socket down: the waiting thread wakes at once and the driver reports the
connection lost. Registering costs a lock and a set entry, no thread per wait.
"""

import contextlib
import math
import os
import socket
import threading
import time


class Wait:
    __slots__ = ("cut", "deadline", "fd")

    def __init__(self, fd, deadline):
        self.fd = fd
        self.deadline = deadline
        self.cut = False


class Watchdog:
    def __init__(self):
        self._reset()
        # A forked worker has the state but not the thread: it starts its own.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self._condition = threading.Condition(threading.Lock())
        self._waits = set()
        self._wakes_at = math.inf
        self._thread = None

    def start(self, fd, seconds):
        """Register a wait on socket ``fd`` that may last ``seconds``."""
        wait = Wait(fd, time.monotonic() + seconds)
        with self._condition:
            self._waits.add(wait)
            if wait.deadline < self._wakes_at:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._watch, name="database-wait-watchdog", daemon=True
                    )
                    self._thread.start()
                self._condition.notify()
        return wait

    def end(self, wait):
        """Unregister ``wait``; whether its socket was shut down, the deadline past.

        Under the watchdog's lock: a wait that ends before its deadline is never cut.
        """
        with self._condition:
            self._waits.discard(wait)
        return wait.cut

    def _watch(self):
        with self._condition:
            while True:
                now = time.monotonic()
                wakes_at = math.inf
                for wait in list(self._waits):
                    if wait.deadline <= now:
                        self._waits.discard(wait)
                        wait.cut = True
                        _shut_down(wait.fd)
                    else:
                        wakes_at = min(wakes_at, wait.deadline)
                self._wakes_at = wakes_at
                self._condition.wait(None if wakes_at == math.inf else wakes_at - now)


def _shut_down(fd):
    """End the connection on ``fd`` both ways, leaving the descriptor to its owner.

    The fd is still open: its wait is registered, so its connection is in use.
    """
    try:
        duplicate = os.dup(fd)
    except OSError:
        return
    try:
        sock = socket.socket(fileno=duplicate)
    except OSError:
        os.close(duplicate)
        return
    with sock, contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = Watchdog()
