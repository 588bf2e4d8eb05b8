"""The duty-team service under mixed load while the nightly batch runs: ``python -m benchmarks load``.

Starts ``placematch serve`` (a real uvicorn process) on a fresh database holding the tier's snapshot
(PostgreSQL by default: a database made on the local server for this run and dropped after; or SQLite,
or ``--database URL``), then runs ``--clients`` concurrent duty users over loopback for ``--seconds``
(and at most ``--max-requests`` calls in all). Each user, in a loop: picks a waiting request, ranks it,
reads the request and its first child, then accepts (``--accept-share`` of the time) or declines one of
the options. Meanwhile a manager starts a batch run (``POST /batch/runs``) and polls it to its end.

Prints per endpoint the calls, p50 and p95 latency, 409 conflicts (expected outcomes: two users
accepting options that cannot both hold, ranking a request another user has just placed) and errors
(anything else that is not a 2xx: transport errors, 5xx, other 4xx; target 0), the batch run's outcome,
the server's peak resident memory (VmHWM of the server process and its children) and the store's
invariants (``store.invariants``) checked after the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from api.auth import PasswordHashing, new_api_key
from benchmarks.api import CLIENT_KEEP_ALIVE_S, prepare, served
from benchmarks.tiers import TIERS
from store.db import Database
from store.invariants import check_invariants
from store.repositories import Repositories
from store.scratch import scratch_postgres_database

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: Endpoints in the order the report lists them.
ENDPOINTS = ("rank", "read_request", "read_child", "accept", "decline", "batch_start", "batch_status")
#: Seconds between polls of the batch run.
BATCH_POLL_S = 1.0


@dataclass
class Tally:
    """Latencies of successful calls (ms), 409 conflicts and errors, per endpoint."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    conflicts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, dict[str, int]] = field(default_factory=dict)

    def ok(self, endpoint: str, ms: float) -> None:
        self.latencies.setdefault(endpoint, []).append(ms)

    def conflict(self, endpoint: str) -> None:
        self.conflicts[endpoint] = self.conflicts.get(endpoint, 0) + 1

    def error(self, endpoint: str, kind: str) -> None:
        kinds = self.errors.setdefault(endpoint, {})
        kinds[kind] = kinds.get(kind, 0) + 1

    @property
    def calls(self) -> int:
        return (
            sum(len(v) for v in self.latencies.values())
            + sum(self.conflicts.values())
            + sum(sum(k.values()) for k in self.errors.values())
        )


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation, numpy's default); None for no values."""
    if not values:
        return None
    return round(float(np.percentile(np.asarray(values), q)), 1)


def summarise(tally: Tally) -> dict[str, dict[str, Any]]:
    """Per endpoint: calls, ok, p50/p95 ms of the successful ones, conflicts, errors (by kind)."""
    names = [e for e in ENDPOINTS if e in tally.latencies or e in tally.conflicts or e in tally.errors]
    names += sorted(set(tally.latencies) | set(tally.conflicts) | set(tally.errors) - set(names))
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(names):
        latencies = tally.latencies.get(name, [])
        errors = tally.errors.get(name, {})
        conflicts = tally.conflicts.get(name, 0)
        out[name] = {
            "calls": len(latencies) + conflicts + sum(errors.values()),
            "ok": len(latencies),
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "conflicts_409": conflicts,
            "errors": sum(errors.values()),
            "errors_by_kind": dict(sorted(errors.items())),
        }
    return out


class Budget:
    """At most ``limit`` calls in all (None: no limit), shared by every client."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


async def _call(
    client: httpx.AsyncClient, tally: Tally, endpoint: str, method: str, url: str, **kwargs: Any
) -> httpx.Response | None:
    """One timed call, tallied: 2xx ok (latency kept), 409 conflict, anything else an error."""
    sent = time.perf_counter()
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        tally.error(endpoint, type(error).__name__)
        return None
    ms = (time.perf_counter() - sent) * 1000
    if response.is_success:
        tally.ok(endpoint, ms)
    elif response.status_code == 409:
        tally.conflict(endpoint)
    else:
        tally.error(endpoint, f"http_{response.status_code}")
    return response


async def duty_user(
    client: httpx.AsyncClient,
    tally: Tally,
    rng: random.Random,
    waiting: list[str],
    deadline: float,
    budget: Budget,
    accept_share: float,
    top: int,
) -> None:
    """Rank a waiting request, read it and its first child, then accept or decline an option; repeat."""
    while time.perf_counter() < deadline and budget.take():
        request_id = rng.choice(waiting)
        ranked = await _call(client, tally, "rank", "POST", f"/requests/{request_id}/rank", params={"top": top})
        if ranked is None or not ranked.is_success:
            continue
        options = ranked.json()["options"]
        if not budget.take():
            return
        read = await _call(client, tally, "read_request", "GET", f"/requests/{request_id}")
        if read is not None and read.is_success and budget.take():
            await _call(client, tally, "read_child", "GET", f"/children/{read.json()['children'][0]}")
        if not options or not budget.take():
            continue
        option = rng.choice(options)
        if rng.random() < accept_share:
            body = {"reason": "load test: accepted at the duty meeting"}
            await _call(
                client, tally, "accept", "POST", f"/recommendations/{option['recommendation_id']}/accept", json=body
            )
        else:
            body = {"reason": "load test: too far from school"}
            path = f"/recommendations/{option['recommendation_id']}/decline"
            await _call(client, tally, "decline", "POST", path, json=body)


async def manager_batch(
    client: httpx.AsyncClient, tally: Tally, time_limit_s: float, give_up_at: float
) -> dict[str, Any]:
    """Start a batch run and poll it until it ends (or ``give_up_at``); returns its outcome."""
    started = time.perf_counter()
    response = await _call(client, tally, "batch_start", "POST", "/batch/runs", json={"time_limit_s": time_limit_s})
    if response is None or response.status_code != 202:
        return {"status": "not started", "http_status": None if response is None else response.status_code}
    run_id = response.json()["id"]
    run: dict[str, Any] = {}
    while time.perf_counter() < give_up_at:
        await asyncio.sleep(BATCH_POLL_S)
        polled = await _call(client, tally, "batch_status", "GET", f"/batch/runs/{run_id}")
        if polled is not None and polled.is_success:
            run = polled.json()
            if run["status"] != "running":
                break
    return {
        "run_id": run_id,
        "status": run.get("status", "unknown"),
        "seconds": round(time.perf_counter() - started, 1),
        "children_placed": run.get("children_placed"),
        "proposals_added": run.get("proposals_added"),
        "error": run.get("error"),
    }


async def drive(
    base: str,
    duty_key: str,
    manager_key: str,
    waiting: list[str],
    *,
    clients: int,
    seconds: float,
    max_requests: int | None,
    accept_share: float,
    top: int,
    batch_time_limit_s: float,
    seed: int,
) -> tuple[Tally, dict[str, Any], float]:
    """The duty users and the manager's batch run, together; returns the tally, the batch outcome, elapsed s."""
    tally = Tally()
    budget = Budget(max_requests)
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=CLIENT_KEEP_ALIVE_S
    )
    async with (
        httpx.AsyncClient(base_url=base, headers={"X-API-Key": duty_key}, limits=limits, timeout=60.0) as duty,
        httpx.AsyncClient(base_url=base, headers={"X-API-Key": manager_key}, timeout=60.0) as manager,
    ):
        started = time.perf_counter()
        deadline = started + seconds
        users = [
            duty_user(duty, tally, random.Random(seed * 1000 + n), waiting, deadline, budget, accept_share, top)
            for n in range(clients)
        ]
        give_up = deadline + batch_time_limit_s + 120.0
        batch, *_ = await asyncio.gather(manager_batch(manager, tally, batch_time_limit_s, give_up), *users)
        elapsed = time.perf_counter() - started
    return tally, batch, elapsed


def add_manager_key(url: str) -> str:
    """A manager user (``load-manager``) and an API key for it, to start the batch run."""
    database = Database(url)
    try:
        with database.transaction() as session:
            users = Repositories(session).users
            if users.by_username("load-manager") is None:
                users.create("load-manager", PasswordHashing().hash(os.urandom(16).hex()), "manager")
            made = new_api_key()
            users.add_api_key("load-manager", name="load", prefix=made.prefix, key_hash=made.key_hash)
    finally:
        database.dispose()
    return made.key


def postgres_database(admin_url: str) -> AbstractContextManager[str]:
    """A fresh database on the PostgreSQL server of ``admin_url``, dropped afterwards."""
    return scratch_postgres_database(admin_url, "placematch_load")


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def peak_rss_mib(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a process and its descendants, in MiB (Linux; None elsewhere)."""
    total_kib = 0
    todo, seen = [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total_kib += int(line.split()[1])
        todo += _children_of(current)
    return round(total_kib / 1024, 1) if total_kib else None


def _invariants(url: str) -> list[str]:
    database = Database(url)
    try:
        with database.read_transaction() as session:
            return [str(v) for v in check_invariants(session)]
    finally:
        database.dispose()


def run(
    *,
    backend: str,
    database: str | None,
    postgres_admin_url: str,
    tier: str,
    snapshot_file: str | None,
    clients: int,
    seconds: float,
    max_requests: int | None,
    accept_share: float,
    top: int,
    batch_time_limit_s: float,
    workers: int,
    seed: int,
) -> dict[str, Any]:
    """Set up the database and the server, drive the load, and return the report."""
    with tempfile.TemporaryDirectory(prefix="placematch-load-") as folder:
        if database is not None:
            return _run_on(database, folder, **_options(locals()))
        if backend == "sqlite":
            return _run_on(f"sqlite:///{Path(folder) / 'load.sqlite'}", folder, **_options(locals()))
        with postgres_database(postgres_admin_url) as url:
            return _run_on(url, folder, **_options(locals()))


def _options(values: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "tier",
        "snapshot_file",
        "clients",
        "seconds",
        "max_requests",
        "accept_share",
        "top",
        "batch_time_limit_s",
        "workers",
        "seed",
    )
    return {k: values[k] for k in keys}


def _run_on(url: str, folder: str, **o: Any) -> dict[str, Any]:
    prepared = time.perf_counter()
    duty_key, waiting = prepare(url, o["tier"], o["snapshot_file"])
    manager_key = add_manager_key(url)
    prepare_s = time.perf_counter() - prepared
    if not waiting:
        raise RuntimeError("no waiting requests to work on")
    with served(url, folder, o["workers"]) as (base, server):
        warm = time.perf_counter()  # one rank builds the server's snapshot index and scarcity estimate
        httpx.post(f"{base}/requests/{waiting[0]}/rank", headers={"X-API-Key": duty_key}, timeout=300)
        warm_s = time.perf_counter() - warm
        tally, batch, elapsed = asyncio.run(
            drive(
                base,
                duty_key,
                manager_key,
                waiting,
                clients=o["clients"],
                seconds=o["seconds"],
                max_requests=o["max_requests"],
                accept_share=o["accept_share"],
                top=o["top"],
                batch_time_limit_s=o["batch_time_limit_s"],
                seed=o["seed"],
            )
        )
        memory = peak_rss_mib(server.pid)
    endpoints = summarise(tally)
    errors = sum(e["errors"] for e in endpoints.values())
    violations = _invariants(url)
    return {
        "database": url.split(":", 1)[0].split("+")[0],
        "tier": o["tier"],
        "waiting_requests": len(waiting),
        "clients": o["clients"],
        "server_workers": o["workers"],
        "prepare_s": round(prepare_s, 1),
        "warm_up_s": round(warm_s, 2),
        "seconds": round(elapsed, 1),
        "calls": tally.calls,
        "throughput_per_s": round(tally.calls / elapsed, 1) if elapsed else None,
        "endpoints": endpoints,
        "conflicts_409": sum(e["conflicts_409"] for e in endpoints.values()),
        "errors": errors,
        "batch": batch,
        "server_peak_rss_mib": memory,
        "invariant_violations": violations,
        "target": "no errors; every invariant holds after the load",
        "target_met": errors == 0 and not violations,
    }


def print_report(report: dict[str, Any]) -> None:
    for key, value in report.items():
        if key == "endpoints":
            print(f"{'endpoint':>20}  {'calls':>6} {'ok':>6} {'p50 ms':>8} {'p95 ms':>8} {'409':>5} {'errors':>6}")
            for name, row in value.items():
                p50 = "-" if row["p50_ms"] is None else f"{row['p50_ms']:.1f}"
                p95 = "-" if row["p95_ms"] is None else f"{row['p95_ms']:.1f}"
                print(
                    f"{name:>20}  {row['calls']:>6} {row['ok']:>6} {p50:>8} {p95:>8} "
                    f"{row['conflicts_409']:>5} {row['errors']:>6}"
                    + (f"  {row['errors_by_kind']}" if row["errors"] else "")
                )
        else:
            print(f"{key:>20}: {value}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks load", description=__doc__)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--database", default=None, help="Use this database URL (it is loaded if empty).")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL, help="Server to make a fresh database on.")
    parser.add_argument("--tier", choices=TIERS, default="region")
    parser.add_argument("--snapshot", default=None, help="Use this snapshot file instead of the tier's.")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="How long the duty users work.")
    parser.add_argument("--max-requests", type=int, default=None, help="Stop after this many calls in all.")
    parser.add_argument("--accept-share", type=float, default=0.3, help="Share of decisions that accept.")
    parser.add_argument("--top", type=int, default=3, help="Options asked for per rank.")
    parser.add_argument("--batch-time-limit", type=float, default=30.0, help="The batch run's time limit (s).")
    parser.add_argument("--workers", type=int, default=1, help="Server processes (placematch serve --workers).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args(argv)
    report = run(
        backend=args.backend,
        database=args.database,
        postgres_admin_url=args.postgres_admin_url,
        tier=args.tier,
        snapshot_file=args.snapshot,
        clients=args.clients,
        seconds=args.seconds,
        max_requests=args.max_requests,
        accept_share=args.accept_share,
        top=args.top,
        batch_time_limit_s=args.batch_time_limit,
        workers=args.workers,
        seed=args.seed,
    )
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0
