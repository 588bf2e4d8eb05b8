"""A small scenario on the demo county and the synthetic SSDA903 sample, written where a test wants it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from api.cli_planning import fit_903
from planning.scenario import load_scenario
from planning.simulate import SimulationInput, prepare

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"

TINY = f"""
name = "tiny"

[simulation]
horizon_months = 2
replications = 3
seed = 11

[demand]
ssda903_dir = "{(FIXTURES / "ssda903").as_posix()}"

[supply]
snapshot = "{(FIXTURES / "demo-county.json").as_posix()}"

[[recruitment]]
carer_type = "mainstream"
per_year = 14
sibling_approved_share = 0.44

[policy]
batch_time_limit_s = 5.0

[marginal]
carer_types = ["specialist"]
replications = 2
"""

WriteScenario = Callable[..., Path]


@pytest.fixture
def write_scenario(tmp_path: Path) -> WriteScenario:
    """Write the tiny scenario (with text appended or replaced) and return its path."""

    def write(extra: str = "", name: str = "tiny.toml", replace: tuple[str, str] | None = None) -> Path:
        text = TINY if replace is None else TINY.replace(*replace)
        path = tmp_path / name
        path.write_text(text + extra, encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def tiny_input(tmp_path_factory: pytest.TempPathFactory) -> SimulationInput:
    path = tmp_path_factory.mktemp("scenario") / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return prepare(load_scenario(path), fit_903)


@pytest.fixture(scope="session")
def month_input(tiny_input: SimulationInput) -> SimulationInput:
    """The tiny scenario cut to its first month (one batch): for tests of what is done with results."""
    return SimulationInput(
        tiny_input.scenario,
        tiny_input.snapshot,
        tiny_input.demand,
        tiny_input.towns,
        tiny_input.templates,
        tiny_input.start,
        tiny_input.boundaries[:2],
    )
