"""age_range: a child's age on needed_by must be inside the approved range (inclusive)."""

from tests.builders import child, household, request
from tests.constraints.judge import judge


def test_passes_inside_the_range() -> None:
    assert not judge("age_range", household(approval={"age_min": 5, "age_max": 12})).broken


def test_fails_when_a_child_is_older_and_says_so_in_words() -> None:
    verdict = judge(
        "age_range",
        household(approval={"age_min": 0, "age_max": 10}),
        [child(name="Amira", date_of_birth="2014-04-01")],
    )
    assert verdict.broken
    assert verdict.reason == "approved for ages 0-10; Amira is 12 on 24 Nov"


def test_boundary_birthday_on_needed_by_counts_the_new_age() -> None:
    # Turns 11 exactly on needed_by (24 Nov): 11 is outside 0-10, the day before would have been inside.
    eleven_today = [child(date_of_birth="2015-11-24")]
    assert judge("age_range", household(approval={"age_min": 0, "age_max": 10}), eleven_today).broken
    ten_tomorrow = [child(date_of_birth="2015-11-25")]
    assert not judge("age_range", household(approval={"age_min": 0, "age_max": 10}), ten_tomorrow).broken


def test_boundary_born_29_february_is_older_on_1_march_of_a_common_year() -> None:
    leap = [child(date_of_birth="2012-02-29")]
    fourteen_max = household(approval={"age_min": 0, "age_max": 14})
    on_28_feb = request(needed_by="2027-02-28")
    on_1_mar = request(needed_by="2027-03-01")
    assert not judge("age_range", fourteen_max, leap, on_28_feb).broken
    assert judge("age_range", fourteen_max, leap, on_1_mar).broken
