"""Strict input: a body value of another JSON type, or a date written as a number, is a 422 naming the field
and changes nothing; the right types (ISO dates, an integer where a float is asked) are accepted.

Pydantic's lax mode took ``0`` for ``false``, ``false`` for ``0``, ``"3"`` for ``3`` and a number for a
date; schemathesis's "invalid data is refused" check (``tests/api/test_schemathesis.py``) found these.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import builders
from tests.api.conftest import Api


def _locs(response: Any) -> list[list[Any]]:
    return [d["loc"] for d in response.json()["detail"]]


def _current_child(**overrides: Any) -> dict[str, Any]:
    return {"child_id": "C77", "age": 7, "gender": None, "sibling_group": None, "risks_to_others": []} | overrides


#: What the wrong-typed calls below could change.
_STATE = ("/users", "/requests", "/children", "/households/H1", "/placements")

#: (role, method, url, body, the field's loc): each body has one value of the wrong JSON type.
WRONG_TYPES = [
    pytest.param("admin", "PATCH", "/users/duty", {"active": 0}, ["body", "active"], id="0-for-false"),
    pytest.param("admin", "PATCH", "/users/duty", {"active": "false"}, ["body", "active"], id="string-for-bool"),
    pytest.param("duty", "POST", "/requests", builders.request("R8", priority="3"), ["body", "priority"], id="str-int"),
    pytest.param(
        "duty", "POST", "/requests", builders.request("R8", priority=3.0), ["body", "priority"], id="float-int"
    ),
    pytest.param(
        "duty", "POST", "/requests", builders.request("R8", in_house_only=1), ["body", "in_house_only"], id="1-for-true"
    ),
    pytest.param(
        "duty", "POST", "/requests", builders.request("R8", received_on=0), ["body", "received_on"], id="int-for-date"
    ),
    pytest.param(
        "duty",
        "POST",
        "/requests",
        builders.request("R8", needed_by="2026-11-24T00:00:00"),
        ["body", "needed_by"],
        id="datetime-for-date",
    ),
    pytest.param(
        "admin",
        "POST",
        "/households/H1/children",
        _current_child(age=False),
        ["body", "age"],
        id="false-for-0",
    ),
    pytest.param(
        "admin",
        "PUT",
        "/households/H1/approval",
        {**builders.household()["approval"], "exemption": {"max_children": 4, "named_children": [], "expires": 0}},
        ["body", "exemption", "expires"],
        id="nested-date",
    ),
    pytest.param(
        "admin",
        "PUT",
        "/households/H1",
        {
            k: v
            for k, v in builders.household("H1", weekly_cost_gbp=True).items()
            if k not in ("hold", "current_children")
        },
        ["body", "weekly_cost_gbp"],
        id="bool-for-float",
    ),
    pytest.param(
        "duty", "POST", "/children", builders.child("C8", date_of_birth=1700000000), ["body", "date_of_birth"]
    ),
    pytest.param(
        "manager", "POST", "/households/H1/hold", {"reason": "break", "until": 20261201}, ["body", "until"], id="hold"
    ),
    pytest.param(
        "duty",
        "POST",
        "/placements/1/end",
        {"ended_on": 0, "ending": "planned"},
        ["body", "ended_on"],
        id="placement-end",
    ),
    pytest.param(
        "duty", "PUT", "/placements/1/planned-end", {"planned_end_on": False}, ["body", "planned_end_on"], id="planned"
    ),
]


@pytest.mark.parametrize(("role", "method", "url", "body", "loc"), WRONG_TYPES)
def test_a_value_of_another_json_type_is_422_naming_the_field_and_changes_nothing(
    loaded: Api, role: str, method: str, url: str, body: dict[str, Any], loc: list[Any]
) -> None:
    before = {path: loaded.get("admin" if path == "/users" else "manager", path).json() for path in _STATE}
    response = loaded.call(method, role, url, json=body)
    assert response.status_code == 422, response.text
    assert loc in _locs(response), response.text
    assert all("input" not in item for item in response.json()["detail"])  # the value is not echoed
    assert {path: loaded.get("admin" if path == "/users" else "manager", path).json() for path in _STATE} == before


def test_a_snapshot_import_with_a_boolean_for_a_number_is_refused_whole(loaded: Api) -> None:
    before = loaded.get("admin", "/snapshots/export").json()
    raw = builders.snapshot([builders.household("H5")], [builders.child("C5")], []).model_dump(mode="json")
    raw["children"][0]["location"]["lon"] = False
    response = loaded.post("admin", "/snapshots/import", json=raw)
    assert response.status_code == 422 and ["body", "children", 0, "location", "lon"] in _locs(response)
    assert loaded.get("admin", "/snapshots/export").json() == before


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        ("/audit?since=0.5", ["query", "since"]),
        ("/audit?since=2026-11-23", ["query", "since"]),
        ("/placements?started_to=0", ["query", "started_to"]),
        ("/reports/outcomes?to=0", ["query", "to"]),
        ("/reports/weights?from=1700000000", ["query", "from"]),
        ("/reports/outcomes?to=2026-02-30", ["query", "to"]),
    ],
)
def test_a_query_date_that_is_a_number_or_not_a_date_is_422_naming_the_parameter(
    loaded: Api, url: str, loc: list[Any]
) -> None:
    response = loaded.get("manager", url)
    assert response.status_code == 422 and _locs(response) == [loc], response.text


def test_the_right_json_types_are_accepted(loaded: Api) -> None:
    # An integer is a number, so it fits a float field; dates are ISO strings, in bodies and queries.
    record = builders.household("H9", weekly_cost_gbp=420)
    del record["hold"], record["current_children"]
    created = loaded.post("admin", "/households", json=record)
    assert created.status_code == 201 and created.json()["weekly_cost_gbp"] == 420, created.text
    assert loaded.post("duty", "/children", json=builders.child("C9", date_of_birth="2016-02-29")).status_code == 201
    request = loaded.post("duty", "/requests", json=builders.request("R8", ["C9"], received_on="2026-11-20"))
    assert request.status_code == 201 and request.json()["received_on"] == "2026-11-20", request.text
    hold = loaded.post("manager", "/households/H9/hold", json={"reason": "break", "until": "2026-12-01"})
    assert hold.status_code == 201 and hold.json()["until"] == "2026-12-01", hold.text
    assert loaded.patch("admin", "/users/duty", json={"active": True}).json()["active"] is True
    assert loaded.get("manager", "/audit?since=2026-11-23T09:30:00Z").status_code == 200
    assert loaded.get("manager", "/placements?started_to=2026-11-23").status_code == 200
    assert loaded.get("manager", "/reports/outcomes?from=2025-11-24&to=2026-11-23").status_code == 200
