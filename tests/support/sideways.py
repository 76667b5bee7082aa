"""Sideways scrolling in the sandbox course page's tool iframe: sizing the frame to an exact
width, launching a sandbox user into it, and measuring a page of the tool in it.

    fit_frame(page, 390)                      # the iframe's own viewport is 390 px wide
    token = launch_into_frame(page, server, activity_id, user_id)
    found = sideways_at(frame, server.tool_url + "/roster", token)   # None when it fits
"""

import re

from playwright.sync_api import Frame, Page

from lti_tool.web.sessions import TOKEN_PARAM
from tests.support.browser import ARTIFACTS
from tests.support.journeys import TOOL_FRAME

FRAME_SELECTOR = f"iframe[name={TOOL_FRAME}]"
# What the page's root scrolls by, and its widest elements: those whose right edge passes
# the root's clientWidth, the ones sticking out furthest first (named by tag, id, class).
MEASURE = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + [...e.classList].map(c => '.' + c).join('');
  const path = e => [e.parentElement && e.parentElement !== document.body
                     ? name(e.parentElement) : '', name(e)].filter(Boolean).join(' > ');
  const out = [...document.body.querySelectorAll('*')]
    .map(e => [e, e.getBoundingClientRect().right + window.scrollX])
    .filter(([e, right]) => right > root.clientWidth + 0.5)
    .sort((a, b) => b[1] - a[1]);
  const innermost = out.filter(([e]) => !out.some(([o]) => o !== e && e.contains(o)));
  return {scroll: root.scrollWidth, client: root.clientWidth,
          widest: innermost.slice(0, 3).map(([e, right]) =>
            path(e) + ' (right ' + Math.round(right) + ': '
            + (e.textContent || '').trim().slice(0, 40) + ')')};
}"""
FRAME_WIDTH = "() => document.querySelector('" + FRAME_SELECTOR + "').clientWidth"


def fit_frame(page: Page, width: int, height: int = 900) -> None:
    """Resize the window until the tool iframe's viewport is exactly `width` px wide (the
    course page's margins and scrollbar are whatever they are: measure, correct, repeat)."""
    window = width + 80
    for _ in range(4):
        page.set_viewport_size({"width": window, "height": height})
        inside = page.evaluate(FRAME_WIDTH)
        if inside == width:
            return
        window += width - inside
    raise AssertionError(f"the tool frame is {inside} px wide, not {width}")


def launch_into_frame(page: Page, server, activity_id: int, user_id: str) -> str:
    """The sandbox launch of `activity_id` as `user_id`, in the course page's iframe (as
    its "Launch as" button does); returns the session token of the tool's links."""
    # Set by the course page (not Frame.goto): a cross-site navigation swaps the frame's
    # process, and Playwright's handle on the old one closes.
    with page.expect_response(lambda response: "/lti/launch" in response.url) as launched:
        page.evaluate("([selector, url]) => { document.querySelector(selector).src = url; }",
                      [FRAME_SELECTOR, f"{server.sandbox_url}/launch?activity={activity_id}"
                                       f"&user={user_id}"])
    location = launched.value.headers.get("location", "")
    found = re.search(rf"[?&]{TOKEN_PARAM}=([^&#]+)", location)
    assert found, f"the launch did not land on a page with a session: {location!r}"
    # The page it lands on, with this session's links, is in the frame.
    page.frame_locator(FRAME_SELECTOR).locator(
        f"a[href*='{TOKEN_PARAM}={found.group(1)}']").first.wait_for(state="attached")
    return found.group(1)


def tool_frame(page: Page) -> Frame:
    frame = page.frame(name=TOOL_FRAME)
    assert frame is not None, "the course page has no tool frame"
    return frame


def sideways_at(frame: Frame, url: str, token: str) -> dict | None:
    """Open `url` of the tool in the frame; None when its page does not scroll sideways,
    else what scrolls and the elements that stick out. A page that fails is reported too."""
    response = frame.goto(f"{url}{'&' if '?' in url else '?'}{TOKEN_PARAM}={token}")
    if response is None or response.status != 200:
        return {"status": response.status if response else None}
    return frame.evaluate(MEASURE)


def frame_screenshot(page: Page, name: str) -> None:
    """What the tool's frame shows, under artifacts/screenshots/ (a full-page shot of the
    course page leaves the cross-site frame blank)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(FRAME_SELECTOR).screenshot(path=str(ARTIFACTS / f"{name}.png"))
