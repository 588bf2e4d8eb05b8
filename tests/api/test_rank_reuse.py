"""Ranking an unchanged request again returns the options it already stored (no duplicate recommendations),
still audited on every call; a decision on any of them, or any change, makes the next rank store fresh ones."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from store.db import Database
from store.repositories import Repositories
from store.repositories.recommendations import RecommendationRepository
from tests import builders
from tests.api.conftest import Api


def _snapshot() -> Any:
    """Single-child requests R1 and R2, each with three possible homes; H1 has room for one of them."""
    return builders.snapshot(
        [
            builders.household("H1", bedrooms_free=1),
            builders.household("H2", provider="ifa", weekly_cost_gbp=800),
            builders.household("H3", weekly_cost_gbp=450),
        ],
        [
            builders.child("C1", name="Amira"),
            builders.child("C2", name="Bilal", gender="male", date_of_birth="2017-03-02"),
        ],
        [builders.request("R1", ["C1"]), builders.request("R2", ["C2"])],
    )


def _rank(api: Api, request_id: str = "R1", top: int = 5, role: str = "duty") -> dict[str, Any]:
    response = api.post(role, f"/requests/{request_id}/rank", params={"top": top})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _ids(answer: dict[str, Any]) -> list[int]:
    return [int(o["recommendation_id"]) for o in answer["options"]]


def _open(api: Api, request_id: str = "R1") -> list[int]:
    page = api.get("manager", "/recommendations", params={"request_id": request_id, "status": "open"}).json()
    return sorted(int(item["recommendation_id"]) for item in page["items"])


def _rank_events(api: Api, request_id: str = "R1") -> list[dict[str, Any]]:
    page = api.get("manager", "/audit", params={"action": "request.rank", "subject_id": request_id}).json()
    events: list[dict[str, Any]] = page["items"]
    return events


def _revision(database: Database) -> int:
    with database.read_transaction() as session:
        return Repositories(session).snapshots.revision()


def test_ranking_an_unchanged_request_again_returns_the_stored_options_and_audits_each_call(api: Api) -> None:
    api.load(_snapshot())
    first = _rank(api)
    assert len(first["options"]) == 3
    second, third = _rank(api), _rank(api, role="manager")
    assert second == first and third == first, "the same answer, with the same recommendation ids"
    assert _open(api) == sorted(_ids(first)), "no duplicate recommendations"
    events = _rank_events(api)
    assert len(events) == 3, "every read of the child's record is audited, reused or not"
    assert {e["actor"] for e in events} == {"duty", "manager"}
    assert {e["detail"]["match_run_id"] for e in events} == {events[0]["detail"]["match_run_id"]}
    assert all(e["detail"]["options"] == 3 and e["detail"]["children"] == ["C1"] for e in events)


def test_a_decline_makes_the_next_rank_store_fresh_options(api: Api, database: Database) -> None:
    api.load(_snapshot())
    first = _ids(_rank(api))
    revision = _revision(database)
    declined = api.post("duty", f"/recommendations/{first[1]}/decline", json={"reason": "carers unwell"})
    assert declined.status_code == 200, declined.text
    assert _revision(database) == revision, "a decline changes no snapshot data: only the option's status tells"
    second = _ids(_rank(api))
    assert set(second).isdisjoint(first), "a new run with new recommendations"
    assert _ids(_rank(api)) == second, "and that run is the one reused from then on"
    events = _rank_events(api)
    assert len({e["detail"]["match_run_id"] for e in events}) == 2


def test_an_accept_elsewhere_withdrawing_an_option_makes_the_next_rank_store_fresh_options(api: Api) -> None:
    api.load(_snapshot())
    first = _ids(_rank(api))
    other = _rank(api, "R2")
    in_h1 = next(o for o in other["options"] if o["placements"][0]["household_id"] == "H1")
    accepted = api.post("duty", f"/recommendations/{in_h1['recommendation_id']}/accept", json={"reason": "good match"})
    assert accepted.status_code == 200, accepted.text
    assert set(first) & set(accepted.json()["withdrawn"]), "R1's option in H1 no longer holds"
    second = _rank(api)
    assert set(_ids(second)).isdisjoint(first)
    assert "H1" not in {o["placements"][0]["household_id"] for o in second["options"]}


def test_another_top_or_changed_data_stores_fresh_options(api: Api) -> None:
    api.load(_snapshot())
    five = _ids(_rank(api))
    two = _ids(_rank(api, top=2))
    assert len(two) == 2 and set(two).isdisjoint(five), "another top is another question"
    assert _ids(_rank(api, top=2)) == two
    api.load(_snapshot())  # a new import: a new revision, even with the same records
    assert set(_ids(_rank(api, top=2))).isdisjoint(two)


def test_a_stored_run_with_other_options_is_not_reused_even_after_another_was(api: Api, database: Database) -> None:
    """Another process whose solver broke a tie differently stores the same question's run with other
    options: the next rank stores its own rather than answering with those (a run once found the same is
    remembered, but only for that run)."""
    api.load(_snapshot())
    first = _rank(api)
    assert _rank(api) == first, "reused: the run is now known to hold exactly this answer"
    with database.transaction() as session:
        recommendations = Repositories(session).recommendations
        stored = recommendations.latest_run("rank", "R1")
        assert stored is not None
        options = [{k: v for k, v in o.items() if k != "recommendation_id"} for o in first["options"]]
        other = [{**o, "rank": i + 1} for i, o in enumerate(reversed(options))]
        theirs = recommendations.add_run(
            kind="rank",
            request_id="R1",
            status="optimal",
            revision=stored.revision,
            duration_ms=1,
            actor="elsewhere",
            parameters=stored.parameters,
        )
        their_ids = recommendations.add_options(theirs, "R1", other)
    second = _ids(_rank(api))
    assert set(second).isdisjoint(set(_ids(first)) | set(their_ids)), "neither the older run nor theirs"
    assert _ids(_rank(api)) == second


def test_ranks_of_one_request_at_the_same_moment_store_its_options_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three ranks sent at once from separate threads (separate connections and transactions), the look-up
    of the stored run slowed down so that, without the request's lock, each would find nothing stored and
    store its own copy."""
    api.load(_snapshot())
    original = RecommendationRepository.latest_run

    def slow_latest_run(self: RecommendationRepository, kind: str, request_id: str) -> Any:
        time.sleep(0.3)
        return original(self, kind, request_id)

    monkeypatch.setattr(RecommendationRepository, "latest_run", slow_latest_run)
    roles = ["duty", "manager", "duty"]
    for role in roles:
        api.headers(role)
    barrier = threading.Barrier(len(roles))
    answers: list[dict[str, Any] | None] = [None] * len(roles)

    def run(position: int, role: str) -> None:
        barrier.wait()
        answers[position] = _rank(api, role=role)

    threads = [threading.Thread(target=run, args=(i, role)) for i, role in enumerate(roles)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [_ids(a) for a in answers if a is not None]
    assert len(ids) == 3 and ids[0] == ids[1] == ids[2], ids
    assert _open(api) == sorted(ids[0]), "one set of open recommendations, not three"
    assert len(_rank_events(api)) == 3
