"""Guide Markdown becomes safe HTML: headings, lists, links and tables survive; raw HTML,
scripts, event handlers and javascript: links do not."""

import re

import pytest
from markupsafe import Markup

from lti_tool.guides.render import markdown_html, sanitise


def test_ordinary_markdown_survives():
    html = markdown_html("## Purpose\n\nSome **bold** and *emphasis*.\n\n1. first\n2. second\n\n"
                         "- a point\n- [a link](https://example.org/page)\n\n"
                         "> a quote\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<https://example.com>")
    assert isinstance(html, Markup)
    assert "<h2>Purpose</h2>" in html
    assert "<strong>bold</strong>" in html and "<em>emphasis</em>" in html
    assert "<ol>" in html and "<li>first</li>" in html and "<ul>" in html
    assert "<blockquote>" in html and "<table>" in html and "<td>1</td>" in html
    links = re.findall(r"<a [^>]*>", html)
    assert len(links) == 2
    for link in links:
        assert 'rel="noopener noreferrer"' in link and 'target="_blank"' in link
    assert 'href="https://example.org/page"' in html and 'href="https://example.com"' in html


@pytest.mark.parametrize("text", [
    "<script>alert('x')</script>",
    "Hello <script>document.cookie</script> world",
    "<img src=x onerror=alert(1)>",
    '<p onclick="alert(1)">click</p>',
    "<style>body { display: none }</style>",
    '<iframe src="https://evil.example"></iframe>',
    "<!-- hidden --><b onmouseover=alert(1)>bold</b>",
])
def test_raw_html_is_shown_as_text(text):
    html = markdown_html(text)
    for tag in ("<script", "<img", "<style", "<iframe", "<b ", "<p onclick"):
        assert tag not in html.lower()
    assert re.search(r"<[^>]+\son\w+=", html) is None  # no event handler on any tag
    assert "&lt;" in html  # what was typed is still readable, as text


@pytest.mark.parametrize("text", [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x73;cript:alert(1))",
    "[click](  javascript:alert(1))",
    "<javascript:alert(1)>",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "![pic](javascript:alert(1))",
])
def test_dangerous_links_never_become_links(text):
    html = markdown_html(text).lower()
    assert 'href="javascript' not in html and 'href="vbscript' not in html
    assert 'href="data:' not in html and "<img" not in html


def test_the_sanitiser_strips_what_markdown_would_never_produce():
    html = sanitise('<a href="javascript:alert(1)" onclick="x">a</a>'
                    '<a href="JAVASCRIPT:alert(1)">b</a><img src=x onerror=y>'
                    '<script>alert(1)</script><style>p{}</style><p style="color:red" '
                    'onmouseover="y">kept</p><a href="https://example.org">ok</a>')
    assert "javascript" not in html.lower() and "onclick" not in html
    assert "onerror" not in html and "onmouseover" not in html and "style" not in html
    assert "<img" not in html and "alert(1)" not in html  # script text goes too
    assert "<p>kept</p>" in html
    assert ('<a href="https://example.org" target="_blank" rel="noopener noreferrer">ok</a>'
            in html)


def test_empty_text_renders_nothing():
    assert markdown_html("") == "" and markdown_html(None) == ""
