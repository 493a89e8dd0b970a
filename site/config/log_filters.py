"""Logging filters: a flood of refused requests must not flood the log."""

import logging


class RefusalsAsInfo(logging.Filter):
    """Writes a refused request (4xx, or 503) as one INFO line, without a traceback.

    Django writes each 4xx at WARNING, some (a bad host, a CSRF failure) with
    a traceback, and each 503 at ERROR: thousands of refused requests would
    bury what matters. The cause of a 503 (the cache or the database down) is
    logged at ERROR by itself, at most once a minute. Other server errors pass
    unchanged.
    """

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if status is not None and (400 <= status < 500 or status == 503):
            record.levelno = logging.INFO
            record.levelname = logging.getLevelName(logging.INFO)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
