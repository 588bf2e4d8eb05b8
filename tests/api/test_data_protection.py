"""Data protection: the retention purge (API and CLI, all or nothing, audited), subject access for one
child (API and CLI, audited), and no personal data in logs or error bodies."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
import typer
from httpx import Response
from typer.testing import CliRunner

from api import cli_data, data_protection
from api.deps import Principal
from store.db import Database
from store.repositories import Repositories
from tests import builders
from tests.api.conftest import TODAY, Api
from tests.faults.consistency import assert_consistent, row_counts
from tests.faults.inject import drop_connection

NAME = "Zephyrine Quillfeather-Osei"
DOB = "2013-02-17"
REASON = "Zephyrine said she loves the garden"
ETHNICITY = "WBRI"
NOTE = "Zephyrine asked to move nearer her brother"


def _case() -> Any:
    """R1 waiting (C1, named distinctively, ethnicity recorded), R2 waiting (C2), R3 withdrawn (C3), R4
    placed whose child has since moved on (C4); H1 has one bed."""
    return builders.snapshot(
        [builders.household("H1", bedrooms_free=1), builders.household("H2", provider="ifa", weekly_cost_gbp=800)],
        [
            builders.child("C1", name=NAME, date_of_birth=DOB, ethnicity=ETHNICITY),
            builders.child("C2", gender="male"),
            builders.child("C3"),
            builders.child("C4"),
        ],
        [
            builders.request("R1", ["C1"]),
            builders.request("R2", ["C2"]),
            builders.request("R3", ["C3"], status="withdrawn"),
            builders.request("R4", ["C4"], status="placed"),
        ],
    )


def _options(api: Api, request_id: str) -> list[dict[str, Any]]:
    response = api.post("duty", f"/requests/{request_id}/rank", params={"top": 5})
    assert response.status_code == 200, response.text
    options: list[dict[str, Any]] = response.json()["options"]
    return options


def _work(api: Api) -> dict[str, Any]:
    """Place C1 in H1 (R1 stays: C1 lives there), decline an option of R2 and withdraw R2."""
    api.load(_case())
    ranked = _options(api, "R1")
    first = next(o for o in ranked if o["placements"][0]["household_id"] == "H1")
    second = _options(api, "R2")
    accepted = api.post("duty", f"/recommendations/{first['recommendation_id']}/accept", json={"reason": REASON})
    assert accepted.status_code == 200, accepted.text
    open_r2 = [
        o for o in second if api.get("duty", f"/recommendations/{o['recommendation_id']}").json()["status"] == "open"
    ]
    declined = api.post(
        "duty",
        f"/recommendations/{open_r2[0]['recommendation_id']}/decline",
        json={"reason": "far", "reason_code": "distance_school"},
    )
    assert declined.status_code == 200, declined.text
    assert api.delete("duty", "/requests/R2").status_code == 204
    return {"r2_options": len(second), "r1_top": ranked[0], "accepted": accepted.json()}


def _expected(r2_options: int) -> dict[str, int]:
    return {
        "requests": 3,  # R2 (withdrawn), R3 (withdrawn), R4 (placed, child moved on); not R1: C1 lives in H1
        "children": 3,  # C2, C3, C4
        "recommendations": r2_options,
        "recommendation_placements": r2_options,
        "decisions": 1,
        "rank_runs": 1,
        "placement_history": 0,
    }


def _without_history(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k != "placement_history"}


def test_purge_dry_run_then_purge_all_closed_records(api: Api, database: Database) -> None:
    made = _work(api)
    before = row_counts(database)
    nothing = api.post("admin", "/admin/purge")  # the default retention: everything here is new
    assert nothing.status_code == 200 and sum(nothing.json()["deleted"].values()) == 0
    dry = api.post("admin", "/admin/purge", params={"older_than_days": 0, "dry_run": True})
    assert dry.status_code == 200, dry.text
    assert _without_history(dry.json()["would_delete"]) == _without_history(_expected(made["r2_options"]))
    assert row_counts(database)["requests"] == before["requests"]

    done = api.post("admin", "/admin/purge", params={"older_than_days": 0})
    assert done.status_code == 200, done.text
    assert done.json()["deleted"] == dry.json()["would_delete"]
    for gone in ("/children/C2", "/children/C3", "/children/C4", "/requests/R2", "/requests/R3", "/requests/R4"):
        assert api.get("manager", gone).status_code == 404, gone
    assert api.get("manager", "/requests/R1").json()["status"] == "placed"
    assert api.get("manager", "/children/C1").status_code == 200
    events = api.get("manager", "/audit", params={"action": "retention.purge"}).json()["items"]
    assert len(events) == 2 and events[0]["subject_id"] is None
    detail = events[0]["detail"]
    assert detail["requests"] == 3 and detail["children"] == 3 and detail["older_than_days"] == 0
    assert not any(str(v).startswith(("C", "R")) for v in detail.values())  # counts, never ids
    assert_consistent(database)


def test_purge_is_all_or_nothing(api: Api, database: Database) -> None:
    _work(api)
    before = row_counts(database)
    with drop_connection(database.engine, "^DELETE FROM children") as fault:
        response = api.post("admin", "/admin/purge", params={"older_than_days": 0})
    assert fault.fired and response.status_code == 503, response.text
    assert row_counts(database) == before
    assert_consistent(database)


@pytest.mark.parametrize("role", ["duty", "manager", "planner"])
def test_only_admins_purge(api: Api, role: str) -> None:
    assert api.post(role, "/admin/purge", params={"dry_run": True}).status_code == 403


def test_subject_access_exports_everything_about_one_child_and_is_audited(api: Api) -> None:
    _work(api)
    response = api.get("manager", "/children/C1/subject-access")
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["record"]["name"] == NAME and export["record"]["date_of_birth"] == DOB
    assert [r["id"] for r in export["requests"]] == ["R1"]
    assert export["recommendations"] and {r["request_id"] for r in export["recommendations"]} == {"R1"}
    assert [(d["outcome"], d["reason"]) for d in export["decisions"]] == [("accepted", REASON)]
    assert [p["household_id"] for p in export["living_with"]] == ["H1"]
    actions = {e["action"] for e in export["audit_events"]}
    assert {"request.rank", "recommendation.accept"} <= actions
    assert export["exported_by"] == "manager"
    assert api.get("admin", "/children/C1/subject-access").status_code == 200
    events = api.get("manager", "/audit", params={"action": "child.subject_access"}).json()["items"]
    assert [e["subject_id"] for e in events] == ["C1", "C1"]
    assert NAME not in json.dumps(events)
    assert api.get("duty", "/children/C1/subject-access").status_code == 403
    assert api.get("planner", "/children/C1/subject-access").status_code == 403
    missing = api.get("manager", "/children/C404/subject-access")
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "child_id"]


def _placement_of(api: Api, child_id: str) -> dict[str, Any]:
    found = api.get("manager", "/placements", params={"child_id": child_id}).json()["items"]
    assert len(found) == 1, found
    placement: dict[str, Any] = found[0]
    return placement


def _end(api: Api, placement_id: int) -> None:
    body = {"ended_on": TODAY.isoformat(), "ending": "unplanned", "disruption_reason": "other", "note": NOTE}
    ended = api.post("duty", f"/placements/{placement_id}/end", json=body)
    assert ended.status_code == 200, ended.text


def test_subject_access_covers_placements_decisions_with_their_outcome_fields_and_ethnicity(api: Api) -> None:
    made = _work(api)
    placement = _placement_of(api, "C1")
    _end(api, placement["id"])
    export = api.get("manager", "/children/C1/subject-access").json()

    assert export["record"]["ethnicity"] == ETHNICITY
    [decision] = export["decisions"]
    accepted, top = made["accepted"], made["r1_top"]
    assert (decision["outcome"], decision["reason"], decision["reason_code"]) == ("accepted", REASON, None)
    assert decision["chosen_rank"] == accepted["chosen_rank"] and decision["chosen_rank"] >= 1
    assert decision["top_recommendation_id"] == accepted["top_recommendation_id"] == top["recommendation_id"]
    assert decision["top_household_ids"] == [p["household_id"] for p in top["placements"]]
    assert decision["top_score"] == top["score"]

    [history] = export["placement_history"]
    assert (history["id"], history["request_id"], history["household_id"]) == (placement["id"], "R1", "H1")
    assert (history["started_on"], history["ended_on"]) == (TODAY.isoformat(), TODAY.isoformat())
    assert (history["ending"], history["disruption_reason"], history["end_note"]) == ("unplanned", "other", NOTE)
    assert history["ethnicity"] == ETHNICITY and history["decision_id"] == decision["id"]
    assert {"placement.end", "placement.list"} <= {e["action"] for e in export["audit_events"]}
    audited = api.get("manager", "/audit", params={"action": "child.subject_access"}).json()["items"][0]
    assert audited["detail"]["placement_history"] == 1 and audited["detail"]["decisions"] == 1
    assert NOTE not in json.dumps(audited) and ETHNICITY not in json.dumps(audited)  # counts only

    [declined] = api.get("manager", "/children/C2/subject-access").json()["decisions"]
    assert (declined["outcome"], declined["reason_code"]) == ("declined", "distance_school")
    assert declined["chosen_rank"] >= 1  # the rank of the option declined


def test_purge_keeps_a_running_placement_then_takes_it_once_ended(api: Api, database: Database) -> None:
    """C1 leaves H1 without the placement being ended: R1 and C1 stay. Once it ends (before the cut-off's
    day), R1, C1 and the placement go, counted in the audit event. The cut-off is after every date here."""
    _work(api)
    assert api.delete("admin", "/households/H1/children/C1").status_code == 204
    later = max(dt.datetime.now(dt.UTC), dt.datetime.combine(TODAY, dt.time(), dt.UTC)) + dt.timedelta(days=2)
    admin = Principal("admin", "admin", "token")

    def purge() -> dict[str, int]:
        with database.transaction() as session:
            return data_protection.purge(Repositories(session), admin, 0, dry_run=False, now=later).counts.as_dict()

    first = purge()
    assert first["placement_history"] == 0 and api.get("manager", "/requests/R1").status_code == 200
    assert api.get("manager", "/children/C1").status_code == 200
    placement = _placement_of(api, "C1")
    _end(api, placement["id"])

    second = purge()
    assert (second["requests"], second["children"], second["placement_history"]) == (1, 1, 1)
    assert api.get("manager", "/requests/R1").status_code == 404
    assert api.get("manager", f"/placements/{placement['id']}").status_code == 404
    assert api.get("manager", "/placements", params={"child_id": "C1"}).json()["total"] == 0
    event = api.get("manager", "/audit", params={"action": "retention.purge"}).json()["items"][0]
    assert event["detail"]["placement_history"] == 1 and event["subject_id"] is None
    assert NOTE not in json.dumps(event) and "C1" not in json.dumps(event)
    assert_consistent(database)


def _cli() -> typer.Typer:
    app = typer.Typer()
    cli_data.register(app)
    return app


def test_cli_purge_and_subject_access(api: Api, database: Database) -> None:
    made = _work(api)
    url = database.url.render_as_string(hide_password=False)
    runner = CliRunner()
    dry = runner.invoke(_cli(), ["purge", "--older-than-days", "0", "--dry-run", "--json", "--database", url])
    assert dry.exit_code == 0, dry.output
    assert _without_history(json.loads(dry.stdout)["would_delete"]) == _without_history(_expected(made["r2_options"]))
    export = runner.invoke(_cli(), ["subject-access", "C2", "--database", url])
    assert export.exit_code == 0, export.output
    assert json.loads(export.stdout)["requests"][0]["id"] == "R2"

    done = runner.invoke(_cli(), ["purge", "--older-than-days", "0", "--database", url])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("deleted closed records last changed before") and "3 requests" in done.stdout
    gone = runner.invoke(_cli(), ["subject-access", "C2", "--database", url])
    assert gone.exit_code == 2
    assert "child C2, field child_id: no child C2" in gone.stderr
    events = api.get("manager", "/audit", params={"actor": "cli"}).json()["items"]
    assert {e["action"] for e in events} == {"retention.purge", "child.subject_access"}
    assert_consistent(database)


def test_no_personal_data_in_logs_or_error_bodies(
    api: Api, database: Database, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = (NAME, "Zephyrine", "Quillfeather", DOB, "loves the garden")
    errors: list[Response] = []

    def call(method: str, role: str, url: str, **kwargs: Any) -> Response:
        response = api.call(method, role, url, **kwargs)
        if response.status_code >= 400:
            errors.append(response)
        return response

    _work(api)
    child = builders.child("C9", name=NAME, date_of_birth=DOB)
    assert call("POST", "duty", "/children", json=child).status_code == 201
    assert call("POST", "duty", "/children", json=child).status_code == 409
    assert call("PUT", "duty", "/children/C8", json=child).status_code == 422
    assert call("POST", "duty", "/children", json={**child, "id": "C10", "gender": NAME}).status_code == 422
    assert call("POST", "duty", "/children", json={**child, "id": "C11", "date_of_birth": NAME}).status_code == 422
    assert call("POST", "duty", "/children", json={**child, "id": "C12", "pets": DOB}).status_code == 422
    assert call("POST", "duty", "/children", json={**child, "id": "C13", "name": NAME * 1000}).status_code in {
        201,
        413,
        422,
    }
    bad_snapshot = _case().model_dump(mode="json")
    bad_snapshot["children"][0]["gender"] = NAME
    assert call("POST", "admin", "/snapshots/import", json=bad_snapshot).status_code == 422
    assert call("POST", "duty", "/requests", json=builders.request("R9", ["C404"])).status_code in {404, 409, 422}
    assert call("POST", "duty", "/recommendations/999/accept", json={"reason": REASON}).status_code == 404
    assert call("GET", "manager", "/children/C9/subject-access").status_code == 200
    assert call("GET", "planner", "/children/C9").status_code == 403
    assert call("GET", "duty", "/children/C9").status_code == 200
    assert call("POST", "duty", "/requests", json=builders.request("R9", ["C9"])).status_code == 201
    (option, *_) = _options(api, "R9")
    with drop_connection(database.engine, "^INSERT INTO decisions"):  # a 503 mid-decision
        path = f"/recommendations/{option['recommendation_id']}/decline"
        assert call("POST", "duty", path, json={"reason": REASON}).status_code == 503
    path = f"/recommendations/{option['recommendation_id']}/accept"
    assert call("POST", "duty", path, json={"reason": REASON}).status_code == 200

    assert len(errors) >= 8
    captured = capfd.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert "subject_access" in logged and "recommendation.accept" in logged  # the logs were captured
    for secret in secrets:
        assert secret not in logged, f"{secret!r} was logged"
        for response in errors:
            assert secret not in response.text, f"{secret!r} in the {response.status_code} body of {response.url}"
