"""Paging of service collections (NRPS members, AGS line items and results) and the `Link`
headers that point to the next page. Pure functions, no Flask.

Clients page with `limit` and `from` (an offset: Moodle's way) or `limit` and `page`
(1-based). This module fixes three bugs of lti1p3platform 0.1.8's service handlers:
- it passes `page`, `limit` and `from` through as strings (`page + 1` then raises): here they
  are parsed as integers and junk is refused (`PagingError`, a 400);
- it builds the next URL as `base + "?" + query`, which breaks a base that has a query
  already (`…/lineitems?type_id=1?page=2`): here queries are merged;
- it emits `Link: <url>; rel=next`: here `<url>; rel="next"` (RFC 8288, quoted as Moodle's
  NRPS does).
Moodle's line-item container, though, really sends a malformed header; `moodle_lineitems_link`
reproduces it on purpose (see `MOODLE_MALFORMED_LINEITEMS_LINK`).
"""

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Moodle 5.1's line-item container (gradebookservices lineitems.php) sends its paging links
# HTML-escaped (`&amp;` between query parameters) with typographic quotes (`rel=“next”`, as
# UTF-8 bytes on the wire), and with first/prev/canonical/next/last. Tools must parse that
# leniently, so the sandbox sends it too. Set to False to get a well-formed header instead.
MOODLE_MALFORMED_LINEITEMS_LINK = True

MAX_VALUE = 10**9
_DIGITS = re.compile(r"[0-9]+")


class PagingError(ValueError):
    """A paging parameter that is not a number in range; the message names it."""


@dataclass(frozen=True)
class Paging:
    limit: int | None = None
    offset: int = 0
    by_page: bool = False  # the client asked with `page` rather than `from`

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1 if self.limit else 1

    def cut(self, items: Sequence) -> tuple[list, bool]:
        """(this page's items, whether more follow)."""
        if not self.limit:
            return list(items), False
        chunk = list(items[self.offset:self.offset + self.limit])
        return chunk, self.offset + self.limit < len(items)

    def params(self, offset: int) -> dict[str, str | None]:
        """Query parameters asking for the page starting at `offset`, in the client's style."""
        if self.by_page:
            return {"limit": str(self.limit), "page": str(offset // self.limit + 1), "from": None}
        return {"limit": str(self.limit), "from": str(offset), "page": None}

    def next_params(self) -> dict[str, str | None]:
        return self.params(self.offset + (self.limit or 0))


def parse(args: Mapping[str, str]) -> Paging:
    """Paging from query arguments; raises PagingError for junk like `limit=ten`."""
    limit = _number(args, "limit", minimum=1)
    offset = _number(args, "from", minimum=0)
    page = _number(args, "page", minimum=1)
    if page is not None and offset is not None:
        raise PagingError("use either 'page' or 'from', not both")
    if limit is None:
        if page not in (None, 1):
            raise PagingError("'page' needs 'limit'")
        # Like Moodle: without a limit everything is one page and `from` is ignored.
        return Paging()
    if page is not None:
        return Paging(limit, (page - 1) * limit, by_page=True)
    return Paging(limit, offset or 0)


def _number(args: Mapping[str, str], name: str, minimum: int) -> int | None:
    raw = args.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str) or not _DIGITS.fullmatch(raw.strip()):
        raise PagingError(f"'{name}' must be a whole number, not {raw!r}")
    value = int(raw)
    if not minimum <= value <= MAX_VALUE:
        raise PagingError(f"'{name}' must be between {minimum} and {MAX_VALUE}")
    return value


def with_query(url: str, params: Mapping[str, str | None]) -> str:
    """`url` with `params` set in its query (None removes one); other parameters are kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def next_link(request_url: str, paging: Paging, has_next: bool) -> str | None:
    """A well-formed RFC 8288 `Link` value for the next page, or None on the last page."""
    if not has_next:
        return None
    return f'<{with_query(request_url, paging.next_params())}>; rel="next"'


def moodle_lineitems_link(request_url: str, paging: Paging, total: int) -> str | None:
    """The `Link` value Moodle's line-item container sends (see the module constant): every
    relation Moodle sends, HTML-escaped URLs, typographic quotes."""
    if not paging.limit:
        return None
    if not MOODLE_MALFORMED_LINEITEMS_LINK:
        return next_link(request_url, paging, paging.offset + paging.limit < total)
    relations = _moodle_relations(paging, total)
    links = [
        f"<{html.escape(with_query(request_url, paging.params(offset)))}>; rel=“{rel}”"
        for rel, offset in relations
    ]
    # PHP sends the UTF-8 bytes of the quotes; a WSGI header is a latin-1 str of those bytes.
    return ", ".join(links).encode("utf-8").decode("latin-1")


def _moodle_relations(paging: Paging, total: int) -> list[tuple[str, int]]:
    limit, offset = paging.limit or 0, paging.offset
    out_of_range = not 0 <= offset < total
    relations = [("first", 0)]
    if offset > 0 and not out_of_range:
        relations.append(("prev", max(offset - limit, 0)))
    relations.append(("canonical", offset))
    if offset + limit <= total - 1 and not out_of_range:
        relations.append(("next", offset + limit))
    # Moodle's own arithmetic for "last", off by one included.
    relations.append(("last", max(total - limit + 1, 0)))
    return relations
