"""Rendered HTML that many requests share, kept per process.

A fragment is kept under a key that names everything its HTML is made of; making the key
whole is the caller's duty (the intake's blank fields: the language, the minute, the
program's topics and questions, the person's role, zone and capacity). Nothing of one
person may go into one: a fragment that holds this request's session token is refused."""

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from markupsafe import Markup

from lti_tool.web.tokens import session_token

log = logging.getLogger(__name__)

MAX_FRAGMENTS = 64  # a blank intake's fields are about 60 KB


class SharedFragments:
    """The most recently used fragments, at most `size`."""

    def __init__(self, size: int = MAX_FRAGMENTS):
        self.size = size
        self._kept: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, render: Callable[[], str]) -> Markup:
        """The fragment kept under `key`, else `render()`'s, kept from now on."""
        with self._lock:
            html = self._kept.get(key)
            if html is not None:
                self._kept.move_to_end(key)
                return html
        html = Markup(render())  # noqa: S704 - a template's output, escaped by Jinja
        token = session_token()
        if token and token in html:
            log.error("a shared fragment holds a session token: not kept")
            return html
        with self._lock:
            self._kept[key] = html
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
