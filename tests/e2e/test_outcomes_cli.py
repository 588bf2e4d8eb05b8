"""The outcomes commands as a manager runs them: real subprocesses on a migrated SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PLACEMATCH = [sys.executable, "-m", "api.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _run(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database}
    return subprocess.run([*PLACEMATCH, *args], capture_output=True, text=True, cwd=ROOT, timeout=180, env=env)


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'outcomes.db'}"
    assert _run(url, "db", "upgrade").returncode == 0
    return url


def test_import_903_history_then_report(database: str, tmp_path: Path) -> None:
    imported = _run(database, "placements", "import-903", str(ROOT / "fixtures" / "ssda903"), "--json")
    assert imported.returncode == 0, imported.stderr
    summary = json.loads(imported.stdout)
    assert summary["added"] == summary["placements"] > 1000 and summary["unplanned"] > 0
    again = json.loads(_run(database, "placements", "import-903", str(ROOT / "fixtures" / "ssda903"), "--json").stdout)
    assert again["added"] == 0 and again["already_there"] == summary["placements"]

    plots = tmp_path / "plots"
    result = _run(
        database, "report", "outcomes", "--from", "2023-04-01", "--to", "2024-03-31", "--json", "--plots", str(plots)
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    stability = report["stability"]
    assert isinstance(stability["children"], int) and stability["children"] > 100
    assert stability["national_rate"] == 0.1 and "004_f997a99ff8e3c9a4" in stability["national_source"]
    assert report["unplanned_endings"]["ended"] > report["unplanned_endings"]["unplanned"]
    ethnic = {row["value"]: row["placements"] for row in report["breakdowns"]["ethnicity"]}
    assert "WBRI" in ethnic and all(v == "<5" or (isinstance(v, int) and v >= 5) for v in ethnic.values())
    assert (plots / "stability_vs_england.png").is_file() and (plots / "acceptance_by_rank.svg").is_file()

    human = _run(database, "report", "outcomes", "--from", "2023-04-01", "--to", "2024-03-31")
    assert human.returncode == 0 and "against 10% in England" in human.stdout
    weights = _run(database, "report", "weights", "--json")
    assert weights.returncode == 0 and "policy.weights" in json.loads(weights.stdout)["note"]


def test_bad_input_exits_2_naming_the_field(database: str, tmp_path: Path) -> None:
    bad_date = _run(database, "report", "outcomes", "--from", "2024-13-01")
    assert bad_date.returncode == 2 and "--from" in bad_date.stderr and "not a date" in bad_date.stderr
    backwards = _run(database, "report", "outcomes", "--from", "2024-03-01", "--to", "2024-01-01")
    assert backwards.returncode == 2 and "before it starts" in backwards.stderr

    folder = tmp_path / "903"
    folder.mkdir()
    (folder / "header_2024.csv").write_text("CHILD,SEX,DOB,ETHNIC\nA1,1,01/01/2015,WBRI\n")
    (folder / "episodes_2024.csv").write_text(
        "CHILD,DECOM,RNE,LS,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE\n"
        "A1,01/05/2023,S,C2,U4,PR1,01/09/2023,X1,NOPE\n"
    )
    broken = _run(database, "placements", "import-903", str(folder))
    assert broken.returncode == 2
    assert "episodes_2024.csv" in broken.stderr and "row 2" in broken.stderr and "REASON_PLACE_CHANGE" in broken.stderr
    nothing = json.loads(_run(database, "report", "outcomes", "--from", "2023-04-01", "--json").stdout)
    assert nothing["unplanned_endings"]["ended"] == "<5"  # nothing was half-imported
