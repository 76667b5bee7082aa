"""axe-core (npm, pinned in package-lock.json; `npm ci` puts it in node_modules/) run in a
Playwright page or frame: the tool's pages live in the LMS's iframe, so pass the frame.

    problems = serious_violations(page.frame(name="tool-frame"))
    assert not problems, report(problems)

Only WCAG 2.x A and AA rules run, and only violations whose impact is serious or critical
count; each comes back as readable lines (rule, what to do, which elements, why). Ids that are
not unique in the page are reported as well (axe no longer checks them: WCAG 2.2 dropped
4.1.1 Parsing, but labels and ARIA references still point at the first element of an id).

Without axe-core in node_modules the tests that need it are skipped, except in CI
(PAIRWISE_REQUIRE_BROWSER=1), where it is a failure, as a missing Chromium is."""

import json
import os
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
IMPACTS = ("serious", "critical")

# Elements sharing an id, as axe reports its own findings.
_DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const element of document.querySelectorAll("[id]")) {
    seen.set(element.id, (seen.get(element.id) || []).concat([element]));
  }
  return [...seen.entries()].filter(([, elements]) => elements.length > 1).map(
    ([id, elements]) => ({id, targets: elements.map(
      (e) => e.outerHTML.slice(0, e.outerHTML.indexOf(">") + 1).slice(0, 160))}));
}"""


def require_axe() -> Path:
    """The path of axe.min.js; skips (or fails in CI) without it."""
    if AXE.exists():
        return AXE
    reason = f"axe-core not installed ({AXE} missing): run `npm ci` in the repository"
    if os.environ.get("PAIRWISE_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def run_axe(target) -> dict:
    """axe's full result for the document of `target` (a Page or a Frame). The script goes
    in through the DevTools protocol, which the tool's Content-Security-Policy does not
    restrict (a <script> tag would be refused)."""
    if not target.evaluate("() => typeof window.axe !== 'undefined'"):
        target.evaluate(require_axe().read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": list(TAGS)},
               "resultTypes": ["violations"]}
    return target.evaluate(
        "(options) => axe.run(document, options).then((r) => JSON.parse(JSON.stringify("
        "{url: r.url, violations: r.violations})))", options)


def serious_violations(target) -> list[str]:
    """Every serious or critical WCAG A/AA violation of the document, and every id used
    twice, one readable block each ([] when there is none)."""
    result = run_axe(target)
    problems = []
    for violation in result["violations"]:
        if violation["impact"] not in IMPACTS:
            continue
        lines = [f"{violation['id']} ({violation['impact']}): {violation['help']} "
                 f"[{violation['helpUrl'].split('?')[0]}]"]
        for node in violation["nodes"]:
            target_path = " >> ".join(json.dumps(t) if not isinstance(t, str) else t
                                      for t in node["target"])
            why = node.get("failureSummary", "").replace("\n", " ").strip()
            lines.append(f"    at {target_path}: {node['html'][:160]}")
            if why:
                lines.append(f"       {why[:400]}")
        problems.append("\n".join(lines))
    for duplicate in target.evaluate(_DUPLICATE_IDS):
        problems.append(f"duplicate-id (serious): id=\"{duplicate['id']}\" is used "
                        f"{len(duplicate['targets'])} times; ids must be unique\n    at "
                        + "\n    at ".join(duplicate["targets"]))
    return problems


def report(problems_by_page: dict[str, list[str]]) -> str:
    """Readable assertion message for the pages that have problems."""
    blocks = []
    for page, problems in problems_by_page.items():
        if problems:
            blocks.append(f"{page}:\n  " + "\n  ".join(problems))
    return "Accessibility violations (serious/critical):\n" + "\n".join(blocks)
