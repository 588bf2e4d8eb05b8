"""Protected characteristics are never scoring inputs unless the child's plan states the need (issue 10).

A child's ethnicity is recorded for the outcomes report's breakdowns only: changing it alone, for
children whose plan states no cultural need, changes no ranking: not the options, their order, their
scores, their criteria and reasons, nor the excluded households.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.load import load_snapshot
from domain.snapshot import Snapshot
from matching.index import SnapshotIndex
from matching.rank import rank_request

ROOT = Path(__file__).resolve().parents[2]
CODES = ("WBRI", "BAFR", "APKN", "MWBC", "CHNE", "WROM")


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    return load_snapshot(ROOT / "fixtures" / "demo-county.json")


def _with_ethnicity(snapshot: Snapshot, shift: int) -> Snapshot:
    """Every child without a stated cultural need given an ethnicity code (a different one per ``shift``)."""
    children = [
        c if c.cultural_needs else c.model_copy(update={"ethnicity": CODES[(i + shift) % len(CODES)]})
        for i, c in enumerate(snapshot.children)
    ]
    return snapshot.model_copy(update={"children": children})


def test_changing_only_ethnicity_changes_no_ranking(demo: Snapshot) -> None:
    requests = [
        r.id
        for r in demo.requests
        if r.status == "waiting" and not any(c.cultural_needs for c in demo.children if c.id in r.children)
    ][:12]
    assert len(requests) >= 5, "the demo county should have waiting requests without stated cultural needs"
    base = SnapshotIndex.build(demo, "demo")
    first = SnapshotIndex.build(_with_ethnicity(demo, 0), "demo with ethnicity")
    second = SnapshotIndex.build(_with_ethnicity(demo, 3), "demo with other ethnicities")
    changed = [c for c in _with_ethnicity(demo, 0).children if c.ethnicity is not None]
    assert changed and all(
        a.ethnicity != b.ethnicity
        for a, b in zip(_with_ethnicity(demo, 0).children, _with_ethnicity(demo, 3).children, strict=True)
        if a.ethnicity is not None
    )
    ranked_any = False
    for request_id in requests:
        expected = rank_request(base, request_id, top=5).to_json()
        ranked_any = ranked_any or bool(expected["options"])
        assert rank_request(first, request_id, top=5).to_json() == expected, request_id
        assert rank_request(second, request_id, top=5).to_json() == expected, request_id
    assert ranked_any, "at least one request should have options to compare"


def test_scoring_never_reads_ethnicity() -> None:
    """No soft criterion, weight or hard rule mentions the field."""
    for folder in ("scoring", "constraints", "matching"):
        for path in (ROOT / folder).glob("*.py"):
            assert "ethnicity" not in path.read_text(encoding="utf-8"), path


def test_ethnicity_is_omitted_when_not_recorded(demo: Snapshot) -> None:
    """Snapshot files without ethnicity read and write as before (the demo file is unchanged by the field)."""
    child = demo.children[0]
    assert child.ethnicity is None and "ethnicity" not in child.model_dump(mode="json")
    coded = child.model_copy(update={"ethnicity": "WBRI"})
    assert coded.model_dump(mode="json")["ethnicity"] == "WBRI"
