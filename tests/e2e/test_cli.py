"""The CLI as a duty worker runs it: a real subprocess, JSON on stdout, exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.builders import child, household, request, snapshot
from tests.matching.test_expected import sibling_home_case
from tests.matching.test_sibling_room import single_child_case

PLACEMATCH = [sys.executable, "-m", "api.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PLACEMATCH, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def _write(tmp_path: Path) -> Path:
    snap = snapshot(
        [household("H1"), household("H2", approval={"age_max": 10})],
        [child("C1", name="Amira", date_of_birth="2014-04-01")],
        [request("R1")],
    )
    path = tmp_path / "snap.json"
    path.write_text(snap.model_dump_json())
    return path


def test_rank_json_is_one_object_in_the_contract_shape(tmp_path: Path) -> None:
    result = _run("rank", "--snapshot", str(_write(tmp_path)), "--request", "R1", "--top", "5", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"request_id", "status", "options", "excluded"}
    assert answer["status"] == "optimal"
    option = answer["options"][0]
    assert set(option) == {"rank", "score", "placements", "criteria", "relaxations"}
    assert option["placements"] == [{"child_id": "C1", "household_id": "H1"}]
    assert all(set(c) == {"id", "points", "reason"} for c in option["criteria"])
    assert answer["excluded"] == [
        {
            "household_id": "H2",
            "rules": [{"id": "age_range", "reason": "approved for ages 0-10; Amira is 12 on 24 Nov"}],
        }
    ]


def test_rank_human_output_reads_as_sentences(tmp_path: Path) -> None:
    result = _run("rank", "--snapshot", str(_write(tmp_path)), "--request", "R1")
    assert result.returncode == 0
    assert "1. H1 (in-house, mainstream)" in result.stdout
    assert "H2: age_range: approved for ages 0-10; Amira is 12 on 24 Nov" in result.stdout


def test_why_not_json(tmp_path: Path) -> None:
    result = _run("why-not", "--snapshot", str(_write(tmp_path)), "--request", "R1", "--household", "H2", "--json")
    assert result.returncode == 0
    answer = json.loads(result.stdout)
    assert answer["eligible"] is False and answer["rules"][0]["id"] == "age_range"


def test_bad_input_exits_2_naming_file_record_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    raw = json.loads(_write(tmp_path).read_text())
    raw["households"][1]["approval"]["age_min"] = "young"
    path.write_text(json.dumps(raw))
    result = _run("rank", "--snapshot", str(path), "--request", "R1", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{path}: household H2, field approval.age_min" in result.stderr


def test_unknown_request_or_household_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path)
    assert "request R9" in _run("rank", "--snapshot", str(path), "--request", "R9").stderr
    missing = _run("why-not", "--snapshot", str(path), "--request", "R1", "--household", "H9")
    assert missing.returncode == 2 and "household H9" in missing.stderr


def test_batch_json_on_a_snapshot(tmp_path: Path) -> None:
    result = _run("batch", "--snapshot", str(_write(tmp_path)), "--time-limit", "5", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "optimal" and answer["gap"] == 0.0
    assert answer["matches"] == [
        {"request_id": "R1", "placements": [{"child_id": "C1", "household_id": "H1"}], "relaxations": []}
    ]
    assert answer["unplaced"] == []


def test_batch_with_expected_demand_on_a_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text(sibling_home_case(history=2).model_dump_json())
    plain = json.loads(_run("batch", "--snapshot", str(path), "--json").stdout)
    result = _run("batch", "--snapshot", str(path), "--expected-demand", "--json")
    assert result.returncode == 0, result.stderr
    anticipating = json.loads(result.stdout)
    assert [m["placements"][0]["household_id"] for m in (plain["matches"] + anticipating["matches"])] == ["H1", "H2"]
    assert anticipating["expected_requests"] == 2 and anticipating["unplaced"] == []
    human = _run("batch", "--snapshot", str(path), "--expected-demand")
    assert human.returncode == 0 and "Weighed with 2 expected requests" in human.stdout
    assert "Weighed with" not in _run("batch", "--snapshot", str(path)).stdout


def test_batch_looking_ahead_keeps_room_for_sibling_groups_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "single.json"
    path.write_text(single_child_case(single_home_lat=52.70).model_dump_json())
    plain = _run("batch", "--snapshot", str(path))
    looking_ahead = _run("batch", "--snapshot", str(path), "--expected-demand")
    assert plain.returncode == looking_ahead.returncode == 0, plain.stderr + looking_ahead.stderr
    assert "R1 -> H1" in plain.stdout and "Room for sibling groups" not in plain.stdout
    assert "R1 -> H2" in looking_ahead.stdout and "Room for sibling groups kept" in looking_ahead.stdout


def test_fixtures_generate_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for out in (first, second):
        assert _run("fixtures", "generate", "--tier", "county", "--seed", "3", "--out", str(out)).returncode == 0
    assert first.read_bytes() == second.read_bytes()
    assert _run("fixtures", "generate", "--tier", "galaxy", "--out", str(first)).returncode == 2
