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
    for url, params in _LINK.findall(header.replace("\n", " ")):
        for rel in _REL.findall(params):
            if "next" in rel.lower().split():
                return html.unescape(url.strip()) or None
    return None
