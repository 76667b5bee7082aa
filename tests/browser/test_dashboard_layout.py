"""The dashboard's charts in Chromium at a phone's 390 px and Moodle's 1,000-px frame: every
label and value computes to 12 px or more, the charts fit their box, and the pairs table does
not scroll sideways; the dashboard, a pair's staff page and the staff home pass axe. Each page
is the tool's own HTML (from the test client) with the tool's stylesheet, loaded without a
server."""

import pytest

from tests.support.axe import report, require_axe, serious_violations
from tests.support.browser import static_page
from tests.support.pairs import age_pair

pytestmark = pytest.mark.browser
MEASURE = """() => {
  const sizes = [...document.querySelectorAll('.chart-labels li, .chart-labels span')]
    .map(e => parseFloat(getComputedStyle(e).fontSize));
  const root = document.documentElement;
  return {sizes, texts: document.querySelectorAll('svg text').length,
          wide: root.scrollWidth > root.clientWidth,
          charts: [...document.querySelectorAll('.chart')].map(
            c => c.scrollWidth <= c.clientWidth)};
}"""


@pytest.mark.parametrize("width", [390, 1000])
def test_chart_labels_compute_to_12_px_or_more(app, pair, width, static_browser):
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 25)  # a row in the pairs table too
    html = staff.get("/dashboard").data.decode()
    found = _in_chromium(static_browser, html, width, lambda page: page.evaluate(MEASURE))
    assert len(found["sizes"]) == 3 * 12  # two charts: 8 + 4 bars, a li and two spans each
    assert min(found["sizes"]) >= 12, found["sizes"]
    assert found["texts"] == 0
    assert all(found["charts"]) and not found["wide"], found


@pytest.mark.parametrize("width", [390, 1000])
def test_the_new_staff_pages_pass_axe(app, pair, width, static_browser):
    require_axe()
    staff, mona, lena, pair_id = pair
    age_pair(app, pair_id, 25)
    problems = {path: _in_chromium(static_browser, staff.get(path).data.decode(), width,
                                   serious_violations)
                for path in ("/", "/dashboard", "/dashboard?health=all",
                             f"/dashboard/pairs/{pair_id}")}
    assert not any(problems.values()), report(problems)


def _in_chromium(browser, html: str, width: int, measure):
    """`measure(page)` on the page's HTML with the tool's stylesheet, at this width."""
    with static_page(browser, html, width) as page:
        return measure(page)
