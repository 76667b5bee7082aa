"""Guide Markdown to safe HTML. markdown-it-py renders CommonMark (plus tables and
strikethrough) with raw HTML turned off, so a `<script>` typed by staff comes out as text; nh3
then keeps only a small set of tags and attributes, drops any URL scheme but http, https and
mailto, and gives every link rel="noopener noreferrer" and a new tab (the tool runs inside the
LMS frame, and its URLs carry a session token that must not leak through a Referer)."""

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del",
        "code", "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr",
        "th", "td"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(
    ["table", "strikethrough"])


def markdown_html(text: str) -> Markup:
    """Safe HTML for a guide body, ready to put in a template as it is."""
    return sanitise(_markdown.render(text or ""))


def sanitise(html: str) -> Markup:
    """Only the allowed tags and attributes of `html`; scripts and styles go with their text."""
    return Markup(nh3.clean(  # noqa: S704 - nh3 has just sanitised it
        html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer", strip_comments=True,
        clean_content_tags={"script", "style"},
        set_tag_attribute_values={"a": {"target": "_blank"}}))
