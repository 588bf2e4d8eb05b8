"""Property tests over random snapshots: the solver never recommends what the rules forbid.

* the vectorised and scalar checks of every rule agree on every household and every part;
* every option returned passes the solver-free validator (relaxed rules only where allowed, and listed);
* every excluded household really breaks every rule listed for it, and no rule it breaks is missing;
* with a large enough top, every household is in an option or in ``excluded`` (reading 16).
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings

from constraints.base import Home
from constraints.registry import RULES, RULES_BY_ID
from domain.snapshot import Snapshot
from matching.candidates import rule_matrix
from matching.index import SnapshotIndex
from matching.rank import rank_request
from matching.validate import Proposal, check_proposals
from tests.strategies import snapshots

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(snapshots())
def test_vectorised_and_scalar_checks_agree_on_every_part(snapshot: Snapshot) -> None:
    index = SnapshotIndex.build(snapshot)
    for request in snapshot.requests:
        for size in range(1, len(request.children) + 1):
            for combo in itertools.combinations(request.children, size):
                part = index.part(request, list(combo))
                matrix = rule_matrix(part, index.table)
                for h, household in enumerate(index.table.households):
                    home = Home.as_is(household)
                    for r, rule in enumerate(RULES):
                        scalar = rule.check(part, home)
                        assert bool(matrix[r, h]) == (scalar is not None), (rule.id, household.id, combo, scalar)
                        assert rule.relaxable_mask(part, index.table)[h] == rule.relaxable_for(part, household)


@PROPERTY_SETTINGS
@given(snapshots())
def test_every_part_judged_at_once_is_judged_as_alone(snapshot: Snapshot) -> None:
    """The batch works out every part's rule matrix in one call (``prefetch_rule_matrices``); each must be the
    matrix of that part judged alone, for every subset of every request's children."""
    parts = []
    for request in snapshot.requests:
        for size in range(1, len(request.children) + 1):
            parts += [(request, list(combo)) for combo in itertools.combinations(request.children, size)]
    alone = SnapshotIndex.build(snapshot)
    together = SnapshotIndex.build(snapshot)
    together.prefetch_rule_matrices([together.part(request, ids) for request, ids in parts])
    assert len(together._rules) == len({(request.id, tuple(ids)) for request, ids in parts})  # kept, not redone
    for request, ids in parts:
        expected = rule_matrix(alone.part(request, ids), alone.table)
        assert together.rule_matrix(together.part(request, ids)).tolist() == expected.tolist(), (request.id, ids)


@PROPERTY_SETTINGS
@given(snapshots())
def test_no_option_breaks_a_rule_and_every_exclusion_is_true(snapshot: Snapshot) -> None:
    index = SnapshotIndex.build(snapshot)
    for request in snapshot.requests:
        answer = rank_request(index, request.id, top=len(snapshot.households) + 2)
        for option in answer.options:
            placements = tuple((p.child_id, p.household_id) for p in option.placements)
            relaxed = frozenset(r.id for r in option.relaxations)
            assert relaxed <= set(request.allow_relaxations)
            assert not check_proposals(index, [Proposal(request.id, placements, relaxed)])
            assert sum(c.points for c in option.criteria) == option.score
            for relaxation in option.relaxations:
                assert relaxation.role == RULES_BY_ID[relaxation.id].relaxable_by
        scores = [o.score for o in answer.options]
        assert scores == sorted(scores, reverse=True)
        whole = index.part(request, request.children)
        excluded = {e.household_id: [(r.id, r.reason) for r in e.rules] for e in answer.excluded}
        for household in snapshot.households:
            scalar = [(rule.id, rule.check(whole, Home.as_is(household))) for rule in RULES]
            assert excluded.get(household.id, []) == [(rule_id, reason) for rule_id, reason in scalar if reason]
        in_options = {h for o in answer.options for h in o.households}
        if request.siblings == "together":
            assert in_options | set(excluded) == {h.id for h in snapshot.households}
            assert answer.status == ("infeasible" if not answer.options else "optimal")
