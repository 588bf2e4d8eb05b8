"""The managers' outcomes report page (issue 10) in a real browser (Debian's Chromium, Playwright) against
the real service on the demo county: with decisions and placements on record, a manager sees the small
counts suppressed as "<5" and the report's charts; a duty worker is refused the page and its charts.
Saves the README's screenshot ``report_outcomes.png``.

The decisions are made through the API on requests no other browser test uses (R045-R047), on households
no other test looks at, so that the order the tests run in does not matter.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.browser.conftest import LAPTOP, PASSWORD, TODAY, shoot, sign_in
from tests.browser.test_pages_browser import assert_accessible

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
#: Households other browser tests read or count children in: no child is placed there from here.
OTHERS_HOUSEHOLDS = {"H001", "H030"}
CHARTS = ("acceptance_by_rank", "unplanned_by_distance", "stability_vs_england")


class Duty:
    """The JSON API as the demo duty worker."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=120)
        token = self.client.post("/auth/token", data={"username": "duty", "password": PASSWORD})
        assert token.status_code == 200, token.text
        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def post(self, url: str, body: dict[str, Any] | None = None) -> Any:
        response = self.client.post(url, json=body)
        assert response.status_code == 200, f"{url}: {response.text}"
        return response.json()

    def options(self, request_id: str) -> list[dict[str, Any]]:
        options: list[dict[str, Any]] = self.post(f"/requests/{request_id}/rank?top=5")["options"]
        assert len(options) >= 3, f"{request_id}: {len(options)} options"
        return options

    def accept(self, request_id: str, options: list[dict[str, Any]], lowest_rank: int) -> dict[str, Any]:
        """Accept the best option at ``lowest_rank`` or below whose homes no other test uses."""
        chosen = next(
            o
            for o in options
            if o["rank"] >= lowest_rank and not {p["household_id"] for p in o["placements"]} & OTHERS_HOUSEHOLDS
        )
        reason = f"{request_id}: the carers met the child"
        decision: dict[str, Any] = self.post(
            f"/recommendations/{chosen['recommendation_id']}/accept", {"reason": reason}
        )
        return decision

    def decline(self, option: dict[str, Any], code: str) -> None:
        self.post(
            f"/recommendations/{option['recommendation_id']}/decline", {"reason": "declined", "reason_code": code}
        )


def _record_outcomes(service: str) -> None:
    """R045: rank 1 declined, a lower rank accepted, then ended unplanned; R046: accepted (still running);
    R047: rank 1 declined for distance from school."""
    duty = Duty(service)
    try:
        r045 = duty.options("R045")
        duty.decline(r045[0], "carer_declined")
        accepted = duty.accept("R045", r045, 2)
        assert accepted["chosen_rank"] >= 2 and accepted["placement_ids"]
        ending = {"ended_on": TODAY, "ending": "unplanned", "disruption_reason": "distance_from_school"}
        for placement_id in accepted["placement_ids"]:
            duty.post(f"/placements/{placement_id}/end", ending)
        assert duty.accept("R046", duty.options("R046"), 1)["placement_ids"]
        duty.decline(duty.options("R047")[0], "distance_school")
    finally:
        duty.client.close()


def test_a_manager_reads_the_outcomes_report_with_small_counts_suppressed_and_its_charts(
    page: Page, service: str
) -> None:
    _record_outcomes(service)
    sign_in(page, "manager")
    page.get_by_role("link", name="Outcomes").click()
    page.wait_for_url("**/ui/reports/outcomes")
    page.get_by_role("heading", name="Outcomes report").wait_for()
    assert page.get_by_label("From").input_value() == "2025-11-24" and page.get_by_label("To").input_value() == TODAY

    # Other tests may decide too, so totals can reach 5; but no count under 5 is ever shown as itself.
    decided = page.locator("#decisions-heading + p").inner_text().split(" decided")[0]
    assert decided == "<5" or int(decided) >= 5, decided
    cells = page.locator("#acceptance-by-rank tbody td").all_inner_texts()
    assert page.locator("#acceptance-by-rank tbody tr").count() >= 2  # rank 1 and the lower rank accepted
    assert "<5" in cells and not [c for c in cells if c.isdigit() and int(c) < 5], cells
    # Nor in the sentences: "N decided", "N accepted", "N of M accepts", "N placements ended"...
    numbers = re.findall(
        r"(?<![<\d.])\d+(?=\s+(?:decided|accepted|declined|placements ended|unplanned|of))",
        page.locator("main").inner_text(),
    )
    assert all(int(n) >= 5 for n in numbers), numbers
    assert "<5" in page.locator("#stability-figure").inner_text()
    for chart in CHARTS:
        image = page.locator(f'img[data-chart="{chart}"]')
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        assert image.get_attribute("alt")
    assert page.request.get("/ui/reports/outcomes/charts/no_such_chart.png").status == 404
    assert_accessible(page)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "report_outcomes")


def test_a_duty_worker_is_refused_the_report_and_its_charts(browser: Browser, service: str) -> None:
    context = browser.new_context(viewport=LAPTOP, base_url=service)
    context.set_default_timeout(15_000)
    try:
        tab = context.new_page()
        sign_in(tab, "duty")
        assert tab.get_by_role("link", name="Outcomes").count() == 0  # not in a duty worker's navigation
        response = tab.goto("/ui/reports/outcomes")
        assert response is not None and response.status == 403
        tab.get_by_role("heading", name="Not allowed").wait_for()
        assert "Your role (duty) may not see this page" in tab.locator(".error-message").inner_text()
        assert tab.request.get(f"/ui/reports/outcomes/charts/{CHARTS[0]}.png").status == 403
    finally:
        context.close()
