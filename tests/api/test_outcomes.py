"""Outcomes over HTTP (issue 10), on SQLite and PostgreSQL: decline reason codes, the rank chosen and the
rank-1 option on accepts, placements made by accepts and ended with a reason, the managers' report."""

from __future__ import annotations

from typing import Any

from tests import builders
from tests.api.conftest import TODAY, Api


def _load(api: Api) -> None:
    api.load(
        builders.snapshot(
            [
                builders.household("H1"),
                builders.household("H2", provider="ifa", weekly_cost_gbp=800),
                builders.household("H3", provider="ifa", weekly_cost_gbp=900),
            ],
            [builders.child("C1", name="Amira", ethnicity="BAFR", needs={"would_benefit": ["asd"]})],
            [builders.request("R1", ["C1"], received_on="2026-11-13")],
        )
    )


def _options(api: Api) -> list[dict[str, Any]]:
    response = api.post("duty", "/requests/R1/rank", params={"top": 3})
    assert response.status_code == 200, response.text
    options: list[dict[str, Any]] = response.json()["options"]
    assert [o["rank"] for o in options] == [1, 2, 3]
    return options


def test_decline_codes_accept_ranks_and_the_placement_made(api: Api) -> None:
    _load(api)
    first, second, third = _options(api)

    refused = api.post(
        "duty", f"/recommendations/{first['recommendation_id']}/decline", json={"reason": "x", "reason_code": "far"}
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "reason_code"]
    declined = api.post(
        "duty",
        f"/recommendations/{first['recommendation_id']}/decline",
        json={"reason": "school run too long", "reason_code": "distance_school"},
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["reason_code"] == "distance_school" and declined.json()["chosen_rank"] == 1
    legacy = api.post("duty", f"/recommendations/{third['recommendation_id']}/decline", json={"reason": "carers away"})
    assert legacy.json()["reason_code"] == "other"  # no code: recorded as other, with its text

    wrong = api.post(
        "duty", f"/recommendations/{second['recommendation_id']}/accept", json={"reason": "ok", "reason_code": "other"}
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "reason_code"]
    accepted = api.post(
        "duty", f"/recommendations/{second['recommendation_id']}/accept", json={"reason": "near school"}
    )
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["chosen_rank"] == 2 and body["top_recommendation_id"] == first["recommendation_id"]
    assert len(body["placement_ids"]) == 1

    listed = api.get("duty", "/placements", params={"request_id": "R1"}).json()
    assert listed["total"] == 1
    placement = listed["items"][0]
    assert placement["id"] == body["placement_ids"][0] and placement["child_id"] == "C1"
    assert placement["started_on"] == TODAY.isoformat() and placement["ended_on"] is None
    assert placement["siblings"] == "single" and placement["source"] == "service"
    assert placement["provider"] in {"in_house", "ifa"} and placement["distance_km"] is not None

    events = api.get("manager", "/audit", params={"action": "placement.list"}).json()["items"]
    assert events and events[0]["detail"]["placements"] == [placement["id"]]


def test_ending_a_placement(api: Api) -> None:
    _load(api)
    option = _options(api)[0]
    pid = api.post("duty", f"/recommendations/{option['recommendation_id']}/accept", json={"reason": "ok"}).json()[
        "placement_ids"
    ][0]
    url = f"/placements/{pid}/end"

    no_reason = api.post("duty", url, json={"ended_on": "2026-12-20", "ending": "unplanned"})
    assert no_reason.status_code == 422 and "disruption_reason" in no_reason.text
    other_without_text = api.post(
        "duty", url, json={"ended_on": "2026-12-20", "ending": "unplanned", "disruption_reason": "other"}
    )
    assert other_without_text.status_code == 422 and "note" in other_without_text.text
    too_early = api.post("duty", url, json={"ended_on": "2026-01-01", "ending": "planned"})
    assert too_early.status_code == 409 and too_early.json()["detail"][0]["loc"] == ["body", "ended_on"]
    planner = api.post("planner", url, json={"ended_on": "2026-12-20", "ending": "planned"})
    assert planner.status_code == 403

    ended = api.post(
        "duty", url, json={"ended_on": "2026-12-20", "ending": "unplanned", "disruption_reason": "distance_from_school"}
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["ending"] == "unplanned" and ended.json()["disruption_reason"] == "distance_from_school"
    again = api.post("duty", url, json={"ended_on": "2026-12-21", "ending": "planned"})
    assert again.status_code == 409 and "already ended" in again.text
    missing = api.post("duty", "/placements/99999/end", json={"ended_on": "2026-12-21", "ending": "planned"})
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "placement_id"]

    planned = api.put("duty", f"/placements/{pid}/planned-end", json={"planned_end_on": "2027-06-30"})
    assert planned.status_code == 200 and planned.json()["planned_end_on"] == "2027-06-30"
    assert api.get("duty", "/placements", params={"open": "false"}).json()["total"] == 1


def test_the_outcomes_report_is_for_managers_and_suppresses_small_counts(api: Api) -> None:
    _load(api)
    first, second, _ = _options(api)
    api.post(
        "duty",
        f"/recommendations/{first['recommendation_id']}/decline",
        json={"reason": "x", "reason_code": "sibling_fit"},
    )
    api.post("duty", f"/recommendations/{second['recommendation_id']}/accept", json={"reason": "ok"})

    assert api.get("duty", "/reports/outcomes").status_code == 403
    assert api.get("planner", "/reports/outcomes").status_code == 403
    backwards = api.get("manager", "/reports/outcomes", params={"from": "2026-12-01", "to": "2026-11-01"})
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"] == ["query", "to"]

    response = api.get("manager", "/reports/outcomes", params={"from": "2026-01-01", "to": "2026-12-31"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["period"] == {"from": "2026-01-01", "to": "2026-12-31", "days": 365}
    assert report["decisions"]["decided"] == "<5" and report["not_rank_one"]["not_rank_one"] == "<5"
    assert report["decisions"]["decline_reasons"]["sibling_fit"] == "<5"
    assert report["breakdowns"]["ethnicity"][0] == {
        "value": "BAFR",
        "placements": "<5",
        "mean_distance_km": "<5",
        "in_house_rate": "<5",
        "siblings_together_rate": None,
        "mean_days_waiting": "<5",
    }
    assert report["stability"]["national_rate"] == 0.1
    assert "C1" not in response.text and "Amira" not in response.text

    weights = api.get("manager", "/reports/weights", params={"from": "2026-01-01"})
    assert weights.status_code == 200 and "policy.weights" in weights.json()["note"]
    actions = [e["action"] for e in api.get("manager", "/audit").json()["items"]]
    assert "report.outcomes" in actions and "report.weights" in actions


def test_a_childs_ethnicity_round_trips_and_is_checked(api: Api) -> None:
    created = api.post("duty", "/children", json=builders.child("C9", ethnicity="MWBC"))
    assert created.status_code == 201, created.text
    assert api.get("duty", "/children/C9").json()["ethnicity"] == "MWBC"
    bad = api.post("duty", "/children", json=builders.child("C8", ethnicity="mixed"))
    assert bad.status_code == 422 and "ethnicity" in bad.text
