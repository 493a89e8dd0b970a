"""Logging filters: a flood of refused requests must not flood the log."""

import logging


class RefusalsAsInfo(logging.Filter):
    """Writes a refused request (a 4xx answer) as one INFO line, without a traceback.

    Django writes each 4xx at WARNING, and some (a bad host, a CSRF failure)
    with a traceback: thousands of refused requests would bury what matters.
    Server errors (5xx) pass unchanged.
    """

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.levelno = logging.INFO
            record.levelname = logging.getLevelName(logging.INFO)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
