"""The planners' simulation API: start a run in the background, poll it, read its aggregate figures and
fetch its charts; wrong scenarios are 422s naming the field; only planners, managers and admins get in;
no answer carries a child's id or name.

Runs are tiny (two replications, three months) and go through the same registry as the web pages.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from httpx import Response

from api.simulations import RunsBusy, SimulationRuns, check_scenario
from api.web.planner import simulation_runs as page_runs
from tests.api.conftest import Api
from tests.store.samples import CHILD_NAMES, rich_snapshot

SCENARIO: dict[str, Any] = {
    "name": "api what-if",
    "simulation": {"horizon_months": 3, "replications": 5, "seed": 7},
    "demand": {"entries_per_year": 40},
    "recruitment": [{"carer_type": "mainstream", "per_year": 6}],
    "policy": {"batch_time_limit_s": 0.5},
}
TOML = """name = "from toml"
[simulation]
horizon_months = 1
replications = 1
[demand]
entries_per_year = 40
[policy]
batch_time_limit_s = 0.5
"""
CHILD_IDS = sorted({c.id for c in rich_snapshot().children} | {"K1", "K2"})
CHILD_WORD = re.compile(r"\b(" + "|".join([*CHILD_IDS, *CHILD_NAMES]) + r")\b")


def _no_child(response: Response) -> Response:
    """The response, once checked to name no child of the loaded snapshot."""
    found = CHILD_WORD.search(response.text)
    assert found is None, f"{response.request.url}: names {found.group(0)}"
    return response


def _wait(api: Api, role: str, url: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        state: dict[str, Any] = _no_child(api.get(role, url)).json()
        if state["status"] not in ("queued", "running"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.2)


def test_a_run_goes_from_start_to_figures_and_charts(loaded: Api) -> None:
    started = _no_child(loaded.post("planner", "/planning/runs", params={"replications": 2}, json=SCENARIO))
    assert started.status_code == 202, started.text
    run = started.json()
    assert started.headers["location"] == f"/planning/runs/{run['id']}"
    assert run["status"] in ("queued", "running") and run["replications"] == 2 and run["name"] == "api what-if"

    state = _wait(loaded, "planner", started.headers["location"])
    assert state["status"] == "done", state
    assert state["progress"] == 1.0 and state["replications_done"] == 2 and state["error"] is None
    summary = state["summary"]
    assert summary["replications"] == 2 and len(summary["dates"]) == 3
    for measure in ("in_house", "ifa", "residential", "waiting", "weekly_cost_gbp"):
        band = summary["per_step"][measure]
        assert len(band["mean"]) == len(band["p10"]) == len(band["p90"]) == 3
        assert all(lo <= hi for lo, hi in zip(band["p10"], band["p90"], strict=True) if lo is not None)
    assert set(summary["yearly_cost_gbp"]) == {"year 1"}
    assert summary["totals_per_year"]["to_ifa"].keys() == {"mean", "p10", "p90"}
    shortfall = summary["shortfall_per_year"]
    assert len(shortfall["mean"]) == len(shortfall["age_bands"])
    assert all(len(row) == len(shortfall["carer_types"]) for row in shortfall["mean"])
    assert set(state["plots"]) == {"fan_chart", "cost", "shortfall"}

    png = loaded.get("planner", state["plots"]["fan_chart"]["png"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = loaded.get("manager", state["plots"]["shortfall"]["svg"])
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content and not any(name.encode() in svg.content for name in CHILD_NAMES)

    listed = _no_child(loaded.get("admin", "/planning/runs")).json()
    assert listed["total"] == 1 and [r["id"] for r in listed["items"]] == [run["id"]]
    assert "summary" not in listed["items"][0]


def test_a_toml_scenario_runs_and_the_web_pages_see_the_same_run(loaded: Api) -> None:
    started = loaded.post(
        "planner", "/planning/runs", content=TOML.encode(), headers={"Content-Type": "application/toml"}
    )
    assert started.status_code == 202, started.text
    state = _wait(loaded, "planner", started.headers["location"])
    assert state["status"] == "done" and state["name"] == "from toml" and state["replications"] == 1
    # The web pages' registry is the same one: they show this run too.
    services = loaded.client.app.state.services  # type: ignore[attr-defined]
    seen = page_runs(services).get(state["id"])
    assert seen is not None and seen.status == "done" and seen.owner == "planner"


def _problem(response: Response) -> list[Any]:
    assert response.status_code == 422, response.text
    locs: list[Any] = [item["loc"] for item in _no_child(response).json()["detail"]]
    return locs


def test_a_wrong_scenario_is_a_422_naming_the_field(api: Api) -> None:
    def start(body: dict[str, Any], **kwargs: Any) -> Response:
        return api.post("planner", "/planning/runs", json=body, **kwargs)

    assert ["body", "simulation", "horizon_months"] in _problem(
        start({**SCENARIO, "simulation": {"horizon_months": "soon"}})
    )
    assert ["body", "supply", "snapshot"] in _problem(start({**SCENARIO, "supply": {"snapshot": "/etc/passwd"}}))
    assert ["body", "demand", "model"] in _problem(start({**SCENARIO, "demand": {"model": "/etc/passwd"}}))
    assert ["body", "recruitment", 0, "carer_type"] in _problem(
        start({**SCENARIO, "recruitment": [{"carer_type": "astronaut", "per_year": 1}]})
    )
    assert ["body", "colour"] in _problem(start({**SCENARIO, "colour": "blue"}))
    assert ["body", "base_dir"] in _problem(start({**SCENARIO, "base_dir": "/"}))
    assert ["body", "simulation", "horizon_months"] in _problem(
        start({**SCENARIO, "simulation": {"horizon_months": 121}})
    )
    assert ["query", "replications"] in _problem(start(SCENARIO, params={"replications": 201}))
    assert ["body"] in _problem(start([1, 2]))  # type: ignore[arg-type]
    toml = api.post("planner", "/planning/runs", content=b"name = [", headers={"Content-Type": "application/toml"})
    assert ["body"] in _problem(toml) and "TOML" in toml.json()["detail"][0]["msg"]
    json_text = api.post("planner", "/planning/runs", content=b"{", headers={"Content-Type": "application/json"})
    assert ["body"] in _problem(json_text)
    other = api.post("planner", "/planning/runs", content=b"x", headers={"Content-Type": "text/csv"})
    assert other.status_code == 415 and other.json()["detail"][0]["loc"] == ["header", "Content-Type"]
    assert api.get("planner", "/planning/runs").json() == {"items": [], "total": 0}  # nothing was started


@pytest.mark.parametrize(
    "method,url",
    [
        ("POST", "/planning/runs"),
        ("GET", "/planning/runs"),
        ("GET", "/planning/runs/1"),
        ("GET", "/planning/runs/1/plots/fan_chart.png"),
    ],
)
def test_only_planners_managers_and_admins_get_in(api: Api, method: str, url: str) -> None:
    body: dict[str, Any] = {"json": {"demand": {"entries_per_year": 1}}} if method == "POST" else {}
    assert api.call(method, None, url, **body).status_code == 401
    assert api.call(method, "duty", url, **body).status_code == 403
    if method == "GET":
        for role in ("planner", "manager", "admin"):
            assert api.call(method, role, url).status_code in (200, 404)


def test_unknown_runs_and_charts_are_404(api: Api) -> None:
    for url in ("/planning/runs/999", "/planning/runs/999/plots/cost.svg"):
        response = api.get("planner", url)
        assert response.status_code == 404 and response.json()["detail"][0]["loc"] == ["path", "run_id"]
    assert api.get("planner", "/planning/runs/1/plots/secrets.png").status_code == 422


def test_a_start_is_refused_while_too_many_runs_wait() -> None:
    runs = SimulationRuns()
    scenario = check_scenario(SCENARIO)
    with pytest.raises(RunsBusy):
        runs.submit(scenario, rich_snapshot(), "planner", max_pending=0)
    assert runs.all() == []
