"""named_child_only: connected (family and friends) carers take only the children they are approved for
(reading 13); other carer types' named lists are not read."""

from __future__ import annotations

from typing import Any

from tests.builders import child, current_child, household
from tests.constraints.judge import judge


def _connected(named: list[str], **more: Any) -> dict[str, Any]:
    return household(carer_type="connected", approval={"named_children": named}, **more)


def test_passes_a_named_child_with_connected_carers() -> None:
    assert not judge("named_child_only", _connected(["C1"]), [child("C1")]).broken


def test_fails_a_child_connected_carers_are_not_approved_for_naming_the_child() -> None:
    verdict = judge("named_child_only", _connected(["C9"]), [child("C1", name="Amira")])
    assert verdict.broken
    assert verdict.reason == "family and friends carers approved for named children only; Amira is not named"


def test_fails_naming_only_the_siblings_left_out() -> None:
    kids = [child("C1", name="Amira"), child("C2", name="Ben"), child("C3", name="Cal")]
    verdict = judge("named_child_only", _connected(["C2"]), kids)
    assert verdict.broken
    assert verdict.reason == ("family and friends carers approved for named children only; Amira and Cal are not named")


def test_boundary_connected_carers_naming_nobody_take_nobody() -> None:
    verdict = judge("named_child_only", _connected([]), [child("C1", name="Amira")])
    assert verdict.broken
    assert verdict.reason == "family and friends carers approved for named children only; Amira is not named"


def test_boundary_every_sibling_named_passes() -> None:
    kids = [child("C1"), child("C2")]
    assert not judge("named_child_only", _connected(["C2", "C1", "C7"]), kids).broken


def test_other_carer_types_named_lists_are_ignored() -> None:
    for carer_type in ("mainstream", "short_break", "parent_and_child", "specialist", "pathway", "supported_lodgings"):
        for named in ([], ["C9"]):
            home = household(carer_type=carer_type, approval={"named_children": named})
            assert not judge("named_child_only", home, [child("C1")]).broken


def test_current_children_need_not_be_named() -> None:
    # Reading 7: only the new children are judged.
    home = _connected(["C1"], current_children=[current_child("K1")])
    assert not judge("named_child_only", home, [child("C1")]).broken
