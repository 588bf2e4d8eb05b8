"""Placements Standard referrals: the field list as published, the mapping, located errors, export, the API."""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api import cli_interop
from api.app import create_app
from api.auth import ROLES, PasswordHashing
from domain.errors import InputError
from domain.snapshot import Child, Household, Location, Request
from interop.placements_standard import (
    FIELDS,
    MAPPING,
    REPORTED,
    AcceptedMatch,
    ImportedReferral,
    export_referral,
    parse_referral,
    to_records,
)
from interop.postcodes import PostcodeTable, read_postcodes
from store import migrate
from store.db import Database
from store.repositories import Repositories
from store.repositories.postcodes import PostcodeRepository
from tests import builders
from tests.api.conftest import Api, settings_for
from tests.store.databases import BACKENDS, empty_tables, new_database

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "interop"
REFERENCE = ROOT.parent / "shared" / "reference" / "placements-standard-v2.json"
TABLE = PostcodeTable(read_postcodes(FIXTURES / "postcodes-onspd.csv"))
SINGLE: dict[str, Any] = json.loads((FIXTURES / "referral-single.json").read_text())
SIBLINGS: dict[str, Any] = json.loads((FIXTURES / "referral-siblings.json").read_text())
NAMES_AND_BIRTHDAYS = ("Riley", "Maya", "Zain", "2012-05-14", "2016-09-02", "2019-01-20")


def _import(
    raw: dict[str, Any], children: dict[str, Child] | None = None, request: Request | None = None
) -> ImportedReferral:
    return to_records(
        parse_referral(raw, "referral.json"),
        existing_children=children or {},
        existing_request=request,
        locate=TABLE,
    )


def _problems(raw: Any) -> set[tuple[str, str]]:
    with pytest.raises(InputError) as caught:
        _import(raw)
    assert all(p.source == "referral.json" and p.message for p in caught.value.problems)
    return {(p.record, p.field) for p in caught.value.problems}


# --- the standard as published --------------------------------------------------------------------


@pytest.mark.skipif(not REFERENCE.is_file(), reason="shared/reference is not beside the repository")
def test_field_list_is_the_published_standard() -> None:
    published = json.loads(REFERENCE.read_text())
    assert published["metadata"]["version"] == "v2"
    expected = [
        (entity["name"], f["name"], f["type"], f["cardinality"], tuple(f.get("options", ())))
        for entity in published["entities"]
        for f in entity["fields"]
    ]
    assert [(f.entity, f.name, f.type, f.cardinality, f.options) for f in FIELDS] == expected


def test_every_field_has_a_documented_disposition() -> None:
    assert set(MAPPING) == {f.name for f in FIELDS}
    doc = (ROOT / "docs" / "interop.md").read_text()
    for f in FIELDS:
        assert f"| {f.entity} | `{f.name}` |" in doc, f"{f.name} missing from the mapping table in docs/interop.md"


# --- import ---------------------------------------------------------------------------------------


def test_sibling_referral_maps_to_children_and_one_request() -> None:
    imported = _import(SIBLINGS)
    request = imported.request
    assert request.id == "R-SIB-9002"
    assert request.children == ["9002", "9003"]
    assert (request.kind, request.urgency, request.status) == ("long_term", "within_5_days", "waiting")
    assert request.received_on == dt.date(2026, 11, 23)
    assert request.needed_by == dt.date(2026, 11, 27)  # within 5 days: the referral date + 4
    assert request.max_distance_km == 40
    maya, zain = imported.children
    assert (maya.name, maya.date_of_birth, maya.gender) == ("Maya", dt.date(2016, 9, 2), "female")
    assert maya.communication == ["bsl"]
    assert maya.needs.must == ["wheelchair_access"]  # homeAdaptation
    assert maya.pets == "none"
    assert maya.cultural_needs == ["halal diet"]
    assert maya.sibling_group == zain.sibling_group == "R-SIB-9002"
    assert maya.location is not None and maya.location.postcode_district == "LE2"
    assert zain.needs.would_benefit == ["asd"] and zain.pets == "ok" and zain.communication == []
    assert (maya.risks_to_self, maya.risks_to_others) == ([], [])


def test_single_referral_maps_risks_companions_and_support() -> None:
    imported = _import(SINGLE)
    (riley,) = imported.children
    request = imported.request
    assert request.id == "REF-9001-20261123"
    assert (request.kind, request.urgency, request.needed_by, request.priority) == (
        "emergency",
        "today",
        dt.date(2026, 11, 23),
        5,
    )
    assert riley.risks_to_self == ["cce", "missing"]
    assert riley.living_companions == "only_younger"
    assert riley.needs.would_benefit == ["therapeutic"]
    assert riley.sibling_group is None


def test_fields_without_meaning_are_reported_with_their_values_not_dropped() -> None:
    raw = copy.deepcopy(SINGLE)
    child = raw["referrals"][0]
    child["Risks"]["riskOther"] = "climbs out of windows"
    child["ActualPlacement"] = {"totalWeeklyCost": 900, "placementType": "Foster"}
    child["QualityAssurance"].update({"costOfficerName": "Officer Two", "costDate": "2026-11-24"})
    reported = {r.field: r.value for r in _import(raw).reported}
    assert reported["Risks.riskOther"] == "climbs out of windows"
    assert reported["PlacementRequirements.deprivationOfLiberty"] is False
    assert reported["QualityAssurance.referralOfficerName"] == "Officer Synthetic"
    assert reported["QualityAssurance.costOfficerName"] == "Officer Two"
    assert reported["QualityAssurance.costDate"] == dt.date(2026, 11, 24)
    assert reported["ActualPlacement.totalWeeklyCost"] == 900
    assert reported["PlacementRecommendation.residentialCareSuitability"] == "Unsuitable"
    given = {name for entity in child.values() if isinstance(entity, dict) for name in entity} - {"name", "gender"}
    unreported = {name for name in given if name in REPORTED} - {f.rsplit(".", 1)[1] for f in reported}
    assert unreported == set()


def test_lossy_labels_are_reported_with_what_was_recorded() -> None:
    raw = copy.deepcopy(SINGLE)
    requirements = raw["referrals"][0]["PlacementRequirements"]
    requirements.update({"livingCompanions": "With other children recommended", "pets": "Not Known"})
    requirements["additionalSupport"] = "taxis to school"
    imported = _import(raw)
    (child,) = imported.children
    assert (child.living_companions, child.pets, child.needs.would_benefit) == ("any", "ok", [])
    notes = {r.field: r.note for r in imported.reported}
    assert "recorded as any" in notes["PlacementRequirements.livingCompanions"]
    assert "recorded as ok" in notes["PlacementRequirements.pets"]
    assert notes["PlacementRequirements.additionalSupport"] == "no meaning in placematch"


def test_flat_referrals_and_loose_option_spelling_are_read() -> None:
    raw = copy.deepcopy(SINGLE)
    nested = raw["referrals"][0]
    flat: dict[str, Any] = {"placematch": nested["placematch"]}
    for entity, fields in nested.items():
        if entity != "placematch":
            flat.update(fields)
    flat["neededBy"] = "  TODAY "
    flat["childId"] = "9001"
    raw["referrals"] = [flat]
    assert _import(raw) == _import(SINGLE)


def test_every_problem_names_the_referral_and_the_field() -> None:
    raw = copy.deepcopy(SIBLINGS)
    first, second = raw["referrals"]
    del first["Risks"]["riskMissing"]
    first["PlacementRequirements"]["pets"] = "Sometimes"
    first["PlacementRequirements"]["specificCommunicationRequirements"] = ["BSL", "None"]
    first["Risks"]["neededBy"] = "Today"  # under the wrong entity
    first["PlacementAvailability"]["favouriteColour"] = "blue"
    second["PlacementAvailability"]["siblingCount"] = 2
    second["PlacementRecommendation"]["fosterCareSuitability"] = "Unsuitable"
    second["PlacementRequirements"]["homeAdaptation"] = "sometimes"
    raw["placematch"]["priority"] = 9
    assert _problems(raw) == {
        ("referral 1 (childId 9002)", "Risks.riskMissing"),
        ("referral 1 (childId 9002)", "PlacementRequirements.pets"),
        ("referral 1 (childId 9002)", "PlacementRequirements.specificCommunicationRequirements"),
        ("referral 1 (childId 9002)", "Risks.neededBy"),
        ("referral 1 (childId 9002)", "PlacementAvailability.favouriteColour"),
        ("referral 2 (childId 9003)", "PlacementRecommendation.fosterCareSuitability"),
        ("referral 2 (childId 9003)", "PlacementRequirements.homeAdaptation"),
        ("request", "placematch.priority"),
    }
    raw = copy.deepcopy(SIBLINGS)
    raw["referrals"][1]["PlacementAvailability"]["siblingCount"] = 2
    raw["referrals"][1]["PlacementAvailability"]["childId"] = 9002
    assert _problems(raw) == {
        ("referral 2 (childId 9002)", "PlacementAvailability.siblingCount"),
        ("referral 2 (childId 9002)", "PlacementAvailability.childId"),
    }


def test_what_the_standard_lacks_must_come_from_the_placematch_blocks() -> None:
    raw = copy.deepcopy(SINGLE)
    raw["placematch"] = {}
    raw["referrals"][0]["placematch"] = {"name": "Riley"}
    assert _problems(raw) == {
        ("request", "placematch.kind"),
        ("referral 1 (childId 9001)", "placematch.date_of_birth"),
        ("referral 1 (childId 9001)", "placematch.gender"),
    }
    raw = copy.deepcopy(SINGLE)
    raw["referrals"][0]["PlacementAvailability"]["neededBy"] = "in more than 5 days"
    assert _problems(raw) == {("request", "placematch.needed_by")}


def test_unknown_postcodes_and_places_are_clear_errors() -> None:
    raw = copy.deepcopy(SINGLE)
    raw["referrals"][0]["PlacementAvailability"]["preferredLocation"] = "LE99 9ZZ"
    with pytest.raises(InputError) as caught:
        _import(raw)
    (problem,) = caught.value.problems
    assert problem.field == "PlacementAvailability.preferredLocation"
    assert "postcode LE99 9ZZ is not in the postcode table" in problem.message
    raw["referrals"][0]["PlacementAvailability"]["preferredLocation"] = "near the park"
    assert _problems(raw) == {("referral 1 (childId 9001)", "PlacementAvailability.preferredLocation")}
    raw["referrals"][0]["PlacementAvailability"]["preferredLocation"] = "52.61,-1.12"
    (child,) = _import(raw).children
    assert child.location == Location(lat=52.61, lon=-1.12)


def test_a_known_child_keeps_what_the_referral_cannot_say() -> None:
    before = Child.model_validate(
        builders.child("9001", name="Riley", date_of_birth="2012-05-14", gender="male", previous_households=["H3"])
    )
    raw = copy.deepcopy(SINGLE)
    raw["referrals"][0]["placematch"] = {}
    (child,) = _import(raw, {"9001": before}).children
    assert (child.name, child.date_of_birth, child.gender, child.previous_households) == (
        "Riley",
        dt.date(2012, 5, 14),
        "male",
        ["H3"],
    )
    assert child.risks_to_self == ["cce", "missing"]  # the referral's, not the record's


@pytest.mark.parametrize(
    "raw", [[], "referral", {"referrals": []}, {"referrals": [1]}, {"extra": 1, "referrals": [{}]}]
)
def test_malformed_documents_are_input_errors(raw: Any) -> None:
    with pytest.raises(InputError):
        parse_referral(raw, "referral.json")


_KEYS = st.sampled_from(
    [f.name for f in FIELDS] + [f.entity for f in FIELDS] + ["placematch", "referrals", "standard", "kind", "x"]
)
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from([o for f in FIELDS for o in f.options] + ["9999-12-31", "2026-11-23", "LE1", "52.6,-1.1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=25,
)


@settings(max_examples=60, deadline=None, database=None)
@given(
    raw=st.fixed_dictionaries(
        {"referrals": st.lists(st.dictionaries(_KEYS, _VALUES, max_size=8), min_size=1, max_size=3)},
        optional={"placematch": _VALUES, "standard": _VALUES},
    )
)
def test_any_document_is_imported_or_refused_with_located_problems(raw: dict[str, Any]) -> None:
    try:
        _import(raw)
    except InputError as error:
        assert error.problems and all(p.source == "referral.json" and p.message for p in error.problems)


# --- export ---------------------------------------------------------------------------------------


def _match(imported: ImportedReferral, household: str) -> AcceptedMatch:
    placements = [(c.id, household) for c in imported.children]
    return AcceptedMatch(
        recommendation_id=7, placements=placements, decided_by="duty", decided_on=dt.date(2026, 11, 25)
    )


def test_export_fills_the_actual_placement_from_the_accepted_match() -> None:
    imported = _import(SIBLINGS)
    home = Household.model_validate(
        builders.household(
            "SH004",
            weekly_cost_gbp=440.4,
            location={"lat": 52.6, "lon": -1.11, "postcode_district": "LE2"},
        )
    )
    children = {c.id: c for c in imported.children}
    document = export_referral(imported.request, children, _match(imported, "SH004"), {"SH004": home}, near_home_km=32)
    maya = document["referrals"][0]
    assert maya["ActualPlacement"] == {
        "totalWeeklyCost": 440,
        "placementLocation": "LE2",
        "preferabilityLocation": True,
        "educationContinuity": None,
        "providerURN": None,
        "siblingsPlacedTogether": 1,
        "placementType": "Foster",
    }
    assert maya["QualityAssurance"] == {
        "referralDate": "2026-11-23",
        "placementOfficerName": "duty",
        "placementDate": "2026-11-25",
        "costDate": "2026-11-25",
    }
    assert document["placematch"]["placements"] == [
        {"child_id": "9002", "household_id": "SH004"},
        {"child_id": "9003", "household_id": "SH004"},
    ]
    assert any("providerURN" in note for note in document["placematch"]["notes"])
    far = home.model_copy(update={"location": Location(lat=53.5, lon=-1.11)})
    document = export_referral(imported.request, children, _match(imported, "SH004"), {"SH004": far}, near_home_km=32)
    assert document["referrals"][0]["ActualPlacement"]["preferabilityLocation"] is False
    assert document["referrals"][0]["ActualPlacement"]["placementLocation"] == "53.500,-1.110"


def test_export_of_a_child_id_that_is_no_number_writes_it_as_text_and_says_so() -> None:
    child = Child.model_validate(builders.child("C1"))
    request = Request.model_validate(builders.request("R1", received_on="2026-11-20"))
    document = export_referral(request, {"C1": child}, None, {}, near_home_km=32)
    assert document["referrals"][0]["PlacementAvailability"]["childId"] == "C1"
    notes = document["placematch"]["notes"]
    assert any("not a number" in note for note in notes)
    assert "no accepted match: ActualPlacement is left out" in notes
    assert "ActualPlacement" not in document["referrals"][0]


@pytest.mark.parametrize("sample", [SINGLE, SIBLINGS], ids=["single", "siblings"])
def test_export_then_import_gives_the_same_children_and_request(sample: dict[str, Any]) -> None:
    imported = _import(sample)
    children = {c.id: c for c in imported.children}
    home = Household.model_validate(builders.household("H1"))
    document = export_referral(imported.request, children, _match(imported, "H1"), {"H1": home}, near_home_km=32)
    again = _import(json.loads(json.dumps(document)))
    assert again.request == imported.request
    for before, after in zip(imported.children, again.children, strict=True):
        # The district's centre stands for a location exported as its district: the same district, near.
        assert before.location is not None and after.location is not None
        assert after.location.postcode_district == before.location.postcode_district
        assert after.model_copy(update={"location": before.location}) == before


# --- service: API and CLI -------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def service_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with new_database(request.param, tmp_path_factory.mktemp("referral-db")) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def service(service_url: str) -> Iterator[tuple[FastAPI, Database]]:
    database = Database(service_url)
    empty_tables(database)
    with database.transaction() as session:
        repos = Repositories(session)
        PostcodeRepository(session).clear()
        PostcodeRepository(session).put_many(read_postcodes(FIXTURES / "postcodes-onspd.csv"))
        for role in ROLES:
            repos.users.create(role, PasswordHashing(1, 64).hash("correct horse battery"), role)
    yield create_app(settings_for(service_url), database), database
    database.dispose()


@pytest.fixture
def api(service: tuple[FastAPI, Database]) -> Iterator[Api]:
    with TestClient(service[0]) as client:
        yield Api(client)


def test_api_imports_ranks_accepts_and_exports_a_referral(
    api: Api, service: tuple[FastAPI, Database], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sheet = (FIXTURES / "households.csv").read_bytes()
    response = api.post("admin", "/interop/households", content=sheet, headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert len(response.json()["created"]) == 8
    assert api.post("planner", "/interop/referrals", json=SIBLINGS).status_code == 403
    assert api.post("duty", "/interop/households", content=sheet).status_code == 403

    dry = api.post("duty", "/interop/referrals?dry_run=true", json=SIBLINGS)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert api.get("duty", "/requests/R-SIB-9002").status_code == 404

    response = api.post("duty", "/interop/referrals", json=SIBLINGS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["request_id"], body["created_children"], body["request_created"]) == (
        "R-SIB-9002",
        ["9002", "9003"],
        True,
    )
    assert {"child_id": "9002", "field": "QualityAssurance.referralOfficerName", "value": "Officer Synthetic",
            "note": "no meaning in placematch"} in body["reported"]  # fmt: skip

    rank = api.post("duty", "/requests/R-SIB-9002/rank")
    assert rank.status_code == 200, rank.text
    best = rank.json()["options"][0]
    assert {p["household_id"] for p in best["placements"]} == {"SH004"}
    accept = api.post("duty", f"/recommendations/{best['recommendation_id']}/accept", json={"reason": "good match"})
    assert accept.status_code == 200, accept.text

    exported = api.get("duty", "/interop/referrals/R-SIB-9002")
    assert exported.status_code == 200, exported.text
    document = exported.json()
    assert document["placematch"]["status"] == "placed"
    placement = document["referrals"][0]["ActualPlacement"]
    assert (placement["totalWeeklyCost"], placement["siblingsPlacedTogether"], placement["placementType"]) == (
        440,
        1,
        "Foster",
    )
    assert document["referrals"][0]["QualityAssurance"]["placementOfficerName"] == "duty"

    again = api.post("duty", "/interop/referrals", json=document)
    assert again.status_code == 409  # the request is placed: a new referral needs a new request id
    assert again.json()["detail"][0]["loc"] == ["body", "placematch.request_id"]
    elsewhere = copy.deepcopy(SIBLINGS)
    elsewhere["placematch"]["request_id"] = "R-OTHER"
    elsewhere["referrals"][0]["PlacementAvailability"]["childId"] = 9001  # Riley is not on record yet
    elsewhere["referrals"][1]["PlacementAvailability"]["childId"] = 9002  # placed, so free to be referred again
    assert api.post("duty", "/interop/referrals", json=elsewhere).status_code == 200
    twice = copy.deepcopy(SINGLE)
    response = api.post("duty", "/interop/referrals", json=twice)
    assert response.status_code == 409
    assert response.json()["detail"][0]["msg"] == "child 9001 is already waiting in request R-OTHER"
    bad = copy.deepcopy(SINGLE)
    bad["referrals"][0]["Risks"]["riskMissing"] = "maybe"
    response = api.post("duty", "/interop/referrals", json=bad)
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "Risks.riskMissing"
    assert api.get("duty", "/interop/referrals/NOPE").status_code == 404

    for text in NAMES_AND_BIRTHDAYS:
        assert text not in caplog.text, f"{text} reached the logs"
    with service[1].transaction() as session:
        actions = [e.action for e in Repositories(session).audit.page(limit=100).items]
    assert "referral.import" in actions and "referral.export" in actions


def test_api_loads_postcodes_and_refuses_a_bad_table(api: Api) -> None:
    table = (FIXTURES / "postcodes-codepoint.csv").read_bytes()
    response = api.post("admin", "/interop/postcodes?replace=true", content=table)
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": 40, "skipped": 0, "layout": "codepoint", "total": 40}
    response = api.post("admin", "/interop/postcodes", content=b"\x00\xff garbage")
    assert response.status_code == 422
    postcode = next(iter(TABLE.points))
    found = api.get("duty", f"/interop/postcodes/{postcode.lower().replace(' ', '')}")
    assert found.status_code == 200, found.text
    assert found.json()["postcode"] == postcode and found.json()["district"] == postcode.split()[0]
    assert (found.json()["lat"], found.json()["lon"]) == pytest.approx(TABLE.points[postcode], abs=2e-5)
    district = api.get("duty", "/interop/postcodes/LE11").json()
    assert (district["district"], district["lat"]) == ("LE11", pytest.approx(TABLE.districts["LE11"][0], abs=2e-5))
    missing = api.get("duty", "/interop/postcodes/LE99 9ZZ")
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "postcode"]
    assert api.get("duty", "/interop/postcodes/HELLO").status_code == 422
    assert api.get("planner", "/interop/postcodes/LE11").status_code == 403


def _cli() -> typer.Typer:
    app = typer.Typer()
    cli_interop.register(app)
    return app


def test_cli_imports_and_exports_a_referral(service: tuple[FastAPI, Database], tmp_path: Path) -> None:
    url = service[1].url.render_as_string(hide_password=False)
    runner = CliRunner()
    result = runner.invoke(_cli(), ["import-referral", str(FIXTURES / "referral-single.json"), "--database", url])
    assert result.exit_code == 0, result.output
    assert "imported new request REF-9001-20261123 for children 9001" in result.stdout
    assert "QualityAssurance.referralOfficerName" in result.stdout  # reported, not dropped
    result = runner.invoke(_cli(), ["import-referral", str(FIXTURES / "referral-single.json"), "--database", url])
    assert result.exit_code == 0, result.output
    assert "imported updated request REF-9001-20261123" in result.stdout  # the same file again: an update
    assert "children updated: 9001" in result.stdout
    out = tmp_path / "export.json"
    result = runner.invoke(_cli(), ["export-referral", "REF-9001-20261123", "--out", str(out), "--database", url])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["referrals"][0]["Risks"]["riskMissing"] == "Risk Present"
    assert "ActualPlacement" not in document["referrals"][0]

    bad = tmp_path / "bad.json"
    broken = copy.deepcopy(SINGLE)
    broken["referrals"][0]["PlacementRequirements"]["pets"] = "Goldfish only"
    bad.write_text(json.dumps(broken))
    result = runner.invoke(_cli(), ["import-referral", str(bad), "--database", url])
    assert result.exit_code == 2
    assert (
        f"error: {bad}: referral 1 (childId 9001), field PlacementRequirements.pets: 'Goldfish only'" in result.stderr
    )
    result = runner.invoke(_cli(), ["export-referral", "R-NONE", "--database", url])
    assert result.exit_code == 2 and "no request R-NONE" in result.stderr
    (tmp_path / "notjson.json").write_text("{")
    result = runner.invoke(_cli(), ["import-referral", str(tmp_path / "notjson.json"), "--database", url])
    assert result.exit_code == 2 and "not valid JSON" in result.stderr
