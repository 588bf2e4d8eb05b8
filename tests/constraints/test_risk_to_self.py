"""risk_to_self: each of a child's risks to self must be one the carers are approved to manage."""

from __future__ import annotations

from tests.builders import child, household
from tests.constraints.judge import judge

RISKS_TO_SELF = ["self_harm", "cse", "cce", "substance_misuse", "eating_disorder", "missing"]


def test_passes_a_child_with_no_risks() -> None:
    assert not judge("risk_to_self", household(), [child(risks_to_self=[])]).broken


def test_passes_when_every_risk_is_managed() -> None:
    home = household(approval={"manages_risks": ["cse", "missing", "fire_setting"]})
    assert not judge("risk_to_self", home, [child(risks_to_self=["cse", "missing"])]).broken


def test_fails_an_unmanaged_risk_naming_the_risk_and_the_child() -> None:
    home = household(approval={"manages_risks": ["missing"]})
    verdict = judge("risk_to_self", home, [child(name="Amira", risks_to_self=["cse", "missing"])])
    assert verdict.broken
    assert verdict.reason == "not approved to manage CSE (Amira)"


def test_fails_naming_each_child_and_each_risk() -> None:
    kids = [
        child("C1", name="Amira", risks_to_self=["self_harm", "cce"]),
        child("C2", name="Ben", risks_to_self=[]),
        child("C3", name="Cal", risks_to_self=["eating_disorder"]),
    ]
    verdict = judge("risk_to_self", household(), kids)
    assert verdict.broken
    assert verdict.reason == "not approved to manage self harm and CCE (Amira); eating disorder (Cal)"


def test_boundary_each_risk_needs_its_own_approval() -> None:
    for risk in RISKS_TO_SELF:
        managed = household(approval={"manages_risks": [risk]})
        assert not judge("risk_to_self", managed, [child(risks_to_self=[risk])]).broken
        others = household(approval={"manages_risks": [r for r in RISKS_TO_SELF if r != risk]})
        assert judge("risk_to_self", others, [child(risks_to_self=[risk])]).broken
