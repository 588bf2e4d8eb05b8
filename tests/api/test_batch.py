"""The nightly batch through the service: proposals stored as recommendations, superseded by the next run."""

from __future__ import annotations

from typing import Any

from api import cli_service
from matching.batch import BatchSettings, solve_batch
from matching.index import SnapshotIndex
from store.db import Database
from store.repositories import Repositories
from tests import builders
from tests.api.conftest import Api


def _waiting_pair() -> Any:
    return builders.snapshot(
        [builders.household("H1", bedrooms_free=1), builders.household("H2", provider="ifa", weekly_cost_gbp=800)],
        [builders.child("C1"), builders.child("C2", gender="male")],
        [builders.request("R1", ["C1"]), builders.request("R2", ["C2"])],
    )


def test_batch_proposes_and_a_proposal_can_be_accepted(api: Api) -> None:
    api.load(_waiting_pair())
    first = api.post("manager", "/batch", json={"time_limit_s": 5})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] in {"optimal", "feasible"} and len(body["matches"]) == 2
    households = sorted(p["household_id"] for m in body["matches"] for p in m["placements"])
    assert households == ["H1", "H2"], "one bed each: the batch must not give both children H1"

    second = api.post("manager", "/batch", json={"time_limit_s": 5}).json()
    old = {m["recommendation_id"] for m in body["matches"]}
    for recommendation_id in old:
        row = api.get("duty", f"/recommendations/{recommendation_id}").json()
        assert row["status"] == "withdrawn" and "superseded" in row["status_note"]
    assert api.get("duty", "/requests/R1").json()["status"] == "waiting"

    proposal = next(m for m in second["matches"] if m["request_id"] == "R1")
    accepted = api.post("duty", f"/recommendations/{proposal['recommendation_id']}/accept", json={"reason": "batch"})
    assert accepted.status_code == 200, accepted.text


def test_dry_run_stores_nothing(api: Api) -> None:
    api.load(_waiting_pair())
    dry = api.post("manager", "/batch", json={"time_limit_s": 5, "dry_run": True}).json()
    assert dry["match_run_id"] is None and all(m["recommendation_id"] is None for m in dry["matches"])
    assert api.get("duty", "/recommendations").json()["total"] == 0
    assert api.post("manager", "/batch", json={"time_limit_s": 0}).status_code == 422


def test_cli_batch_stores_its_proposals(api: Api, database: Database) -> None:
    api.load(_waiting_pair())
    snapshot = cli_service.snapshot_from_database(database.url.render_as_string(hide_password=False))
    answer = solve_batch(SnapshotIndex.build(snapshot), BatchSettings(time_limit_s=5))
    cli_service.store_batch(database.url.render_as_string(hide_password=False), SnapshotIndex.build(snapshot), answer)
    with database.transaction() as session:
        rows = Repositories(session).recommendations.page(status="open").items
    assert sorted(r.request_id for r in rows) == ["R1", "R2"]
