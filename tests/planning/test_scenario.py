"""Scenario files: the documented example loads; bad keys and values are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import InputError
from planning.scenario import ATTRITION_PER_YEAR, load_scenario
from tests.planning.conftest import FIXTURES, WriteScenario


def test_the_commented_example_loads_with_its_documented_values() -> None:
    scenario = load_scenario(FIXTURES / "scenario-example.toml")
    assert scenario.simulation.horizon_months == 36
    assert scenario.supply.attrition_per_year == ATTRITION_PER_YEAR == 0.13
    assert scenario.path(scenario.supply.snapshot) == FIXTURES / "demo-county.json"
    mainstream = scenario.recruitment_for("mainstream")
    assert mainstream is not None and mainstream.per_year == 14 and mainstream.sibling_approved_share == 0.44
    assert scenario.costs.residential_weekly_gbp == 3000
    assert scenario.policy.waiting_days.planned == 28


def test_unknown_key_is_named_with_its_section(write_scenario: WriteScenario) -> None:
    path = write_scenario("\n[costs]\nifa_weekly = 800\n")
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    problem = caught.value.problems[0]
    assert problem.source == str(path)
    assert problem.record == "[costs]"
    assert problem.field == "costs.ifa_weekly"
    assert problem.message == "unknown key"


@pytest.mark.parametrize(
    ("extra", "replace", "field"),
    [
        ("", ("horizon_months = 2", "horizon_months = 0"), "simulation.horizon_months"),
        ("", ("[supply]", "[supply]\nattrition_per_year = 0.5"), "supply"),
        ("", ("ssda903_dir", "entries_per_year = 10\nssda903_dir"), "demand"),
        ('\n[[recruitment]]\ncarer_type = "mainstream"\nper_year = 2\n', None, ""),
        ('\n[[recruitment]]\ncarer_type = "connected"\nper_year = 2\n', None, "recruitment.1"),
        ("", ("time_step", "time_step"), ""),
        ("\n[policy.waiting_days]\nplanned = -1\n", None, "policy.waiting_days.planned"),
    ],
)
def test_invalid_values_are_errors_naming_the_field(
    write_scenario: WriteScenario, extra: str, replace: tuple[str, str] | None, field: str
) -> None:
    path = write_scenario(extra, replace=replace)
    if replace == ("time_step", "time_step"):
        path.write_text(path.read_text() + "\n[simulation]\n", encoding="utf-8")  # a section twice: bad TOML
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    problem = caught.value.problems[0]
    assert problem.source == str(path)
    assert problem.field.startswith(field)


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_scenario(tmp_path / "missing.toml")
