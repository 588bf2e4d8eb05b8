"""The outcomes report page and the decline reason on the request page, over plain HTTP (issue 10)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.web.session import PREFIX
from tests.browser.test_pages_http import app, client, sign_in

__all__ = ["app", "client"]  # the pages app and its client, as the other page tests use them


def test_a_decline_with_a_reason_code_then_the_managers_report(client: TestClient) -> None:
    token = sign_in(client, "manager")
    ranked = client.post(f"{PREFIX}/requests/R1/rank", data={"csrf_token": token, "top": "5"})
    assert ranked.status_code in (200, 303)
    page = client.get(f"{PREFIX}/requests/R1").text if ranked.status_code == 303 else ranked.text
    assert 'name="reason_code"' in page and "Distance or school" in page
    ids = re.findall(r"/recommendations/(\d+)/decline", page)
    assert ids, "the request page offers options to decline"
    declined = client.post(
        f"{PREFIX}/recommendations/{ids[0]}/decline",
        data={"csrf_token": token, "reason": "too far from school", "reason_code": "distance_school"},
    )
    assert declined.status_code == 303
    unknown = client.post(
        f"{PREFIX}/recommendations/{ids[-1]}/decline",
        data={"csrf_token": token, "reason": "x", "reason_code": "nonsense"},
    )
    assert unknown.status_code == 422 and "unknown reason code" in unknown.text

    report = client.get(f"{PREFIX}/reports/outcomes", params={"from": "2026-01-01", "to": "2026-12-31"})
    assert report.status_code == 200
    assert "Outcomes report" in report.text and f'href="{PREFIX}/reports/outcomes"' in report.text
    assert "&lt;5" in report.text and "in England" in report.text and "policy.weights" in report.text
    assert "Amira" not in report.text
    bad = client.get(f"{PREFIX}/reports/outcomes", params={"from": "2026-02-30"})
    assert bad.status_code == 422 and "not a date" in bad.text


def test_the_report_page_is_for_managers(client: TestClient) -> None:
    sign_in(client, "duty")
    refused = client.get(f"{PREFIX}/reports/outcomes")
    assert refused.status_code == 403 and "may not see this page" in refused.text
