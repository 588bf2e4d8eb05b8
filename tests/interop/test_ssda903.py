"""SSDA903 import: the committed sample, located errors for bad codes and dates, real returns' quirks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.errors import InputError
from interop.ssda903 import build_model, category, import_directory, read_return, spells
from planning.demand import AGE_BAND_LABELS, CATEGORIES, read_model, write_model

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "ssda903"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"


def _write(folder: Path, year: int, header: str, episodes: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"header_{year}.csv").write_text(HEADER + header, encoding="utf-8")
    (folder / f"episodes_{year}.csv").write_text(EPISODES + episodes, encoding="utf-8")


def _problems(error: InputError) -> list[tuple[str, str, str]]:
    return [(Path(p.source).name, p.record, p.field) for p in error.problems]


def test_sample_imports_with_every_year_and_consistent_shares() -> None:
    model, _ = import_directory(SAMPLE)
    assert model.years == [2020, 2021, 2022, 2023, 2024]
    # About 250 children a year start to be looked after in the synthetic county (generator: 215 a year
    # growing 2% from 2013, so 250-270 by 2020-24).
    assert 220 <= model.total_entries_per_year() <= 300
    assert set(model.entries_per_year) == set(AGE_BAND_LABELS)
    assert sum(model.group_sizes.values()) == pytest.approx(1.0, abs=1e-4)
    assert model.group_sizes["2"] > 0.05  # sibling groups found by same day and home postcode
    for band in AGE_BAND_LABELS:
        assert sum(model.entry_mix[band].values()) == pytest.approx(1.0, abs=1e-4)
    assert model.entry_mix["0"]["residential"] == 0.0  # no baby enters a children's home in the sample
    # Every year's 31 March stock is counted by category; the county holds about 500 children.
    for seen in model.observed.values():
        assert set(seen.stock) == set(CATEGORIES)
        assert 400 <= seen.in_care <= 650
    assert 0.2 <= model.move_probability["in_house"]["10-15"] <= 0.45
    assert model.short_break_children_per_year > 0  # V3 short breaks are counted apart, not as entries


def test_episode_carried_into_next_year_is_merged_and_legal_changes_keep_the_placement(tmp_path: Path) -> None:
    _write(tmp_path, 2023, "A1,1,01/05/2010,WBRI,,,\n", "A1,01/06/2022,S,C1,N1,U6,PR1,,,,LE2 1,LE2 2,\n")
    _write(
        tmp_path,
        2024,
        "A1,1,01/05/2010,WBRI,,,\n",
        "A1,01/06/2022,S,C1,N1,U6,PR1,01/09/2023,X1,,LE2 1,LE2 2,\n"
        "A1,01/09/2023,L,C2,N1,U6,PR1,01/01/2024,X1,,LE2 1,LE2 2,\n"
        "A1,01/01/2024,P,C2,N1,K2,PR4,,,CHILD,LE2 1,NG5 1,SC123456\n",
    )
    data = read_return(tmp_path)
    assert len(data.episodes) == 3  # the 2022 episode appears once, with its 2024 end date
    found = spells(data)
    assert [(s.category, s.start.isoformat(), s.moved) for s in found] == [
        ("in_house", "2022-06-01", True),  # one placement through the legal-status change
        ("residential", "2024-01-01", False),
    ]
    assert found[0].end is not None and found[0].end.isoformat() == "2024-01-01"


def test_placement_categories_follow_place_and_provider() -> None:
    assert category("U6", "PR1") == "in_house"
    assert category("U4", "PR4") == "ifa"
    assert category("U5", "PR5") == "ifa"
    assert category("U1", "PR1") == "kinship"
    assert category("K2", "PR4") == "residential"
    assert category("R1", "PR4") == "residential"
    assert category("P1", "PR0") == "other"
    assert category("U6", "PR2") == "other"  # another council's carers


def test_bad_code_is_reported_with_file_row_and_column(tmp_path: Path) -> None:
    _write(
        tmp_path,
        2023,
        "A1,1,01/05/2010,WBRI,,,\nA2,3,01/05/2011,XXXX,,,\n",
        "A1,01/06/2022,S,C1,N1,U6,PR1,,,,LE2 1,,\nA1,01/07/2022,Q,C1,N1,U9,PR1,,,,LE2 1,,\n",
    )
    with pytest.raises(InputError) as caught:
        read_return(tmp_path)
    found = _problems(caught.value)
    assert ("header_2023.csv", "row 3", "SEX") in found
    assert ("header_2023.csv", "row 3", "ETHNIC") in found
    assert ("episodes_2023.csv", "row 3", "RNE") in found
    assert ("episodes_2023.csv", "row 3", "PLACE") in found
    assert "'U9' is not a valid code" in str(caught.value)


def test_bad_dates_and_impossible_intervals_are_reported(tmp_path: Path) -> None:
    _write(
        tmp_path,
        2023,
        "A1,1,01/05/2010,WBRI,,,\nA2,2,2011-13-01,WBRI,,,\n",
        "A1,31/02/2022,S,C1,N1,U6,PR1,,,,,,\nA1,01/08/2022,S,C1,N1,U6,PR1,01/07/2022,E8,,,,\n",
    )
    with pytest.raises(InputError) as caught:
        read_return(tmp_path)
    found = _problems(caught.value)
    assert ("header_2023.csv", "row 3", "DOB") in found
    assert ("episodes_2023.csv", "row 2", "DECOM") in found
    assert ("episodes_2023.csv", "row 3", "DEC") in found  # ends before it starts


def test_overlapping_episodes_and_unknown_children_are_reported(tmp_path: Path) -> None:
    _write(
        tmp_path,
        2023,
        "A1,1,01/05/2010,WBRI,,,\n",
        "A1,01/06/2022,S,C1,N1,U6,PR1,,,,,,\nA1,01/07/2022,P,C1,N1,U4,PR4,,,,,,\nB9,01/07/2022,S,V2,N1,U4,PR4,,,,,,\n",
    )
    with pytest.raises(InputError) as caught:
        read_return(tmp_path)
    found = _problems(caught.value)
    assert ("episodes_2023.csv", "row 4", "CHILD") in found  # no header row for B9
    assert ("episodes_2023.csv", "row 3", "DECOM") in found  # overlaps the open episode of row 2


def test_real_return_quirks_are_tolerated(tmp_path: Path) -> None:
    folder = tmp_path / "2023"
    folder.mkdir()
    (folder / "Header.csv").write_text(
        "\ufeffchild , sex,DOB,ETHNIC\nA1, 1.0 ,2010-05-01,wbri\nA2,2,01/05/2012 00:00:00,WBRI\n\n", encoding="utf-8"
    )
    (folder / "Episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACEPROVIDER,DEC,REC,REASONPLACECHANGE,HOME_POST,PL_POST,URN\n"
        "A1,01/06/2022,s,c1,n1,u6,pr1,,,,LE2 1,,\n"
        "A2,01/06/2022,S,C1,N1,U6,PR1,,,,le2 1,,\n",
        encoding="cp1252",
    )
    model, data = import_directory(tmp_path)
    assert data.years == [2023]
    assert len(data.episodes) == 2
    assert model.group_sizes == {"2": 1.0}  # same day, same home postcode: one group of two
    assert model.entry_mix["10-15"]["in_house"] == 1.0


def test_missing_columns_and_files_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, 2023, "A1,1,01/05/2010,WBRI,,,\n", "A1,01/06/2022,S,C1,N1,U6,PR1,,,,,,\n")
    (tmp_path / "episodes_2023.csv").write_text("CHILD,DECOM\nA1,01/06/2022\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_return(tmp_path)
    assert caught.value.problems[0].field.startswith("RNE")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no episodes CSV"):
        read_return(empty)


def test_fitting_before_a_year_reads_nothing_after_it() -> None:
    data = read_return(SAMPLE)
    early = build_model(data, before_year=2023)
    assert early.years == [2020, 2021, 2022]
    assert set(early.observed) == {"2020", "2021", "2022"}
    with pytest.raises(InputError, match="no collection year before 2020"):
        build_model(data, before_year=2020)


def test_model_is_written_atomically_and_read_back(tmp_path: Path) -> None:
    model, _ = import_directory(SAMPLE)
    target = tmp_path / "models" / "demand.json"
    write_model(model, target)
    assert [p.name for p in target.parent.iterdir()] == ["demand.json"]  # no temporary file left behind
    assert read_model(target) == model
    target.write_text(json.dumps({"source": "x"}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_model(target)
    assert any(p.field == "years" for p in caught.value.problems)
