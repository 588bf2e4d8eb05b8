"""The planners' commands through Typer: exit codes, JSON on stdout, nothing written on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from api.cli_planning import register
from tests.planning.conftest import FIXTURES, WriteScenario

app = typer.Typer()


@app.callback()
def _root() -> None:
    """The placematch app stands in here until the lead registers these commands in api/cli.py."""


register(app)
runner = CliRunner()


def test_import_903_prints_the_model_and_writes_it(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    result = runner.invoke(app, ["import-903", str(FIXTURES / "ssda903"), "--out", str(target), "--json"])
    assert result.exit_code == 0, result.output
    model = json.loads(result.stdout)
    assert model["years"] == [2020, 2021, 2022, 2023, 2024]
    assert set(model["moves_per_year"]) == {"2020", "2021", "2022", "2023", "2024"}
    assert json.loads(target.read_text())["entries_per_year"] == model["entries_per_year"]
    human = runner.invoke(app, ["import-903", str(FIXTURES / "ssda903")])
    assert human.exit_code == 0 and "first placement of children entering care" in human.stdout


def test_import_903_bad_input_exits_2_naming_file_row_and_column(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "header_2023.csv").write_text("CHILD,SEX,DOB,ETHNIC\nA1,1,01/05/2010,WBRI\n")
    (folder / "episodes_2023.csv").write_text(
        "CHILD,DECOM,RNE,LS,PLACE,PLACE_PROVIDER,DEC,REC\nA1,01/06/2022,S,C1,U7,PR1,,\n"
    )
    target = tmp_path / "model.json"
    result = runner.invoke(app, ["import-903", str(folder), "--out", str(target)])
    assert result.exit_code == 2
    assert "episodes_2023.csv: row 2, field PLACE: 'U7' is not a valid code" in result.stderr
    assert not target.exists()  # nothing half-imported


def test_simulate_json_and_marginal_value(write_scenario: WriteScenario, tmp_path: Path) -> None:
    path = write_scenario()
    result = runner.invoke(
        app, ["simulate", str(path), "--replications", "2", "--workers", "0", "--json", "--plots", str(tmp_path / "p")]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["replications"] == 2
    assert summary["marginal_value"][0]["carer_type"] == "specialist"
    assert any(p.endswith("fan_chart.svg") for p in summary["plots"])
    assert summary["demand"]["source"].endswith("ssda903")


def test_simulate_bad_scenario_exits_2_naming_the_key(write_scenario: WriteScenario) -> None:
    path = write_scenario("\n[policy]\nbatch_time = 3\n", replace=("[policy]\nbatch_time_limit_s = 5.0\n", ""))
    result = runner.invoke(app, ["simulate", str(path), "--workers", "0"])
    assert result.exit_code == 2
    assert "field policy.batch_time: unknown key" in result.stderr
    missing = write_scenario(replace=("demo-county.json", "no-such.json"), name="missing.toml")
    result = runner.invoke(app, ["simulate", str(missing), "--workers", "0"])
    assert result.exit_code == 2 and "cannot read the file" in result.stderr


def test_backtest_and_compare(write_scenario: WriteScenario) -> None:
    path = write_scenario()
    result = runner.invoke(app, ["simulate", str(path), "--backtest", "2023", "--replications", "20", "--json"])
    assert result.exit_code == 0, result.output
    assert {row["measure"] for row in json.loads(result.stdout)["rows"]} >= {"in_care", "in_house", "ifa"}
    bad = runner.invoke(app, ["simulate", str(path), "--backtest", "2019"])
    assert bad.exit_code == 2 and "needs returns for 2018 and 2019" in bad.stderr
    other = write_scenario(replace=("per_year = 14", "per_year = 40"), name="more.toml")
    result = runner.invoke(app, ["compare", str(path), str(other), "--replications", "2", "--workers", "0", "--json"])
    assert result.exit_code == 0, result.output
    both = json.loads(result.stdout)
    assert both["a"]["scenario"] == "tiny" and both["b"]["scenario"] == "tiny (B)"
    assert set(both["b_minus_a"]) == {"saving_gbp_per_year", "more_children_local_per_year", "more_children_in_house"}
