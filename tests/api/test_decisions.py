"""Ranking over HTTP, accepting and declining, and no double booking under truly concurrent accepts."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import update

from domain.ages import age_on
from matching.validate import check_placements
from store.db import Database
from store.models import RequestRow
from tests import builders
from tests.api.conftest import TODAY, Api

OPTION_KEYS = {"recommendation_id", "rank", "score", "placements", "criteria", "relaxations"}


def _two_requests(**household: Any) -> Any:
    """Two single-child requests and households H1 (one bed by default) and H2 (IFA, two beds)."""
    return builders.snapshot(
        [
            builders.household("H1", bedrooms_free=1, **household),
            builders.household("H2", provider="ifa", weekly_cost_gbp=800),
        ],
        [
            builders.child("C1", name="Amira"),
            builders.child("C2", name="Bilal", gender="male", date_of_birth="2017-03-02"),
        ],
        [builders.request("R1", ["C1"]), builders.request("R2", ["C2"])],
    )


def _rank(api: Api, request_id: str, role: str = "duty") -> dict[str, Any]:
    response = api.post(role, f"/requests/{request_id}/rank", params={"top": 5})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _option_in(answer: dict[str, Any], household_id: str) -> int:
    for option in answer["options"]:
        if {p["household_id"] for p in option["placements"]} == {household_id}:
            return int(option["recommendation_id"])
    raise AssertionError(f"no option in {household_id}: {answer}")


def test_rank_answers_in_the_cli_shape_and_stores_recommendations(api: Api) -> None:
    api.load(_two_requests(approval={"age_max": 5}))
    answer = _rank(api, "R1")
    assert set(answer) == {"request_id", "status", "options", "excluded"}
    assert answer["request_id"] == "R1" and answer["status"] == "optimal"
    assert all(set(o) == OPTION_KEYS for o in answer["options"])
    assert [o["rank"] for o in answer["options"]] == list(range(1, len(answer["options"]) + 1))
    assert answer["excluded"][0]["household_id"] == "H1"
    assert answer["excluded"][0]["rules"][0]["id"] == "age_range"
    stored = api.get("duty", "/recommendations", params={"request_id": "R1", "status": "open"}).json()
    assert stored["total"] == len(answer["options"])
    one = api.get("duty", f"/recommendations/{answer['options'][0]['recommendation_id']}").json()
    assert one["status"] == "open" and one["placements"] == answer["options"][0]["placements"]


def test_rank_unknown_and_closed_requests(loaded: Api) -> None:
    missing = loaded.post("duty", "/requests/R404/rank")
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "request_id"]
    placed = loaded.post("duty", "/requests/R3/rank")
    assert placed.status_code == 409 and "placed" in placed.json()["detail"][0]["msg"]
    assert loaded.post("duty", "/requests/R1/rank", params={"top": 0}).status_code == 422


def test_why_not(api: Api) -> None:
    api.load(_two_requests(approval={"age_max": 5}))
    answer = api.get("duty", "/requests/R1/why-not/H1")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["eligible"] is False and body["rules"][0]["id"] == "age_range"
    missing = api.get("duty", "/requests/R1/why-not/H404")
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "household_id"]


def test_accept_places_children_and_withdraws_what_no_longer_holds(api: Api) -> None:
    api.load(_two_requests())
    first, second = _rank(api, "R1"), _rank(api, "R2")
    accepted = api.post(
        "duty", f"/recommendations/{_option_in(first, 'H1')}/accept", json={"reason": "close to school"}
    )
    assert accepted.status_code == 200, accepted.text
    decision = accepted.json()
    assert decision["outcome"] == "accepted" and decision["decided_by"] == "duty"
    assert set(decision["withdrawn"]) == {_option_in(first, "H2"), _option_in(second, "H1")}

    household = api.get("duty", "/households/H1").json()
    assert household["bedrooms_free"] == 0
    dob = builders.child("C1")["date_of_birth"]
    assert household["current_children"] == [
        {
            "child_id": "C1",
            "age": age_on(dt.date.fromisoformat(dob), TODAY),
            "gender": "female",
            "sibling_group": None,
            "risks_to_others": [],
            "living_companions": "any",
        }
    ]
    assert api.get("duty", "/requests/R1").json()["status"] == "placed"
    gone = api.post("duty", f"/recommendations/{_option_in(second, 'H1')}/accept", json={"reason": "x"})
    assert gone.status_code == 409 and "withdrawn" in gone.json()["detail"][0]["msg"]
    assert (
        api.post("duty", f"/recommendations/{_option_in(second, 'H2')}/accept", json={"reason": "ok"}).status_code
        == 200
    )
    assert (
        api.post("duty", f"/recommendations/{_option_in(first, 'H1')}/accept", json={"reason": "x"}).status_code == 409
    )


def test_sibling_group_sharing_a_room_uses_half_the_rooms(api: Api) -> None:
    snap = builders.snapshot(
        [builders.household("H1", bedrooms_free=2, shared_bedroom_allowed=True)],
        [
            builders.child("C1", sibling_group="G1"),
            builders.child("C2", sibling_group="G1", date_of_birth="2018-01-01"),
        ],
        [builders.request("R1", ["C1", "C2"])],
    )
    api.load(snap)
    answer = _rank(api, "R1")
    assert (
        api.post("duty", f"/recommendations/{_option_in(answer, 'H1')}/accept", json={"reason": "together"}).status_code
        == 200
    )
    household = api.get("duty", "/households/H1").json()
    assert household["bedrooms_free"] == 1
    assert [c["sibling_group"] for c in household["current_children"]] == ["G1", "G1"]


def test_decline_needs_a_reason_and_keeps_the_request_waiting(api: Api) -> None:
    api.load(_two_requests())
    recommendation = _rank(api, "R1")["options"][0]["recommendation_id"]
    url = f"/recommendations/{recommendation}/decline"
    missing = api.post("duty", url, json={})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "reason"]
    blank = api.post("duty", url, json={"reason": "   "})
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "reason"]
    declined = api.post("duty", url, json={"reason": "carers unwell"})
    assert declined.status_code == 200 and declined.json()["outcome"] == "declined"
    assert api.post("duty", url, json={"reason": "again"}).status_code == 409
    assert api.get("duty", "/requests/R1").json()["status"] == "waiting"
    assert api.get("duty", "/recommendations/999999").status_code == 404


def test_relaxed_option_needs_a_manager(api: Api) -> None:
    snap = builders.snapshot(
        [builders.household("H1", approval={"age_max": 8})],
        [builders.child("C1")],
        [builders.request("R1", ["C1"], kind="emergency", urgency="today", allow_relaxations=["age_range"])],
    )
    api.load(snap)
    answer = _rank(api, "R1")
    option = answer["options"][0]
    assert [r["id"] for r in option["relaxations"]] == ["age_range"]
    url = f"/recommendations/{option['recommendation_id']}/accept"
    refused = api.post("duty", url, json={"reason": "emergency tonight"})
    assert refused.status_code == 403 and "manager" in refused.json()["detail"][0]["msg"]
    assert api.post("manager", url, json={"reason": "emergency tonight, signed off"}).status_code == 200


def _race(api: Api, calls: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch) -> list[Response]:
    """Send the accepts at the same moment from separate threads (separate connections and transactions).

    The check is slowed down so that, without the locks, both transactions would pass it before either
    commits: a race the locks must serialise.
    """
    original: Callable[..., Any] = check_placements

    def slow_check(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr("api.decisions.check_placements", slow_check)
    for role, _ in calls:
        api.headers(role)
    barrier = threading.Barrier(len(calls))
    results: list[Response | None] = [None] * len(calls)

    def run(position: int, role: str, recommendation: int) -> None:
        barrier.wait()
        results[position] = api.post(role, f"/recommendations/{recommendation}/accept", json={"reason": f"by {role}"})

    threads = [threading.Thread(target=run, args=(i, role, rec)) for i, (role, rec) in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


@pytest.mark.parametrize(
    "household",
    [
        pytest.param({"bedrooms_free": 1}, id="last-bed"),
        pytest.param(
            {"bedrooms_free": 3, "approval": {"max_children": 2}, "current_children": [builders.current_child("K1")]},
            id="approved-places",
        ),
    ],
)
def test_concurrent_accepts_into_one_household_place_exactly_one(
    api: Api, household: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    snap = builders.snapshot(
        [builders.household("H1", **household)],
        [builders.child("C1"), builders.child("C2", gender="male")],
        [builders.request("R1", ["C1"]), builders.request("R2", ["C2"])],
    )
    api.load(snap)
    first, second = _option_in(_rank(api, "R1"), "H1"), _option_in(_rank(api, "R2"), "H1")
    responses = _race(api, [("duty", first), ("manager", second)], monkeypatch)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409).json()["detail"][0]
    assert loser["loc"] == ["path", "recommendation_id"]
    assert "withdrawn" in loser["msg"] or "no longer possible" in loser["msg"]
    household_now = api.get("duty", "/households/H1").json()
    new_children = [c for c in household_now["current_children"] if c["child_id"] in {"C1", "C2"}]
    assert len(new_children) == 1
    placed = api.get("duty", "/requests", params={"status": "placed"}).json()
    assert placed["total"] == 1


def test_the_same_recommendation_accepted_twice_at_once(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.load(_two_requests())
    recommendation = _option_in(_rank(api, "R1"), "H2")
    responses = _race(api, [("duty", recommendation), ("manager", recommendation)], monkeypatch)
    assert sorted(r.status_code for r in responses) == [200, 409]
    assert len(api.get("duty", "/households/H2").json()["current_children"]) == 1


def test_a_rank_on_a_snapshot_a_moment_old_stores_no_option_for_a_request_placed_meanwhile(
    api: Api, database: Database
) -> None:
    """Given the cached snapshot still shows R1 waiting while the tables say it is placed (an accept that
    committed while this rank was computing), the rank answers 409 and stores no open option."""
    api.load(_two_requests())
    _rank(api, "R1")  # the service now caches the snapshot at this revision
    with database.transaction() as session:  # placed without bumping the revision: the window, held open
        session.execute(update(RequestRow).where(RequestRow.id == "R1").values(status="placed"))
    before = api.get("duty", "/recommendations", params={"request_id": "R1", "status": "open"}).json()["total"]
    response = api.post("duty", "/requests/R1/rank", params={"top": 5})
    assert response.status_code == 409, response.text
    assert response.json()["detail"][0]["msg"] == "request R1 is placed"
    after = api.get("duty", "/recommendations", params={"request_id": "R1", "status": "open"}).json()["total"]
    assert after == before
