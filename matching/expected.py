"""Expected demand: the requests of the last weeks, as a stand-in for the children still to come.

The nightly batch places tonight's waiting list. Without a view of tomorrow it gives the one
sibling-approved home to a single child who would have been almost as well placed elsewhere, and the
sibling group referred next week is split or goes to an agency. With expected demand on, the batch
solves the waiting list together with a copy of every request received in the last
``expected_window_days`` (the council's own recent referrals: the best cheap forecast of the next ones).

The copies can never take a home from a real child: their first level (children placed) weighs nothing,
and the batch solves the waiting list alone first and then requires every request that plan places to
stay placed (``matching.batch.solve_batch``). They only move the soft level: a real child goes to the
home that scores a little less for it when that keeps a home free that the expected children need much
more. Their points count ``expected_single_percent`` (one child) or ``expected_group_percent`` (a
sibling group) of their worth. They are never proposed, never stored and never reported as unplaced.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from domain.snapshot import Child, Request, Snapshot
from matching.index import SnapshotIndex

#: Ids of the copies start with this; the snapshot format's ids never contain a space, so no real record
#: can be taken for a copy.
EXPECTED_PREFIX = "expected "
#: Statuses of a request that was a real need for a home (a withdrawn request was not).
DEMAND_STATUSES = frozenset({"waiting", "proposed", "placed", "closed"})


@dataclass(frozen=True)
class ExpectedDemand:
    """The copies: children with fresh ids, and their requests, waiting as of the snapshot's date."""

    children: tuple[Child, ...]
    requests: tuple[Request, ...]

    def __len__(self) -> int:
        return len(self.requests)


#: No copies (expected demand off).
NO_EXPECTED_DEMAND = ExpectedDemand((), ())


def expected_demand(snapshot: Snapshot, window_days: int) -> ExpectedDemand:
    """A copy of every request received in the ``window_days`` before ``as_of`` (the day itself excluded:
    its requests are tonight's waiting list), any status but withdrawn, as if it arrived today.

    Each copy keeps its request's lead time (``needed_by`` minus ``received_on``), kind, urgency, priority,
    sibling mode, distance limit and in-house wish, and relaxes nothing. Its children keep every field
    but their ids (and their sibling group's id, so they are never taken for the real group).
    """
    if window_days <= 0:
        return NO_EXPECTED_DEMAND
    first = snapshot.as_of - dt.timedelta(days=window_days)
    children = {c.id: c for c in snapshot.children}
    copies: list[Child] = []
    requests: list[Request] = []
    for request in snapshot.requests:
        received = request.received_on
        if received is None or not first <= received < snapshot.as_of or request.status not in DEMAND_STATUSES:
            continue
        if any(c not in children for c in request.children):
            continue  # a child no longer on record: nothing to copy
        request_id = f"{EXPECTED_PREFIX}{request.id}"
        ids = [f"{request_id} {c}" for c in request.children]
        for child_id, new_id in zip(request.children, ids, strict=True):
            child = children[child_id]
            group = f"{request_id} {child.sibling_group}" if child.sibling_group is not None else None
            copies.append(child.model_copy(update={"id": new_id, "sibling_group": group}))
        lead = max(dt.timedelta(0), request.needed_by - received)
        requests.append(
            request.model_copy(
                update={
                    "id": request_id,
                    "children": ids,
                    "needed_by": snapshot.as_of + lead,
                    "received_on": snapshot.as_of,
                    "allow_relaxations": [],
                    "status": "waiting",
                }
            )
        )
    return ExpectedDemand(tuple(copies), tuple(requests))


def with_expected(index: SnapshotIndex, expected: ExpectedDemand) -> SnapshotIndex:
    """``index`` with the copies after its own requests and children; the same household table."""
    if not expected:
        return index
    snapshot = index.snapshot.model_copy(
        update={
            "children": [*index.snapshot.children, *expected.children],
            "requests": [*index.snapshot.requests, *expected.requests],
        }
    )
    return dataclasses.replace(
        index,
        snapshot=snapshot,
        children={**index.children, **{c.id: c for c in expected.children}},
        requests={**index.requests, **{r.id: r for r in expected.requests}},
    )
