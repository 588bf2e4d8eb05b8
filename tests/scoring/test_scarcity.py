"""scarcity: minus the points the context prices a household at (the last batch's, or the fast estimate
over the waiting list); nothing when no household is priced."""

from __future__ import annotations

import numpy as np

from matching.index import SnapshotIndex
from matching.rank import rank_request
from matching.scarcity import estimate_scarcity, scarcity_for_request
from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household, request, snapshot
from tests.scoring.score import score

HOUSEHOLDS = [household("H1"), household("H2")]


def test_without_prices_no_household_loses_anything() -> None:
    assert score("scarcity", HOUSEHOLDS).points == {"H1": 0, "H2": 0}


def test_with_batch_prices_a_priced_household_loses_its_price_and_says_why() -> None:
    scores = score(
        "scarcity",
        HOUSEHOLDS,
        scarcity={"H2": 120},
        scarcity_reasons={"H2": "the only home approved for 4 siblings (R7)"},
    )
    assert scores.points == {"H1": 0, "H2": -120}
    assert scores.reasons == {"H2": "the only home approved for 4 siblings (R7)"}


def test_a_price_without_a_sentence_gets_a_general_one() -> None:
    scores = score("scarcity", HOUSEHOLDS, scarcity={"H1": 30})
    assert scores.reasons == {"H1": "other waiting children could also use this home"}


def _waiting_list() -> SnapshotIndex:
    """R1 (Amira) can go to H1 or H2; R2 (Ben, 16) only to H2, the only home approved for teenagers."""
    return SnapshotIndex.build(
        snapshot(
            [household("H1", approval={"age_max": 12}), household("H2")],
            [child("C1", name="Amira"), child("C2", name="Ben", date_of_birth="2010-01-01")],
            [request("R1", ["C1"]), request("R2", ["C2"])],
        )
    )


def test_without_batch_prices_the_estimate_charges_the_whole_weight_for_another_request_s_only_home() -> None:
    index = _waiting_list()
    points, reasons = scarcity_for_request(index, estimate_scarcity(index), "R1", np.arange(2, dtype=np.int64))
    assert points == {"H2": W["scarcity"]}
    assert reasons == {"H2": "the only home that can take request R2"}


def test_rank_uses_batch_prices_when_given_and_the_estimate_otherwise() -> None:
    index = _waiting_list()

    def scarcity_of(answer_scarcity: dict[str, int] | None) -> dict[str, int]:
        answer = rank_request(index, "R1", top=2, scarcity=answer_scarcity)
        return {
            option.placements[0].household_id: sum(c.points for c in option.criteria if c.id == "scarcity")
            for option in answer.options
        }

    assert scarcity_of(None) == {"H1": 0, "H2": -W["scarcity"]}
    assert scarcity_of({"H1": 17}) == {"H1": -17, "H2": 0}
