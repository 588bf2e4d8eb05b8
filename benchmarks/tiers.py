"""Scale tiers: the committed demo county, or a seeded generated region or England."""

from __future__ import annotations

from pathlib import Path

from domain.load import load_snapshot
from domain.snapshot import Snapshot

DEMO_COUNTY = Path(__file__).resolve().parents[1] / "fixtures" / "demo-county.json"
TIERS = ("county", "region", "national")
#: The seed every benchmark tier is generated with, so runs compare like with like.
BENCHMARK_SEED = 7


def load_tier(tier: str, snapshot_file: str | None = None) -> Snapshot:
    """The tier's snapshot: a given file, the committed county, or a generated region / England."""
    if snapshot_file:
        return load_snapshot(snapshot_file)
    if tier == "county":
        return load_snapshot(DEMO_COUNTY)
    from fixtures.generate import generate_snapshot

    return generate_snapshot(tier, BENCHMARK_SEED)
