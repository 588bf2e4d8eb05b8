"""Postcodes: normalising, the National Grid conversion, both table layouts, the store's table and the CLI."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api import cli_interop
from api.routers.interop import import_postcodes
from domain.errors import InputError
from domain.geo import haversine_km
from interop.postcodes import (
    PostcodePoint,
    PostcodeReader,
    PostcodeTable,
    grid_to_osgb36,
    grid_to_wgs84,
    normalise_postcode,
    parse_place,
    read_postcodes,
    wgs84_to_grid,
)
from store import migrate
from store.db import Database
from store.repositories import Repositories
from store.repositories.postcodes import PostcodeRepository
from tests.store.databases import BACKENDS, empty_tables, new_database

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"
ONSPD = FIXTURES / "postcodes-onspd.csv"
CODEPOINT = FIXTURES / "postcodes-codepoint.csv"


@pytest.fixture(scope="module", params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with new_database(request.param, tmp_path_factory.mktemp("postcodes-db")) as url:
        migrate.upgrade(url)
        database = Database(url)
        yield database
        database.dispose()


@pytest.fixture
def db(database: Database) -> Database:
    empty_tables(database)
    return database


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le15ww", "LE1 5WW"),
        (" LE1  5WW ", "LE1 5WW"),
        ("sw1a1aa", "SW1A 1AA"),
        ("B11AA", "B1 1AA"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_postcodes_are_normalised(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize("text", ["", "LE1", "LE15", "12345", "LE1 5W", "LEE1 5WW", "LE1 55W"])
def test_what_is_not_a_postcode_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a UK postcode"):
        normalise_postcode(text)


def test_places_are_postcodes_districts_or_coordinates() -> None:
    assert parse_place("le1 5ww").kind == "postcode"
    assert parse_place("le1 5ww").district == "LE1"
    assert parse_place("LE18").kind == "district"
    assert parse_place("LE18").key == "LE18"
    coordinates = parse_place("52.63, -1.13")
    assert (coordinates.kind, coordinates.lat, coordinates.lon, coordinates.district) == (
        "coordinates",
        52.63,
        -1.13,
        None,
    )
    with pytest.raises(ValueError, match="lat,lon"):
        parse_place("Leicester")
    with pytest.raises(ValueError, match="out of range"):
        parse_place("95.0, 1.0")


def test_grid_conversion_matches_the_ordnance_survey_worked_example() -> None:
    # OS "A guide to coordinate systems in Great Britain", annex C: E 651409.903, N 313177.270 is
    # 52°39'27.2531"N 1°43'4.5177"E on OSGB36.
    lat, lon = grid_to_osgb36(651409.903, 313177.270)
    assert lat == pytest.approx(52 + 39 / 60 + 27.2531 / 3600, abs=1e-7)
    assert lon == pytest.approx(1 + 43 / 60 + 4.5177 / 3600, abs=1e-7)
    # The same point on WGS84 after the Helmert transformation (about 5 m accuracy): 52°39'28.72"N 1°42'57.79"E.
    lat, lon = grid_to_wgs84(651409.903, 313177.270)
    assert haversine_km(lat, lon, 52 + 39 / 60 + 28.72 / 3600, 1 + 42 / 60 + 57.79 / 3600) < 0.005


@settings(max_examples=50, deadline=None)
@given(st.floats(50.0, 58.5), st.floats(-6.0, 1.7))
def test_grid_conversion_round_trips_within_a_millimetre(lat: float, lon: float) -> None:
    easting, northing = wgs84_to_grid(lat, lon)
    back_lat, back_lon = grid_to_wgs84(easting, northing)
    assert haversine_km(lat, lon, back_lat, back_lon) < 1e-5


def test_both_layouts_of_the_sample_give_the_same_postcodes_within_two_metres() -> None:
    onspd, codepoint = read_postcodes(ONSPD), read_postcodes(CODEPOINT)
    assert len(onspd) == len(codepoint) == 40
    by_postcode = {p.postcode: p for p in codepoint}
    for point in onspd:
        other = by_postcode[point.postcode]
        assert haversine_km(point.lat, point.lon, other.lat, other.lon) < 0.002
    assert all(p.postcode[p.postcode.index(" ") + 2 :].strip("CIKMOV") == "" for p in onspd)  # synthetic only


def test_onspd_rows_without_a_grid_reference_are_skipped_and_counted() -> None:
    with ONSPD.open(encoding="utf-8", newline="") as stream:
        reader = PostcodeReader(stream, "onspd")
        points = list(reader)
    assert reader.layout == "onspd"
    assert reader.skipped == 1
    assert "LE1 9VV" not in {p.postcode for p in points}


def test_code_point_open_with_its_short_header_names() -> None:
    text = "PC,PQ,EA,NO,CY\nLE1 1CC,10,458000,304000,E92000001\n"
    reader = PostcodeReader(io.StringIO(text), "cp.csv")
    (point,) = list(reader)
    assert reader.layout == "codepoint"
    assert point.postcode == "LE1 1CC"
    assert 52.5 < point.lat < 52.7 and -1.2 < point.lon < -1.0


def test_every_bad_row_is_named_with_its_column_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("pcds,lat,long\nLE1 1CC,52.6,-1.1\nNOT A CODE,52.6,-1.1\nLE1 2CC,north,-1.1\nLE1 3CC,52.6,200\n")
    with pytest.raises(InputError) as caught:
        read_postcodes(path)
    found = {(p.record, p.field): p.message for p in caught.value.problems}
    assert set(found) == {("row 3", "pcds"), ("row 4", "lat"), ("row 5", "long")}
    assert "'NOT A CODE'" in found[("row 3", "pcds")]
    assert found[("row 4", "lat")] == "'north' is not a number"
    assert all(p.source == str(path) for p in caught.value.problems)


def test_a_file_that_is_no_postcode_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("name,town\nA,B\n")
    with pytest.raises(InputError, match="not a postcode table"):
        read_postcodes(path)


def test_districts_resolve_to_the_mean_of_their_postcodes() -> None:
    table = PostcodeTable([PostcodePoint("LE1 1CC", 52.0, -1.0), PostcodePoint("LE1 2CC", 53.0, -2.0)])
    assert table(["LE1", "LE1 1CC", "LE9", "LE9 9CC"]) == {"LE1": (52.5, -1.5), "LE1 1CC": (52.0, -1.0)}


def test_the_store_loads_replaces_and_locates_postcodes(db: Database) -> None:
    with db.transaction() as session:
        repo = PostcodeRepository(session)
        assert repo.put_many(read_postcodes(ONSPD)) == 40
        assert repo.put_many([PostcodePoint("LE1 1CC", 52.0, -1.0), PostcodePoint("LE1 1CC", 52.5, -1.5)]) == 1
    with db.transaction() as session:
        repo = PostcodeRepository(session)
        assert repo.count() == 41
        found = repo.locate(["LE1 1CC", "LE11", "ZZ1 1ZZ", "ZZ9"])
        assert found["LE1 1CC"] == (52.5, -1.5)  # the last one given wins
        assert set(found) == {"LE1 1CC", "LE11"}
        assert found["LE11"][0] == pytest.approx(52.772, abs=0.02)


def test_a_failed_import_keeps_the_table_as_it_was(db: Database) -> None:
    with db.transaction() as session:
        import_postcodes(Repositories(session), io.StringIO(ONSPD.read_text()), "onspd")
    bad = "pcds,lat,long\nLE2 9CC,52.6,-1.1\nLE2 8CC,oops,-1.1\n"
    with pytest.raises(InputError), db.transaction() as session:
        import_postcodes(Repositories(session), io.StringIO(bad), "bad.csv", replace=True)
    with db.transaction() as session:
        repo = PostcodeRepository(session)
        assert repo.count() == 40
        assert repo.locate(["LE2 9CC"]) == {}


def _cli() -> typer.Typer:
    app = typer.Typer()
    cli_interop.register(app)
    return app


def test_cli_import_postcodes_then_a_bad_file_exits_2_writing_nothing(db: Database, tmp_path: Path) -> None:
    url = db.url.render_as_string(hide_password=False)
    runner = CliRunner()
    result = runner.invoke(_cli(), ["import-postcodes", str(CODEPOINT), "--database", url])
    assert result.exit_code == 0, result.output
    assert "loaded 40 postcodes (Code-Point Open layout)" in result.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("pcds,lat,long\nLE2 9CC,52.6,-1.1\nLE2 8CC,52.6,east\n")
    result = runner.invoke(_cli(), ["import-postcodes", str(bad), "--replace", "--database", url])
    assert result.exit_code == 2
    assert f"{bad}: row 3, field long: 'east' is not a number" in result.stderr
    with db.transaction() as session:
        assert PostcodeRepository(session).count() == 40
