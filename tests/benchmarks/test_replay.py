"""The dynamic replay on a tiny year (county tier, a few requests over a few weeks): every policy runs,
every placement it makes is legal at the moment it is made, every child is accounted for, and hindsight is
never below any policy. Invariants only, never timings."""

from __future__ import annotations

import dataclasses
import json

import pytest

from benchmarks.replay import (
    POLICIES,
    HindsightModel,
    HindsightResult,
    Outcome,
    Scorer,
    Year,
    audit,
    build_hindsight,
    build_year,
    main,
    online_policies,
    run_policy,
    solve_hindsight,
    used_pairs,
)

#: Small enough to run in seconds; arrivals compressed into under two weeks so that requests wait, leave
#: for outside placements and compete for homes (hindsight then beats the online policies here).
TIER, SEED, DAYS, REQUESTS = "county", 7, 12, 40


@pytest.fixture(scope="module")
def year() -> Year:
    return build_year(TIER, SEED, DAYS, REQUESTS)


@pytest.fixture(scope="module")
def outcomes(year: Year) -> dict[str, Outcome]:
    return {name: run_policy(year, name, policy) for name, policy in online_policies(1.0).items()}


@pytest.fixture(scope="module")
def hindsight(year: Year, outcomes: dict[str, Outcome]) -> tuple[HindsightModel, HindsightResult]:
    model = build_hindsight(year, used_pairs(list(outcomes.values())))
    return model, solve_hindsight(model, outcomes["optimised nightly"], time_limit_s=30.0)


def test_the_year_is_seeded_and_shaped_as_asked(year: Year) -> None:
    again = build_year(TIER, SEED, DAYS, REQUESTS)
    assert [(a.request.id, a.day, a.stay_days) for a in again.arrivals] == [
        (a.request.id, a.day, a.stay_days) for a in year.arrivals
    ]
    assert len(year.arrivals) == REQUESTS
    assert all(0 <= a.day < DAYS and a.request.received_on == year.date(a.day) for a in year.arrivals)
    assert all(a.request.needed_by >= year.date(a.day) for a in year.arrivals)
    assert all(not a.request.allow_relaxations for a in year.arrivals)
    assert not any(h.hold and h.hold.reserved_for_request for h in year.households)


def test_every_policy_runs(outcomes: dict[str, Outcome]) -> None:
    assert list(outcomes) == list(POLICIES)
    assert all(outcome.placed for outcome in outcomes.values())


@pytest.mark.parametrize("policy", POLICIES)
def test_placements_legal_when_made_and_children_conserved(
    year: Year, outcomes: dict[str, Outcome], policy: str
) -> None:
    outcome = outcomes[policy]
    assert audit(year, outcome) == []
    assert outcome.rejected == 0, "a policy proposed something the validator refused"


@pytest.mark.parametrize("policy", POLICIES)
def test_every_online_answer_is_a_point_of_the_hindsight_model(
    outcomes: dict[str, Outcome], hindsight: tuple[HindsightModel, HindsightResult], policy: str
) -> None:
    model, _ = hindsight
    assert model.accepts(outcomes[policy])


def test_hindsight_is_never_below_an_online_policy(
    year: Year, outcomes: dict[str, Outcome], hindsight: tuple[HindsightModel, HindsightResult]
) -> None:
    model, result = hindsight
    scorer = Scorer(year, model.multiplier)
    assert result.status == "optimal"
    assert scorer.evaluate(result.outcome).objective == result.objective
    for outcome in outcomes.values():
        assert scorer.evaluate(outcome).objective <= result.objective <= result.bound


def test_hindsight_schedule_is_legal_when_replayed(
    year: Year, outcomes: dict[str, Outcome], hindsight: tuple[HindsightModel, HindsightResult]
) -> None:
    """On this instance the model's relaxations do not bind: its plan could be carried out day by day."""
    _, result = hindsight
    assert audit(year, result.outcome) == []
    best = max(Scorer(year, hindsight[0].multiplier).evaluate(o).objective for o in outcomes.values())
    assert result.objective > best, "the instance should be busy enough for foresight to pay"


def test_the_audit_catches_an_illegal_placement_and_a_lost_child(year: Year, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["duty team"]
    closed = next(h.id for h in year.households if h.status == "deregistered")
    first = outcome.placed[0]
    moved = dataclasses.replace(first, placements=tuple((c, closed) for c, _ in first.placements))
    illegal = dataclasses.replace(outcome, placed=(moved, *outcome.placed[1:]))
    assert any("household_available" in problem for problem in audit(year, illegal))
    lost = dataclasses.replace(outcome, placed=outcome.placed[1:])
    assert any(first.request_id in problem for problem in audit(year, lost))


def test_command_line_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--tier", TIER, "--days", "10", "--requests", "6", "--hindsight-time-limit", "10", "--audit", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["policy"] for row in report["policies"]] == [*POLICIES, "hindsight"]
    assert report["hindsight"]["evaluated_objective_matches_solver"]
    assert all(report["hindsight"]["online_answers_are_solutions"].values())
    assert {policy: found["problems"] for policy, found in report["audit"].items()} == dict.fromkeys(
        [*POLICIES, "hindsight"], 0
    )
