"""The web pages in a real browser (Debian's Chromium, Playwright) against the real service on the demo
county: sign in, the waiting list, ranking, exclusion reasons, why-not, accepting (and a second tab's
conflicting accept refused), holds, the batch's proposals, roles refused, a planner's scenario run to its
charts and a comparison, keyboard use, WCAG checks (axe-core) and a tablet width. The tests save the
README's screenshots as they go.

Each test works on its own requests and households, so that the order they run in does not matter.
"""

from __future__ import annotations

import contextlib
import re
from importlib import resources
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import LAPTOP, SCREENSHOTS, TABLET, shoot, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
URGENCY_ORDER = {"Today": 0, "Within 5 days": 1, "Planned": 2}
#: WCAG 2.x A and AA rules of axe-core (which ships inside the axe-playwright-python package).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_script() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def assert_accessible(page: Page) -> None:
    """No WCAG A/AA violation that axe-core can find on the page as it is now."""
    page.evaluate(axe_script())
    results = page.evaluate("options => axe.run(document, options)", {"runOnly": {"type": "tag", "values": AXE_TAGS}})
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results["violations"]
    ]
    assert not problems, f"{page.url}:\n" + "\n".join(problems)


def test_sign_in_and_the_waiting_list_sorted_by_urgency(page: Page) -> None:
    page.goto("/ui/requests")
    assert "/ui/login" in page.url  # anonymous: sent to sign in, and back afterwards
    assert_accessible(page)
    shoot(page, "login")
    page.get_by_label("Username").fill("duty")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").filter(has_text="Wrong username or password").wait_for()
    sign_in(page, "duty")
    assert page.url.endswith("/ui/requests")
    page.get_by_role("heading", name="Waiting requests").wait_for()
    rows = page.locator("#waiting tbody tr")
    assert rows.count() >= 40  # the demo county's 50, less any placed by another test
    urgencies = [URGENCY_ORDER[u] for u in page.locator("#waiting tbody .urgency").all_inner_texts()]
    assert urgencies == sorted(urgencies) and urgencies[0] == 0
    days = page.locator("#waiting tbody tr td:nth-child(4)").all_inner_texts()
    assert all(d.strip().isdigit() for d in days)
    assert_accessible(page)
    shoot(page, "requests", full_page=False)


def test_rank_read_an_exclusion_reason_and_ask_why_not(page: Page) -> None:
    sign_in(page, "duty")
    page.goto("/ui/requests/R001")
    page.get_by_role("heading", name="Children").wait_for()
    assert "Reece" in page.locator(".cards").inner_text()  # the child's record (an audited read)
    page.get_by_role("button", name="Rank households").click()
    options = page.locator("#options article.option")
    options.first.wait_for()
    assert options.count() == 5
    first = options.first
    assert first.locator(".chip").count() >= 3
    assert "Distance from home" in first.locator(".chips").inner_text()
    assert re.search(r"£\d", first.locator(".cost").first.inner_text())
    assert re.search(r"\d+\.\d km", first.locator(".distance").first.inner_text())
    assert first.locator(".tag").first.inner_text().lower() in {"in-house", "ifa"}
    shoot(page, "request_ranked")
    assert_accessible(page)  # before the 259 reasons are shown: axe takes half a minute over them
    excluded = page.locator("details#excluded")
    assert excluded.get_attribute("open") is None  # collapsed by default
    reason_row = page.locator('#excluded tr[data-household="H001"]')
    assert not reason_row.is_visible()
    excluded.locator("summary").click()
    assert reason_row.is_visible()
    assert "approved for 1 child" in reason_row.inner_text()
    page.get_by_label("Household id").fill("H001")
    page.get_by_role("button", name="Explain").click()
    answer = page.locator("#why-not-answer .whynot")
    answer.wait_for()
    assert "is excluded" in answer.inner_text()
    assert "Approved number of children" in answer.inner_text()


def test_accept_closes_the_request_and_a_second_tab_is_refused(browser: Browser, service: str) -> None:
    context = browser.new_context(viewport=LAPTOP, base_url=service)
    context.set_default_timeout(15_000)
    try:
        first, second = context.new_page(), context.new_page()
        sign_in(first, "duty")
        for tab in (first, second):
            tab.goto("/ui/requests/R002")
            tab.get_by_role("button", name="Rank households").click()
            tab.locator("#options article.option").first.wait_for()
        # The reason is required: the browser will not send the form without one.
        option = first.locator("#options article.option").first
        option.get_by_role("button", name="Accept").click()
        assert first.locator("#options article.option textarea:invalid").count() >= 1
        option.get_by_label(re.compile("Reason for your decision")).fill("Close to school; carers know the family")
        option.get_by_role("button", name="Accept").click()
        first.wait_for_url(re.compile(r"/ui/requests/R002$"))
        assert first.locator("#request-status").inner_text().lower() == "placed"
        assert "Accepted recommendation" in first.get_by_role("status").inner_text()
        assert "Close to school" in first.locator("#decision").inner_text()
        first.goto("/ui/requests")
        assert first.locator('#waiting tr[data-request="R002"]').count() == 0
        # The second tab still shows the options it ranked: the same recommendations, since nothing had
        # changed between the two ranks. Accepting the one the first tab accepted is refused, with why.
        late = second.locator("#options article.option").first
        late.get_by_label(re.compile("Reason for your decision")).fill("Also a good match")
        with second.expect_response(re.compile(r"/accept$")) as refused:
            late.get_by_role("button", name="Accept").click()
        assert refused.value.status == 409
        second.get_by_role("heading", name="Not accepted").wait_for()
        message = second.locator(".error-message").inner_text()
        assert "is accepted" in message and "Another decision got there first" in message
        assert_accessible(second)
        shoot(second, "conflict", full_page=False)
    finally:
        context.close()


def test_roles_that_may_not_see_a_page_are_refused(browser: Browser, service: str) -> None:
    for username, url, home in (("planner", "/ui/requests/R001", "/ui/planning"), ("duty", "/ui/planning", None)):
        context = browser.new_context(base_url=service)
        try:
            tab = context.new_page()
            sign_in(tab, username)
            if home:
                assert tab.url.endswith(home)
                assert tab.get_by_role("link", name="Waiting requests").count() == 0
            response = tab.goto(url)
            assert response is not None and response.status == 403
            tab.get_by_role("heading", name="Not allowed").wait_for()
            assert f"Your role ({username}) may not see this page" in tab.locator(".error-message").inner_text()
            if username == "planner":
                assert "Reece" not in tab.content()
                shoot(tab, "forbidden", full_page=False)
        finally:
            context.close()
    anonymous = browser.new_context(base_url=service)
    try:
        tab = anonymous.new_page()
        tab.goto("/ui/households/H001")
        assert "/ui/login?next=%2Fui%2Fhouseholds%2FH001" in tab.url
    finally:
        anonymous.close()


def test_a_manager_holds_and_releases_a_household(page: Page) -> None:
    sign_in(page, "manager")
    page.goto("/ui/households?provider=in_house&status=on_hold")
    rows = page.locator("table tbody tr")
    assert rows.count() >= 1 and all("on hold" in t for t in page.locator("tbody td:nth-child(4)").all_inner_texts())
    page.goto("/ui/households/H030")
    page.get_by_role("heading", name="Terms of approval").wait_for()
    assert page.locator("#current-caption").count() == 1
    assert page.locator("section:has(#children-heading) tbody tr").count() == 4
    page.get_by_label("Reason").fill("Carer break over Christmas")
    page.get_by_label("Expected end (optional)").fill("2026-12-31")
    page.get_by_role("button", name="Put on hold").click()
    page.get_by_role("status").filter(has_text="is on hold").wait_for()
    assert "On hold: Carer break over Christmas" in page.locator("#hold-state").inner_text()
    assert_accessible(page)
    shoot(page, "household")
    page.get_by_role("button", name="Release the hold").click()
    page.get_by_role("status").filter(has_text="released").wait_for()
    assert "Not on hold" in page.locator("#hold-state").inner_text()


def test_the_batch_proposal_and_a_relaxation_needing_sign_off(page: Page) -> None:
    sign_in(page, "manager")
    page.goto("/ui/requests/R003")
    assert "No batch run yet" in page.locator("#batch-none").inner_text()
    page.goto("/ui/requests")
    page.get_by_label("Time limit (seconds)").fill("2")
    page.get_by_role("button", name="Run the batch now").click()
    page.get_by_role("status").filter(has_text="The batch").wait_for()
    assert page.locator('#waiting tr[data-request="R003"] .tag--ok').inner_text().lower() == "proposed"
    page.goto("/ui/requests/R003")
    proposal = page.locator("section:has(#batch-heading) article.option")
    assert proposal.count() == 1
    assert "Household H" in proposal.inner_text()
    page.goto("/ui/requests/R030")
    page.get_by_role("button", name="Rank households").click()
    relaxed = page.locator("#options article.option--relaxed").first
    relaxed.wait_for()
    assert "Needs sign-off" in relaxed.inner_text()
    assert "nominated officer" in relaxed.inner_text()
    assert_accessible(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    relaxed.screenshot(path=str(SCREENSHOTS / "request_relaxation.png"))


def test_a_planner_runs_two_small_scenarios_to_their_plots_and_compares_them(page: Page) -> None:
    from playwright.sync_api import Error as PlaywrightError

    sign_in(page, "planner")
    assert page.url.endswith("/ui/planning")
    page.get_by_role("heading", name="New scenario").wait_for()
    assert_accessible(page)
    shoot(page, "planning")
    for name, mainstream in (("14 mainstream a year", "14"), ("30 mainstream a year", "30")):
        page.goto("/ui/planning")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Horizon (months)").fill("3")
        page.get_by_label("Replications").fill("2")
        page.get_by_label("Children entering care a year:", exact=True).check()
        page.get_by_label("mainstream", exact=True).fill(mainstream)
        page.get_by_role("button", name="Run the scenario").click()
        page.wait_for_url(re.compile(r"/ui/planning/runs/\d+$"))
        if page.locator("#run-progress").count():  # the live progress bar, until the results replace it
            assert page.locator("progress#progress-bar").is_visible()
            if mainstream == "14":  # once it moves (the results may replace it meanwhile: then no picture)
                with contextlib.suppress(PlaywrightError):  # a reload to the results ends the wait early
                    page.wait_for_function(
                        "() => { const bar = document.getElementById('progress-bar'); return !bar || bar.value > 0; }"
                    )
                    if page.locator("#run-progress").count():
                        shoot(page, "planning_progress", full_page=False)
        chart = page.locator('img[data-chart="fan_chart"]')
        chart.wait_for(timeout=90_000)
        for name_of_chart in ("fan_chart", "cost", "shortfall"):
            image = page.locator(f'img[data-chart="{name_of_chart}"]')
            image.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        assert "Children with in-house carers" in page.locator("#results table").inner_text()
        if mainstream == "14":
            assert_accessible(page)
            shoot(page, "planning_results")
    page.goto("/ui/planning")
    page.get_by_role("button", name="Compare side by side").click()
    page.wait_for_url(re.compile(r"/ui/planning/compare\?a=\d+&b=\d+"))
    assert "Saving a year with B" in page.locator("#paired").inner_text()
    table = page.locator("#comparison").inner_text()
    assert "14 mainstream a year" in table and "30 mainstream a year" in table
    image = page.locator('img[data-chart="comparison"]')
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert_accessible(page)
    shoot(page, "planning_compare")


def test_keyboard_focus_and_a_tablet_width(browser: Browser, service: str) -> None:
    context = browser.new_context(viewport=TABLET, base_url=service)
    try:
        tab = context.new_page()
        sign_in(tab, "duty")
        tab.goto("/ui/requests")
        tab.keyboard.press("Tab")
        assert tab.evaluate("document.activeElement.className") == "skip-link"
        assert tab.locator(".skip-link").is_visible()
        tab.keyboard.press("Enter")
        assert tab.evaluate("document.activeElement.id") == "main"
        # Tab on to the first request and open it from the keyboard.
        for _ in range(12):
            tab.keyboard.press("Tab")
            if tab.evaluate("document.activeElement.closest('#waiting tbody') !== null"):
                break
        focused = tab.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return {outline: s.outlineStyle, shadow: s.boxShadow, bg: s.backgroundColor}; })()"
        )
        assert focused["outline"] != "none" or focused["shadow"] != "none", focused
        tab.keyboard.press("Enter")
        tab.wait_for_url(re.compile(r"/ui/requests/R\d+$"))
        tab.get_by_role("button", name="Rank households").focus()
        tab.keyboard.press("Enter")
        tab.locator("#options article.option").first.wait_for()
        overflow = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at tablet width"
        tab.locator("#options").scroll_into_view_if_needed()
        tab.evaluate("document.getElementById('options').scrollIntoView()")
        shoot(tab, "request_tablet", full_page=False)
    finally:
        context.close()
