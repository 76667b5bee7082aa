"""Finding the next page in an HTTP `Link` header, leniently.

RFC 8288 allows `rel=next` quoted or not and several links in one header. Moodle's line-item
container sends HTML-escaped URLs (`&amp;`) and typographic quotes (`rel=“next”`); pylti1p3 only
understands `rel="next"`. This accepts all of them.
"""

import html
import re

_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,<]+)*)")
_REL = re.compile(r"""rel\s*=\s*["'“”‘’]?([^"'“”‘’;,]+)""", re.IGNORECASE)


def next_page_url(header: str | None) -> str | None:
    if not header:
        return None
    for url, params in _LINK.findall(_utf8(header).replace("\n", " ")):
        for rel in _REL.findall(params):
            if "next" in rel.lower().split():
                return html.unescape(url.strip()) or None
    return None


def _utf8(header: str) -> str:
    """HTTP clients decode headers as Latin-1; Moodle's typographic quotes arrive as UTF-8
    bytes read that way (`â\x80\x9c`). Read them back as the UTF-8 they were."""
    try:
        return header.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return header
