"""The matching, mentors, pair and roster pages in Chromium at Moodle's 1,000-px frame and a
390-px phone, with 80 learners and 40 mentors: no page scrolls sideways
(`scrollWidth <= clientWidth`), and on the phone the tables are stacked cards. Each page is
the tool's own HTML (from the test client) with the tool's stylesheet, loaded without a
server; screenshots are kept under artifacts/screenshots/."""

import pytest

from tests.support.browser import ARTIFACTS, static_page
from tests.support.staff_lists import grow, staff_of_program

pytestmark = pytest.mark.browser
MEASURE = """() => {
  const root = document.documentElement;
  const rows = [...document.querySelectorAll('table.stack tbody tr')];
  return {wide: root.scrollWidth > root.clientWidth, scroll: root.scrollWidth,
          client: root.clientWidth,
          blocks: rows.length && rows.every(r => getComputedStyle(r).display === 'block')};
}"""


@pytest.mark.parametrize("width", [390, 1000])
def test_staff_pages_fit_without_sideways_scroll(app, platform, width, static_browser):
    staff, program_id = staff_of_program(app, platform)
    grown = grow(app, program_id, learners=80, mentors=40, paired=40, proposed=30)
    pages = {"matching": staff.get("/matching").data.decode(),
             "mentors": staff.get("/mentors").data.decode(),
             "roster": staff.get("/roster").data.decode(),
             "pair": staff.get(f"/matching/pairs/{grown.pairs[0]}").data.decode(),
             "confirm": staff.post(f"/matching/{grown.run_id}/publish",
                                   page="/matching").data.decode()}
    found = {name: _in_chromium(static_browser, html, width, f"staff-{name}-{width}")
             for name, html in pages.items()}
    assert not any(f["wide"] for f in found.values()), found
    if width == 390:
        assert all(found[name]["blocks"] for name in ("matching", "mentors", "roster")), found


def _in_chromium(browser, html: str, width: int, name: str) -> dict:
    with static_page(browser, html, width) as page:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        return page.evaluate(MEASURE)
