"""Carer spreadsheets: the documented layout, CSV and XLSX alike, every problem located, all-or-nothing writes."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from openpyxl import Workbook
from typer.testing import CliRunner

from api import cli_interop
from api.routers.interop import import_households
from domain.errors import InputError
from domain.snapshot import CurrentChild, Hold
from interop.households_sheet import COLUMNS, read_households, read_households_file
from interop.postcodes import PostcodeTable, read_postcodes
from store import migrate
from store.db import Database
from store.repositories import Repositories
from store.repositories.postcodes import PostcodeRepository
from tests import builders
from tests.store.databases import BACKENDS, empty_tables, new_database

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "interop"
TABLE = PostcodeTable(read_postcodes(FIXTURES / "postcodes-onspd.csv"))
HEADER = (
    "household_id,provider,carer_type,weekly_cost_gbp,placement_kinds,age_min,age_max,max_children,postcode,"
    "bedrooms_free\n"
)


@pytest.fixture(scope="module", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with new_database(request.param, tmp_path_factory.mktemp("sheet-db")) as url:
        migrate.upgrade(url)
        database = Database(url)
        yield database
        database.dispose()


@pytest.fixture
def db(database: Database) -> Database:
    """An empty database holding the synthetic postcode table."""
    empty_tables(database)
    with database.transaction() as session:
        PostcodeRepository(session).clear()
        PostcodeRepository(session).put_many(read_postcodes(FIXTURES / "postcodes-onspd.csv"))
    return database


def _problems(error: InputError) -> set[tuple[str, str]]:
    return {(re.sub(r" \(.*", "", p.record), p.field) for p in error.problems}


def test_the_sample_sheet_reads_with_every_column_where_it_belongs() -> None:
    sheet = read_households_file(FIXTURES / "households.csv", TABLE)
    homes = {h.id: h for h in sheet.households}
    assert list(homes) == [f"SH00{i}" for i in range(1, 9)]
    assert sheet.rows["SH001"] == 2
    one = homes["SH001"]
    assert (one.provider, one.carer_type, one.status, one.weekly_cost_gbp) == ("in_house", "mainstream", "active", 420)
    assert one.approval.placement_kinds == ["emergency", "short_term", "long_term"]
    assert (one.shared_bedroom_allowed, one.pets, one.smoking) == (True, ["dog"], False)
    assert one.location.postcode_district == "LE1"
    assert (one.location.lat, one.location.lon) == TABLE(["LE1 " + _inward(0)])["LE1 " + _inward(0)]
    three = homes["SH003"]
    assert three.weekly_cost_gbp == 1050 and three.provider == "ifa"
    assert set(three.approval.manages_risks) == {"cse", "cce", "missing", "self_harm", "physical_harm"}
    four = homes["SH004"]
    assert four.approval.exemption is not None
    assert four.approval.exemption.named_children == ["9002", "9003"]
    assert four.approval.exemption.expires == dt.date(2027, 3, 31)
    assert four.wheelchair_accessible and "bsl" in four.approval.skills
    assert homes["SH005"].approval.named_children == ["9001"]
    six = homes["SH006"]  # lat and lon given: used as they are; the district comes from the postcode column
    assert (six.location.lat, six.location.lon, six.location.postcode_district) == (52.611, -1.102, "LE2")
    assert homes["SH002"].preferences is not None and homes["SH002"].preferences.age_max == 10
    assert homes["SH008"].preferences is not None and homes["SH008"].preferences.genders == ["male"]
    assert homes["SH008"].do_not_place == ["9001"]


def _inward(index: int) -> str:
    return sorted(p for p in TABLE.points if p.startswith("LE1 "))[index].split(" ")[1]


def test_the_xlsx_sample_gives_the_same_households_as_the_csv() -> None:
    csv_sheet = read_households_file(FIXTURES / "households.csv", TABLE)
    xlsx_sheet = read_households_file(FIXTURES / "households.xlsx", TABLE)
    assert xlsx_sheet.households == csv_sheet.households


def test_xlsx_typed_cells_are_read_as_people_read_them() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Other"
    households = workbook.create_sheet("Households")  # the sheet named households is read, wherever it is
    households.append(["Household ID", "Provider", "Carer type", "Weekly cost", "Placement kinds", "Age min", "Age max",
                       "Max children", "Latitude", "Longitude", "Bedrooms free", "Smoking", "Exemption expires",
                       "Exemption max children", "Exemption named children"])  # fmt: skip
    households.append(["H1", "In-house", "Mainstream", 420.0, "Long term", 0.0, 18, 3, 52.6, -1.1, 2, True,
                       dt.datetime(2027, 3, 1), 4, "C1"])  # fmt: skip
    households.append([None] * 15)  # an empty row is skipped
    data = io.BytesIO()
    workbook.save(data)
    (home,) = read_households(data.getvalue(), "book.xlsx", TABLE).households
    assert (home.approval.age_min, home.approval.max_children, home.bedrooms_free) == (0, 3, 2)
    assert home.smoking is True
    assert home.approval.exemption is not None and home.approval.exemption.expires == dt.date(2027, 3, 1)
    assert home.location.postcode_district is None


def test_dry_run_sample_reports_every_problem_with_row_column_value_and_why() -> None:
    with pytest.raises(InputError) as caught:
        read_households_file(FIXTURES / "households-with-mistakes.csv", TABLE)
    assert _problems(caught.value) == {
        ("row 3", "provider"),
        ("row 3", "weekly_cost_gbp"),
        ("row 3", "placement_kinds"),
        ("row 3", "age_min"),
        ("row 3", "postcode"),
        ("row 3", "bedrooms_free"),
        ("row 4", "carer_type"),
        ("row 4", "status"),
        ("row 4", "placement_kinds"),
        ("row 4", "max_children"),
        ("row 4", "genders"),
        ("row 4", "postcode"),
        ("row 4", "household_id"),
    }
    messages = {(re.sub(r" \(.*", "", p.record), p.field): p.message for p in caught.value.problems}
    assert messages[("row 3", "provider")] == "'Agency' is not one of in_house, ifa"
    assert messages[("row 3", "weekly_cost_gbp")] == "'four hundred': not a number"
    assert "'Teenage' is not one of" in messages[("row 3", "placement_kinds")]
    assert messages[("row 3", "age_min")] == "12 is above age_max 6"
    assert "LE99 9ZZ is not in the postcode table" in messages[("row 3", "postcode")]
    assert messages[("row 3", "bedrooms_free")].startswith("'-1': ")
    assert messages[("row 4", "household_id")] == "'SX001': also on row 2"
    assert messages[("row 4", "max_children")] == "empty; a value is required"
    assert all(p.source.endswith("households-with-mistakes.csv") for p in caught.value.problems)
    assert [p.record for p in caught.value.problems] == sorted(
        (p.record for p in caught.value.problems), key=lambda r: int(r.split()[1])
    )


def test_header_problems_name_the_column() -> None:
    data = b"household_id,provider,colour,provider\nH1,ifa,red,ifa\n"
    with pytest.raises(InputError) as caught:
        read_households(data, "h.csv", TABLE)
    problems = _problems(caught.value)
    assert ("row 1", "carer_type") in problems and ("row 1", "bedrooms_free") in problems
    assert ("row 1", "colour") in problems
    assert ("row 1", "provider") in problems  # given twice
    assert all(p.message for p in caught.value.problems)


def test_semicolon_separated_files_and_aliases_are_read() -> None:
    data = (
        "ID;Provider;Carer type;Cost;Placement kinds;Age min;Age max;Max children;Address postcode;Bedrooms free\n"
        f"H1;IFA;Specialist;900;emergency, short term;10;17;1;{next(iter(TABLE.points))};1\n"
    ).encode()
    (home,) = read_households(data, "h.csv", TABLE).households
    assert home.approval.placement_kinds == ["emergency", "short_term"]
    assert home.weekly_cost_gbp == 900


def test_a_postcode_district_resolves_to_its_centre_and_a_half_location_is_refused() -> None:
    data = (
        HEADER.strip()
        + ",lat\n"
        + "H1,ifa,mainstream,500,long term,0,18,2,LE11,1,\n"
        + "H2,ifa,mainstream,500,long term,0,18,2,,1,52.1\n"
    ).encode()
    with pytest.raises(InputError) as caught:
        read_households(data, "h.csv", TABLE)
    assert _problems(caught.value) == {("row 3", "lon")}
    (home,) = read_households(data.rsplit(b"\n", 2)[0] + b"\n", "h.csv", TABLE).households
    assert home.location.postcode_district == "LE11"
    assert (home.location.lat, home.location.lon) == pytest.approx(TABLE(["LE11"])["LE11"], abs=1e-6)


def test_every_column_is_in_the_documented_layout() -> None:
    doc = (ROOT / "docs" / "interop.md").read_text()
    for column in COLUMNS:
        assert f"`{column.name}`" in doc, f"column {column.name} is not documented in docs/interop.md"


def test_import_creates_then_updates_keeping_holds_and_current_children(db: Database) -> None:
    data = (FIXTURES / "households.csv").read_bytes()
    with db.transaction() as session:
        result = import_households(Repositories(session), data, "households.csv", "admin")
    assert len(result.created) == 8 and result.updated == []
    with db.transaction() as session:
        repos = Repositories(session)
        one = repos.households.get("SH001")
        held = one.model_copy(
            update={
                "hold": Hold(reason="carer break", reserved_for_request=None),
                "current_children": [CurrentChild.model_validate(builders.current_child("K1"))],
            }
        )
        repos.households.put(held, "admin")
    changed = data.replace(b"SH001,In-house,Mainstream,,420", b"SH001,In-house,Mainstream,,455")
    assert changed != data
    with db.transaction() as session:
        result = import_households(Repositories(session), changed, "households.csv", "admin")
    assert result.created == [] and len(result.updated) == 8
    with db.transaction() as session:
        one = Repositories(session).households.get("SH001")
    assert one.weekly_cost_gbp == 455
    assert one.hold is not None and one.hold.reason == "carer break"
    assert [c.child_id for c in one.current_children] == ["K1"]


def test_dry_run_and_a_bad_row_write_nothing(db: Database) -> None:
    data = (FIXTURES / "households.csv").read_bytes()
    with db.transaction() as session:
        result = import_households(Repositories(session), data, "households.csv", "admin", dry_run=True)
    assert len(result.created) == 8 and result.dry_run
    broken = data.replace(b"SH008,In-house,Pathway", b"SH008,In-house,Pathfinder")
    with pytest.raises(InputError) as caught, db.transaction() as session:
        import_households(Repositories(session), broken, "households.csv", "admin")
    assert _problems(caught.value) == {("row 9", "carer_type")}
    with db.transaction() as session:
        assert Repositories(session).households.page().total == 0


def _cli() -> typer.Typer:
    app = typer.Typer()
    cli_interop.register(app)
    return app


def test_cli_dry_run_lists_every_problem_and_exits_2_then_imports(db: Database) -> None:
    url = db.url.render_as_string(hide_password=False)
    runner = CliRunner()
    mistakes = FIXTURES / "households-with-mistakes.csv"
    result = runner.invoke(_cli(), ["import-households", str(mistakes), "--dry-run", "--database", url])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 13
    assert f"error: {mistakes}: row 3 (household SX002), field provider: 'Agency' is not one of in_house, ifa" in lines

    result = runner.invoke(
        _cli(), ["import-households", str(FIXTURES / "households.xlsx"), "--dry-run", "--database", url]
    )
    assert result.exit_code == 0, result.output
    assert "would create 8 households" in result.stdout
    with db.transaction() as session:
        assert Repositories(session).households.page().total == 0

    result = runner.invoke(
        _cli(), ["import-households", str(FIXTURES / "households.xlsx"), "--json", "--database", url]
    )
    assert result.exit_code == 0, result.output
    assert '"created": [' in result.stdout and result.stdout.count('"SH0') == 8
    with db.transaction() as session:
        repos = Repositories(session)
        assert repos.households.page().total == 8
        (event,) = [e for e in repos.audit.page(limit=10).items if e.action == "households.import"]
        assert event.actor == "cli"


def test_cli_refuses_other_file_kinds(db: Database, tmp_path: Path) -> None:
    url = db.url.render_as_string(hide_password=False)
    other = tmp_path / "carers.xls"
    other.write_bytes(b"\xd0\xcf\x11\xe0")
    result = CliRunner().invoke(_cli(), ["import-households", str(other), "--database", url])
    assert result.exit_code == 2
    assert "expected a .csv or .xlsx file, not .xls" in result.stderr
