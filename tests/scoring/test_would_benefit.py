"""would_benefit: ``would_benefit`` points per need in a child's ``needs.would_benefit`` that the
household's capabilities (skills, and wheelchair access when adapted) meet. Must-have needs are a hard
rule, not scored here."""

from __future__ import annotations

from scoring.weights import DEFAULT_WEIGHTS as W
from tests.builders import child, household
from tests.scoring.score import score


def _amira(*needs: str) -> list[dict[str, object]]:
    return [child("C1", name="Amira", needs={"must": [], "would_benefit": list(needs)})]


def _skilled(id: str, *skills: str) -> dict[str, object]:
    return household(id, approval={"skills": list(skills)})


def test_no_need_met_earns_nothing() -> None:
    scores = score("would_benefit", [_skilled("H1"), _skilled("H2", "bsl")], _amira("asd"))
    assert scores.points == {"H1": 0, "H2": 0}


def test_one_need_met_earns_the_weight_once_and_names_it_in_words() -> None:
    scores = score("would_benefit", [_skilled("H1", "asd", "bsl")], _amira("asd"))
    assert scores.points == {"H1": W["would_benefit"]}
    assert scores.reasons == {"H1": "offers ASD for Amira"}


def test_several_needs_met_earn_the_weight_each() -> None:
    needs = ("asd", "therapeutic", "learning_disability")
    scores = score("would_benefit", [_skilled("ALL", *needs), _skilled("TWO", "asd", "therapeutic")], _amira(*needs))
    assert scores.points == {"ALL": 3 * W["would_benefit"], "TWO": 2 * W["would_benefit"]}
    assert scores.reasons == {
        "ALL": "offers ASD, therapeutic and learning disability for Amira",
        "TWO": "offers ASD and therapeutic for Amira",
    }


def test_an_adapted_home_meets_wheelchair_access_without_the_skill_listed() -> None:
    adapted = household("H1", wheelchair_accessible=True)
    scores = score("would_benefit", [adapted, _skilled("H2")], _amira("wheelchair_access"))
    assert scores.points == {"H1": W["would_benefit"], "H2": 0}
    assert scores.reasons == {"H1": "offers wheelchair access for Amira"}


def test_a_child_with_no_would_benefit_needs_earns_nothing_and_must_needs_are_not_scored() -> None:
    must_only = [child("C1", name="Amira", needs={"must": ["asd"], "would_benefit": []})]
    assert score("would_benefit", [_skilled("H1", "asd")], must_only).points == {"H1": 0}


def test_each_child_of_a_group_scores_their_own_needs() -> None:
    children = [
        child("C1", name="Amira", needs={"must": [], "would_benefit": ["asd"]}),
        child("C2", name="Ben", needs={"must": [], "would_benefit": ["bsl", "makaton"]}),
    ]
    scores = score("would_benefit", [_skilled("H1", "asd", "bsl")], children)
    assert scores.points == {"H1": 2 * W["would_benefit"]}
    assert scores.reasons == {"H1": "offers ASD for Amira; BSL for Ben"}


def test_a_need_listed_twice_in_a_plan_counts_once() -> None:
    scores = score("would_benefit", [_skilled("H1", "asd")], _amira("asd", "asd"))
    assert scores.points == {"H1": W["would_benefit"]}
    assert scores.reasons == {"H1": "offers ASD for Amira"}
