"""Rank a request from the database: snapshot (cached per revision), matching, then store the options.

The matching itself is pure (``matching.rank``); this module wires it to the store: it builds the
snapshot index once per revision, keeps recent answers per revision and scarcity (a rank is a pure
function of the snapshot and the scarcity prices), and records every call as a match run whose options
become recommendations.

Scarcity comes from the latest successful nightly batch run (``batch_scarcity``: the LP's duals and
lone homes, e.g. "the only home that can take request R007 (4 siblings together)"); before any batch
has run, from the fast estimate over the waiting list (``matching.scarcity``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeAlias

import structlog
from sqlalchemy.orm import Session

from api.audit import record
from api.deps import BlockingWork, Principal, Services
from api.errors import ApiError
from matching.index import SnapshotIndex
from matching.rank import rank_request
from matching.scarcity import ScarcityEstimate, estimate_scarcity
from matching.whynot import why_not
from store.cache import SnapshotCache
from store.db import snapshot_changed
from store.errors import NotFound
from store.repositories import OPEN_STATUSES, Repositories
from store.repositories.recommendations import OPEN, StoredRun

log = structlog.get_logger("placematch.api")


class Prepared:
    """A snapshot made ready for matching, and the revision it stands for (-1: uncommitted changes)."""

    def __init__(self, index: SnapshotIndex, revision: int, as_of: dt.date) -> None:
        self.index = index
        self.revision = revision
        self.as_of = as_of

    @cached_property
    def estimate(self) -> ScarcityEstimate:
        """The fast scarcity estimate over the waiting list, computed on first use."""
        return estimate_scarcity(self.index)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Ranked:
    """One rank answer, the way the service keeps it: the answer, and its ``excluded`` list already as JSON.

    ``excluded`` names every household of the council with every rule it breaks; it is the bulk of the
    answer and the same at one revision, so it is serialised once and reused. The answer with the
    recommendation ids of the run that stored it is kept too, with its body: a rank repeated while that
    run still stands answers the same bytes.
    """

    def __init__(self, answer: dict[str, Any], excluded_json: str | None = None) -> None:
        self.answer = answer
        self.excluded_json = excluded_json if excluded_json is not None else _dumps(answer["excluded"])
        self._body: bytes | None = None
        self._stored: tuple[tuple[int, ...], Ranked] | None = None
        #: A stored run whose options were found to be exactly this answer's (stored options never change).
        self.same_as_run: int | None = None

    def with_options(self, options: list[dict[str, Any]]) -> Ranked:
        return Ranked({**self.answer, "options": options}, self.excluded_json)

    def with_recommendations(self, ids: list[int]) -> Ranked:
        """The answer whose options carry these recommendation ids (one per option, in order)."""
        key = tuple(ids)
        stored = self._stored  # read once: other threads may replace it, never change it
        if stored is not None and stored[0] == key:
            return stored[1]
        options = [{"recommendation_id": i, **o} for i, o in zip(ids, self.answer["options"], strict=True)]
        made = self.with_options(options)
        self._stored = (key, made)
        return made

    def to_json_bytes(self) -> bytes:
        body = self._body
        if body is None:
            head = {k: v for k, v in self.answer.items() if k != "excluded"}
            body = self._body = (_dumps(head)[:-1] + ',"excluded":' + self.excluded_json + "}").encode()
        return body


#: The batch's wording for a household that is the only possible home of some requests (``matching.batch``).
ONLY_HOME = "the only home that can take request "


@dataclass(frozen=True)
class BatchScarcity:
    """The scarcity prices a batch run stored: points and reason per household id.

    ``own`` maps a request to the households that are the only home of that request alone: ranking that
    request leaves them unpriced, since its own need is no opportunity cost (the fast estimate leaves a
    request's own share out the same way).
    """

    run_id: int
    points: dict[str, int]
    reasons: dict[str, str]
    own: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_stored(cls, run_id: int, stored: Mapping[str, tuple[int, str]]) -> BatchScarcity:
        own: dict[str, set[str]] = {}
        for household_id, (_, reason) in stored.items():
            if reason.startswith(ONLY_HOME):
                requests = [part.split(" (", 1)[0] for part in reason[len(ONLY_HOME) :].split(", ")]
                if len(requests) == 1:
                    own.setdefault(requests[0], set()).add(household_id)
        return cls(
            run_id,
            {h: points for h, (points, _) in stored.items()},
            {h: reason for h, (_, reason) in stored.items()},
            {r: frozenset(hs) for r, hs in own.items()},
        )

    def for_request(self, request_id: str) -> tuple[dict[str, int], dict[str, str]]:
        """Points and reasons to rank ``request_id`` with."""
        mine = self.own.get(request_id)
        if not mine:
            return self.points, self.reasons
        return (
            {h: p for h, p in self.points.items() if h not in mine},
            {h: r for h, r in self.reasons.items() if h not in mine},
        )


#: A kept rank answer's key: revision, date, request, top, and the batch run whose scarcity it used (-1: none).
RankKey: TypeAlias = tuple[int, dt.date, str, int, int]


class MatchingCache:
    """Per process: the index and scarcity estimate of the current revision, the latest batch scarcity,
    and recent rank answers."""

    def __init__(self, answers: int = 256) -> None:
        self._lock = threading.Lock()
        self._prepared: Prepared | None = None
        self._scarcity: BatchScarcity | None = None
        self._answers: OrderedDict[RankKey, Ranked] = OrderedDict()
        self._size = answers

    def batch_scarcity(self, repos: Repositories, run_id: int | None) -> BatchScarcity | None:
        """The scarcity of batch run ``run_id``, the one in force (None before any run), read once per run.

        The caller looks the run id up on every call, so a run stored by another process (``serve
        --workers``, the nightly CLI) is picked up at once.
        """
        if run_id is None:
            return None
        kept = self._kept_scarcity(run_id)
        if kept is not None:
            return kept
        loaded = BatchScarcity.from_stored(run_id, repos.batch_runs.scarcity(run_id))
        with self._lock:
            if self._scarcity is None or self._scarcity.run_id <= run_id:
                self._scarcity = loaded
        return loaded

    def forget_answers(self) -> None:
        """Drop every kept answer (a batch run stored new scarcity prices)."""
        with self._lock:
            self._answers.clear()

    def prepared(self, session: Session, snapshots: SnapshotCache, as_of: dt.date) -> Prepared:
        current = snapshots.current(session, as_of)
        ready = self._prepared
        fresh = ready is not None and current.revision >= 0 and ready.revision == current.revision
        if fresh and ready is not None and ready.index.snapshot is current.snapshot:
            return ready
        index = SnapshotIndex.build(current.snapshot, "database")
        ready = Prepared(index, current.revision, as_of)
        if current.revision >= 0:
            with self._lock:
                self._prepared = ready
        return ready

    def prepared_at(self, session: Session, snapshots: SnapshotCache, as_of: dt.date, revision: int) -> Prepared:
        """``prepared``, when the caller has just read the committed ``revision`` itself: the index kept for
        that revision and date is used without asking the database again."""
        kept = self._kept_prepared(session, as_of, revision)
        return kept if kept is not None else self.prepared(session, snapshots, as_of)

    def holds(self, session: Session, as_of: dt.date, revision: int, scarcity_run_id: int | None) -> bool:
        """Whether ``prepared_at`` and ``batch_scarcity`` would answer from what is kept, without building
        or loading anything."""
        return self._kept_prepared(session, as_of, revision) is not None and (
            scarcity_run_id is None or self._kept_scarcity(scarcity_run_id) is not None
        )

    def _kept_prepared(self, session: Session, as_of: dt.date, revision: int) -> Prepared | None:
        ready = self._prepared
        if ready is not None and ready.revision == revision and ready.as_of == as_of and not snapshot_changed(session):
            return ready
        return None

    def _kept_scarcity(self, run_id: int) -> BatchScarcity | None:
        kept = self._scarcity
        return kept if kept is not None and kept.run_id == run_id else None

    def answer(self, key: RankKey) -> Ranked | None:
        """A kept answer (shared: callers build a new one with ``with_options``, never mutate it)."""
        if key[0] < 0 or self._size == 0:
            return None
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
        return found

    def keep(self, key: RankKey, ranked: Ranked) -> None:
        if key[0] < 0 or self._size == 0:
            return
        with self._lock:
            newest = next(reversed(self._answers)) if self._answers else None
            if newest is not None and (newest[0], newest[4]) < (key[0], key[4]):
                self._answers.clear()  # a newer revision or scarcity: older answers can never be asked for again
            self._answers[key] = ranked
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)


def matching_cache(services: Services) -> MatchingCache:
    cache = services.extras.get("matching")
    if not isinstance(cache, MatchingCache):
        cache = MatchingCache(services.settings.rank_cache_size)
        services.extras["matching"] = cache
    return cache


#: The kind of match run a rank stores.
RANK_RUN = "rank"


def rank(
    services: Services, repos: Repositories, principal: Principal, request_id: str, top: int, *, compute: bool = True
) -> Ranked:
    """Rank households for a waiting request and store each option as an open recommendation.

    Ranking a request again with nothing changed (same revision, date, ``top`` and scarcity, and every
    option of its latest run still open and the same) returns that run's recommendations rather than
    storing the same options again: repeated ranks stay idempotent, and the service's hottest call writes
    only its audit event. A decision on any of those options, or any change, makes the next rank store
    fresh ones.

    With ``compute`` false (the call runs on the event loop) it raises ``BlockingWork`` before writing
    anything when the answer is not kept already: building the index, loading prices or solving is for a
    worker thread.
    """
    started = time.perf_counter()
    cache = matching_cache(services)
    today = services.today()
    # One round trip for both: the revision picks the snapshot, the run picks the scarcity prices.
    revision, scarcity_run_id = repos.batch_runs.revision_and_scarcity_run_id()
    if not compute and not cache.holds(repos.session, today, revision, scarcity_run_id):
        raise BlockingWork("the index or the scarcity prices of this revision are not kept yet")
    prepared = cache.prepared_at(repos.session, services.snapshots, today, revision)
    request = prepared.index.requests.get(request_id)
    if request is None:
        raise NotFound("request", request_id)
    if request.status not in OPEN_STATUSES:
        raise ApiError(409, ["path", "request_id"], f"request {request_id} is {request.status}", "conflict")
    scarcity = cache.batch_scarcity(repos, scarcity_run_id)
    key = (prepared.revision, today, request_id, top, scarcity.run_id if scarcity is not None else -1)
    ranked = cache.answer(key)
    if ranked is None and not compute:
        raise BlockingWork(f"no answer kept for request {request_id} at this revision")
    if ranked is None:
        if scarcity is None:
            answer = rank_request(prepared.index, request_id, top=top, estimate=prepared.estimate)
        else:
            points, reasons = scarcity.for_request(request_id)
            answer = rank_request(prepared.index, request_id, top=top, scarcity=points, scarcity_reasons=reasons)
        ranked = Ranked(answer.to_json())
        cache.keep(key, ranked)
    options: list[dict[str, Any]] = ranked.answer["options"]
    # The snapshot can be a moment older than the tables: lock the request and read its status as it is
    # now, so that an accept committed meanwhile is a 409 here, and one still going waits for these
    # options and then withdraws them with the rest (never an open option on a placed request). The lock
    # also makes two ranks of one request take turns, so the second finds the options the first stored.
    status = repos.requests.lock(request_id)
    if status not in OPEN_STATUSES:
        raise ApiError(409, ["path", "request_id"], f"request {request_id} is {status}", "conflict")
    parameters = {"top": top, "as_of": today.isoformat(), "scarcity_run_id": key[4]}
    stored = repos.recommendations.latest_run(RANK_RUN, request_id) if prepared.revision >= 0 else None
    if (
        stored is not None
        and _still_stands(stored, prepared.revision, parameters)
        and _same_options(repos, stored, ranked)
    ):
        run_id, ids = stored.run_id, [o.recommendation_id for o in stored.options]
    else:
        run_id = repos.recommendations.add_run(
            kind=RANK_RUN,
            request_id=request_id,
            status=ranked.answer["status"],
            revision=prepared.revision,
            duration_ms=round((time.perf_counter() - started) * 1000),
            actor=principal.username,
            parameters=parameters,
        )
        ids = repos.recommendations.add_options(run_id, request_id, options)
    record(
        repos,
        principal,
        "request.rank",
        "request",
        request_id,
        detail={"children": list(request.children), "match_run_id": run_id, "options": len(ids)},
    )
    # Commit here, in the worker thread already running this call: the service's hottest write then
    # holds the database (SQLite's one writer) for one thread hop less.
    repos.session.commit()
    return ranked.with_recommendations(ids)


def _still_stands(stored: StoredRun, revision: int, parameters: dict[str, Any]) -> bool:
    """Whether a stored rank run may answer this rank: made at this revision with these parameters and
    every one of its options still open (a declined, accepted or withdrawn option means ranking anew)."""
    return (
        stored.revision == revision
        and stored.parameters == parameters
        and all(o.status == OPEN for o in stored.options)
    )


def _same_options(repos: Repositories, stored: StoredRun, ranked: Ranked) -> bool:
    """Whether the run's options are exactly this answer's, compared as stored (so a solver that broke a
    tie differently is not hidden). Stored options never change, so a run found the same is remembered
    with the answer and not read again: repeated ranks read only their options' statuses."""
    if ranked.same_as_run == stored.run_id:
        return True
    if repos.recommendations.run_options(stored.run_id) != ranked.answer["options"]:
        return False
    ranked.same_as_run = stored.run_id
    return True


def explain(
    services: Services, repos: Repositories, principal: Principal, request_id: str, household_id: str
) -> dict[str, Any]:
    """Why a household is not ranked (higher) for a request."""
    request = repos.requests.get(request_id)
    if not repos.households.exists(household_id):
        raise ApiError(404, ["path", "household_id"], f"no household {household_id}", "not_found")
    prepared = matching_cache(services).prepared(repos.session, services.snapshots, services.today())
    answer = why_not(prepared.index, request_id, household_id).to_json()
    record(
        repos,
        principal,
        "request.why_not",
        "request",
        request_id,
        detail={"children": list(request.children), "household_id": household_id},
    )
    return answer
