"""axe-core in the browser journeys: the pinned ``axe-playwright-python``
bundles ``axe.min.js``, so nothing is fetched while the tests run."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

# The impacts a page may not have: axe's "critical" and "serious" are the
# findings that stop someone using the page (no label, unreadable contrast).
BLOCKING_IMPACTS = ("critical", "serious")

_axe = Axe()


def blocking_violations(page: Page) -> list[str]:
    """Run axe on the page as it is now; one readable line per element that
    fails a critical or serious rule."""
    results = _axe.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING_IMPACTS:
            continue
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(
                f"{violation['impact']} {violation['id']} ({violation['help']}) at {target}: "
                f"{summary}"
            )
    return lines


def assert_accessible(page: Page) -> None:
    """Fail with every critical or serious axe violation on the page, listed
    one per line, so the fix is clear from the test output alone."""
    lines = blocking_violations(page)
    assert not lines, f"axe found {len(lines)} blocking problems on {page.url}:\n" + "\n".join(
        lines
    )
