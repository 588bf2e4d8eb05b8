"""CRUD and lists: households (approval, holds, current children), children, requests, snapshots.
Every 4xx names the field; unknown ids are 404; broken invariants are 422."""

from __future__ import annotations

from typing import Any

import pytest

from tests import builders
from tests.api.conftest import Api
from tests.store.samples import rich_snapshot


def _record(id: str = "H9", **overrides: Any) -> dict[str, Any]:
    record = builders.household(id, **overrides)
    for key in ("hold", "current_children"):
        record.pop(key)
    return record


def _locs(response: Any) -> list[list[Any]]:
    return [d["loc"] for d in response.json()["detail"]]


def test_household_lifecycle(api: Api) -> None:
    created = api.post("admin", "/households", json=_record())
    assert created.status_code == 201, created.text
    assert created.json()["hold"] is None and created.json()["current_children"] == []
    assert api.post("admin", "/households", json=_record()).status_code == 409

    changed = api.put("admin", "/households/H9", json=_record(bedrooms_free=1, status="on_hold"))
    assert changed.status_code == 200 and changed.json()["bedrooms_free"] == 1
    approval = {**builders.household()["approval"], "age_min": 5, "age_max": 11}
    assert api.put("admin", "/households/H9/approval", json=approval).json()["approval"]["age_max"] == 11
    assert api.get("duty", "/households/H9").json()["status"] == "on_hold"

    assert api.delete("admin", "/households/H9").status_code == 204
    missing = api.get("duty", "/households/H9")
    assert missing.status_code == 404 and _locs(missing) == [["path", "household_id"]]


@pytest.mark.parametrize(
    ("url", "method", "body"),
    [
        ("/households", "post", _record(approval={"age_min": 12, "age_max": 6})),
        ("/households/H1/approval", "put", {**builders.household()["approval"], "age_min": 12, "age_max": 6}),
    ],
)
def test_approval_ages_out_of_order_are_422(loaded: Api, url: str, method: str, body: dict[str, Any]) -> None:
    response = getattr(loaded, method)("admin", url, json=body)
    assert response.status_code == 422
    assert "age_min 12 is above age_max 6" in response.text
    assert _locs(response)[0][0] == "body"


def test_holds(loaded: Api) -> None:
    backwards = loaded.post("manager", "/households/H1/hold", json={"starts_on": "2026-12-01", "until": "2026-11-30"})
    assert backwards.status_code == 422 and _locs(backwards) == [["body", "until"]]
    unknown = loaded.post("manager", "/households/H1/hold", json={"reserved_for_request": "R404"})
    assert unknown.status_code == 422 and _locs(unknown) == [["body", "reserved_for_request"]]
    assert loaded.get("manager", "/households/H1/hold").status_code == 404

    held = loaded.post("manager", "/households/H1/hold", json={"reason": "carer break", "until": "2026-12-24"})
    assert held.status_code == 201 and held.json()["starts_on"] == "2026-11-23"
    assert loaded.post("manager", "/households/H1/hold", json={}).status_code == 409
    assert loaded.get("duty", "/households/H1").json()["hold"]["reason"] == "carer break"
    assert loaded.post("duty", "/households/H1/hold", json={}).status_code == 403
    assert loaded.delete("manager", "/households/H1/hold").status_code == 200
    assert loaded.get("duty", "/households/H1").json()["hold"] is None
    assert loaded.delete("manager", "/households/H1/hold").status_code == 404


def test_current_children(loaded: Api) -> None:
    added = loaded.post("admin", "/households/H1/children", json=builders.current_child("K7", age=6))
    assert added.status_code == 201 and [c["child_id"] for c in added.json()] == ["K7"]
    assert loaded.post("admin", "/households/H1/children", json=builders.current_child("K7")).status_code == 409
    assert loaded.delete("admin", "/households/H1/children/K7").status_code == 204
    assert loaded.get("duty", "/households/H1/children").json() == []
    assert loaded.delete("admin", "/households/H1/children/K7").status_code == 404


def test_lists_page_and_filter(loaded: Api) -> None:
    page = loaded.get("duty", "/households", params={"limit": 2, "offset": 1})
    assert page.json()["total"] == 3 and [h["id"] for h in page.json()["items"]] == ["H2", "H3"]
    assert [h["id"] for h in loaded.get("duty", "/households", params={"provider": "ifa"}).json()["items"]] == ["H2"]
    waiting = loaded.get("duty", "/requests", params={"status": "waiting"}).json()
    assert waiting["total"] == 2 and [r["id"] for r in waiting["items"]] == ["R1", "R2"]
    bad = loaded.get("duty", "/requests", params={"status": "lost", "limit": 0})
    assert bad.status_code == 422 and sorted(_locs(bad)) == [["query", "limit"], ["query", "status"]]
    assert loaded.get("duty", "/children", params={"sibling_group": "G1"}).json()["total"] == 2


def test_children_crud(loaded: Api) -> None:
    created = loaded.post("duty", "/children", json=builders.child("C9", name="Esme"))
    assert created.status_code == 201
    assert loaded.post("duty", "/children", json=builders.child("C9")).status_code == 409
    assert loaded.get("duty", "/children/C9").json()["name"] == "Esme"
    mismatch = loaded.put("duty", "/children/C9", json=builders.child("C8"))
    assert mismatch.status_code == 422 and _locs(mismatch) == [["body", "id"]]
    assert loaded.put("duty", "/children/C9", json=builders.child("C9", gender="male")).json()["gender"] == "male"
    unknown_field = loaded.put("duty", "/children/C9", json={**builders.child("C9"), "shoe_size": 3})
    assert unknown_field.status_code == 422 and _locs(unknown_field) == [["body", "shoe_size"]]
    assert loaded.delete("duty", "/children/C1").status_code == 409
    assert loaded.delete("duty", "/children/C9").status_code == 204
    assert loaded.get("duty", "/children/C9").status_code == 404


def test_requests_crud(loaded: Api) -> None:
    loaded.post("duty", "/children", json=builders.child("C9"))
    unknown_child = loaded.post("duty", "/requests", json=builders.request("R9", ["C9", "C404"]))
    assert unknown_child.status_code == 422 and _locs(unknown_child) == [["body", "children"]]
    twice = loaded.post("duty", "/requests", json=builders.request("R9", ["C1"]))
    assert twice.status_code == 409 and "already waiting in request R1" in twice.text
    bad_rule = loaded.post("duty", "/requests", json=builders.request("R9", ["C9"], allow_relaxations=["magic"]))
    assert bad_rule.status_code == 422 and _locs(bad_rule) == [["body", "allow_relaxations"]]
    created = loaded.post("duty", "/requests", json=builders.request("R9", ["C9"]))
    assert created.status_code == 201, created.text
    assert loaded.put("duty", "/requests/R9", json=builders.request("R9", ["C9"], priority=5)).json()["priority"] == 5
    assert loaded.delete("duty", "/requests/R9").status_code == 204
    assert loaded.get("duty", "/requests/R9").json()["status"] == "withdrawn"
    assert loaded.delete("duty", "/requests/R9").status_code == 409
    assert loaded.delete("duty", "/requests/R3").status_code == 409  # placed: its children live there now
    assert loaded.put("duty", "/requests/R3", json=builders.request("R3", ["C4"])).status_code == 409
    placed = loaded.post("duty", "/requests", json=builders.request("R8", ["C9"], status="placed"))
    assert placed.status_code == 422 and _locs(placed) == [["body", "status"]]
    assert loaded.get("duty", "/requests/R404").status_code == 404


def test_bad_ids_and_nul_characters_are_422_naming_the_field(loaded: Api) -> None:
    bad_path = loaded.get("duty", "/children/a%20b")
    assert bad_path.status_code == 422 and _locs(bad_path) == [["path", "child_id"]]
    nul = loaded.post("duty", "/children", json=builders.child("C9", religion="a\x00b"))
    assert nul.status_code == 422 and _locs(nul) == [["body", "religion"]]


def test_snapshot_export_is_what_was_imported(loaded: Api) -> None:
    exported = loaded.get("admin", "/snapshots/export")
    assert exported.status_code == 200
    assert exported.json() == rich_snapshot().model_dump(mode="json")


def test_snapshot_import_is_all_or_nothing(loaded: Api) -> None:
    snapshot = rich_snapshot().model_dump(mode="json")
    snapshot["children"].append(builders.child("C9"))
    snapshot["requests"].append(builders.request("R9", ["C9", "C1"]))
    response = loaded.post("admin", "/snapshots/import", json=snapshot)
    assert response.status_code == 422
    problem = response.json()["problems"][0]
    assert problem["record"] == "request R9" and problem["field"] == "children"
    assert loaded.get("duty", "/children/C9").status_code == 404

    structural = loaded.post("admin", "/snapshots/import", json={**snapshot, "households": [{"id": "H1"}]})
    assert structural.status_code == 422
    assert ["body", "households", 0, "provider"] in _locs(structural)
