"""Session tokens out of log lines: a logging filter that rewrites `pw=<token>` to
`pw=[redacted]` in a record's message, its arguments and its traceback.

A launched session's links carry its token (`?pw=...`, lti_tool/web/sessions.py), and request
logs print URLs: the development server's request line (`werkzeug`), gunicorn's "Error handling
request /page?pw=..." (`gunicorn.error`; deploy/gunicorn.conf.py installs the filter there
and on `gunicorn.access`). A token in a log file would open the session for as long as it
lives.
"""

import logging
import re
from collections.abc import Mapping

# `pw=` as a parameter or a word of its own, or inside an encoded URL
# (`next=%2Fpage%3Fpw%3D...`); the token (base64url and dots) runs to the next separator.
TOKEN = re.compile(r"((?:(?<!\w)|(?<=%3F)|(?<=%26))pw(?:=|%3D))[^\s&\"'<>#%]+",
                   re.IGNORECASE)
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    return TOKEN.sub(REDACTED, text)


class RedactSessionTokens(logging.Filter):
    """Never drops a record; rewrites the ones that carry a token."""

    _traceback_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # logging will report the broken record, with its arguments
            record.msg, record.args = redact(str(record.msg)), _redacted_args(record.args)
        else:
            if TOKEN.search(message):
                # The formatted message replaces the format and its arguments, whatever their type.
                record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            text = self._traceback_formatter.formatException(record.exc_info)
            if TOKEN.search(text):
                record.exc_text = redact(text)  # formatters use the cached text as it is
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _redacted_args(args):
    if isinstance(args, Mapping):
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in args.items()}
    return tuple(redact(arg) if isinstance(arg, str) else arg for arg in args or ())


FILTER = RedactSessionTokens()


def install(*loggers: logging.Logger) -> None:
    """Add the filter to each logger and to the handlers it has now: a logger's own filters see
    only the records logged on it, its handlers' see those its children pass up too. Adding
    it twice is a no-op."""
    for logger in loggers:
        for target in (logger, *logger.handlers):
            target.addFilter(FILTER)
