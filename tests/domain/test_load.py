"""Loading snapshot files: bad input names the file, the record id and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.ages import age_on
from domain.errors import InputError
from domain.load import load_snapshot, parse_snapshot
from tests.builders import child, household, request


def _raw(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "as_of": "2026-11-23",
        "policy": {"max_distance_km": 80},
        "households": [household("H1")],
        "children": [child("C1")],
        "requests": [request("R1")],
    }
    raw.update(changes)
    return raw


def test_a_valid_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(_raw()))
    snap = load_snapshot(path)
    assert [h.id for h in snap.households] == ["H1"] and snap.requests[0].children == ["C1"]


def test_unknown_field_names_file_record_and_field(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(_raw(households=[household("H7", bogus=1)])))
    with pytest.raises(InputError) as caught:
        load_snapshot(path)
    assert str(caught.value) == f"{path}: household H7, field bogus: unknown field"


def test_nested_bad_value_names_the_nested_field() -> None:
    with pytest.raises(InputError) as caught:
        parse_snapshot(_raw(households=[household("H2", approval={"age_min": 12, "age_max": 6})]), "f.json")
    problem = caught.value.problems[0]
    assert (problem.source, problem.record, problem.field) == ("f.json", "household H2", "approval")
    assert "age_min 12 is above age_max 6" in problem.message


def test_bad_vocabulary_value_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        parse_snapshot(_raw(children=[child("C1", gender="girl")]), "f.json")
    assert caught.value.problems[0].record == "child C1" and caught.value.problems[0].field == "gender"


@pytest.mark.parametrize(
    ("section", "record", "field"),
    [
        ("households", household("H1", smoking=0), "smoking"),
        ("households", household("H1", bedrooms_free="2"), "bedrooms_free"),
        ("households", household("H1", bedrooms_free=2.0), "bedrooms_free"),
        ("households", household("H1", weekly_cost_gbp="420"), "weekly_cost_gbp"),
        ("households", household("H1", approval={"age_max": True}), "approval.age_max"),
        ("children", child("C1", date_of_birth=1400000000), "date_of_birth"),
        ("children", child("C1", date_of_birth="2016-02-30"), "date_of_birth"),
        ("requests", request("R1", in_house_only="false"), "in_house_only"),
        ("requests", request("R1", needed_by="2026-11-24T00:00:00"), "needed_by"),
    ],
)
def test_a_value_of_another_json_type_is_an_error_naming_the_field_not_converted(
    section: str, record: dict[str, object], field: str
) -> None:
    """The format's types are fixed (DESIGN.md): ``0`` is not ``false``, ``"2"`` or ``2.0`` is not ``2``,
    a number is not a date."""
    with pytest.raises(InputError) as caught:
        parse_snapshot(_raw(**{section: [record]}), "f.json")
    label = {"households": "household", "children": "child", "requests": "request"}[section]
    assert [(p.record, p.field) for p in caught.value.problems] == [(f"{label} {record['id']}", field)]


def test_numbers_and_dates_of_the_right_json_type_load() -> None:
    snap = parse_snapshot(_raw(households=[household("H1", weekly_cost_gbp=420)], as_of="2026-11-23"), "f.json")
    assert snap.households[0].weekly_cost_gbp == 420 and snap.as_of.isoformat() == "2026-11-23"
    with pytest.raises(InputError) as caught:
        parse_snapshot(_raw(as_of=20261123), "f.json")
    assert [(p.record, p.field) for p in caught.value.problems] == [("snapshot", "as_of")]


def test_request_naming_a_missing_child_is_an_error_not_a_crash() -> None:
    with pytest.raises(InputError) as caught:
        parse_snapshot(_raw(requests=[request("R1", ["C1", "C9"])]), "f.json")
    assert str(caught.value) == "f.json: request R1, field children: child C9 is not in the snapshot"


def test_duplicate_ids_and_a_child_waiting_twice_are_errors() -> None:
    with pytest.raises(InputError) as caught:
        parse_snapshot(
            _raw(households=[household("H1"), household("H1")], requests=[request("R1"), request("R2")]), "f"
        )
    messages = [str(p) for p in caught.value.problems]
    assert "f: household H1, field id: id used twice" in messages
    assert "f: request R2, field children: child C1 is already waiting in request R1" in messages


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        load_snapshot(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"as_of": ')
    with pytest.raises(InputError, match="not valid JSON"):
        load_snapshot(broken)


def test_ids_named_elsewhere_may_refer_to_children_not_in_the_snapshot() -> None:
    home = household("H1", do_not_place=["C404"], approval={"named_children": ["C405"]})
    assert parse_snapshot(_raw(households=[home]), "f").households[0].do_not_place == ["C404"]


def test_ages_are_whole_years_and_leap_day_birthdays_move_to_1_march() -> None:
    import datetime as dt

    born = dt.date(2012, 2, 29)
    assert age_on(born, dt.date(2027, 2, 28)) == 14
    assert age_on(born, dt.date(2027, 3, 1)) == 15
    assert age_on(born, dt.date(2028, 2, 29)) == 16
