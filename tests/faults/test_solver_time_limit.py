"""The solver hitting its time limit: the batch answers ``feasible`` (a legal plan, not proven best) and
every proposal still passes the solver-free validator; stored from the database, it keeps every invariant.

The region tier (1,000 waiting requests) cannot be proved within a hundredth of a second, so the limit
is really hit; the greedy warm start means there is always a legal plan to fall back on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.cli_service import run_batch
from domain.load import load_snapshot
from domain.snapshot import Snapshot
from fixtures.generate import generate_snapshot
from matching.batch import BatchSettings, solve_batch
from matching.index import SnapshotIndex
from matching.validate import Proposal, check_proposals
from store.db import Database
from store.repositories import Repositories
from tests.faults.consistency import assert_consistent

COUNTY = Path(__file__).resolve().parents[2] / "fixtures" / "demo-county.json"


@pytest.fixture(scope="module")
def region() -> Snapshot:
    return generate_snapshot("region", 7)


def _proposals(matches: list[dict[str, object]]) -> list[Proposal]:
    out = []
    for match in matches:
        placements = tuple((str(p["child_id"]), str(p["household_id"])) for p in match["placements"])  # type: ignore[attr-defined]
        relaxed = frozenset(str(r["id"]) for r in match["relaxations"])  # type: ignore[attr-defined]
        out.append(Proposal(str(match["request_id"]), placements, relaxed))
    return out


def test_tiny_time_limit_gives_a_feasible_validated_plan(region: Snapshot) -> None:
    index = SnapshotIndex.build(region)
    answer = solve_batch(index, BatchSettings(time_limit_s=0.01))
    assert answer.status == "feasible"
    assert answer.bound > answer.objective and answer.gap > 0
    assert answer.matches
    assert check_proposals(index, _proposals(answer.to_json()["matches"])) == []


def test_cli_batch_at_its_smallest_time_limit_answers_feasible(region: Snapshot, tmp_path: Path) -> None:
    path = tmp_path / "region.json"
    path.write_text(region.model_dump_json(), encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", "--snapshot", str(path), "--time-limit", "0.5", "--json"])
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["status"] in {"feasible", "optimal"}  # 0.5 s may be enough on a fast machine
    assert check_proposals(SnapshotIndex.build(region), _proposals(body["matches"])) == []


def test_batch_from_the_database_at_its_smallest_time_limit_keeps_the_invariants(database: Database) -> None:
    with database.transaction() as session:
        Repositories(session).snapshots.import_snapshot(load_snapshot(COUNTY), actor="test")
    url = database.url.render_as_string(hide_password=False)
    index, answer = run_batch(url, 0.5)
    assert answer.status in {"feasible", "optimal"}
    proposals = [
        Proposal(
            m.request_id,
            tuple((p.child_id, p.household_id) for p in m.placements),
            frozenset(rule for rule, _, _ in m.relaxations),
        )
        for m in answer.matches
    ]
    assert check_proposals(index, proposals) == []
    assert_consistent(database)
