"""The duty-team service under load: concurrent clients ranking requests over loopback HTTP.

Starts ``placematch serve`` as its own process on a fresh database (SQLite by default, or
``--database URL``) holding the county snapshot, then runs ``--clients`` concurrent aiohttp clients
for ``--seconds``, each calling ``POST /requests/{id}/rank`` in turn over the waiting requests with an
API key. Every call is a full service call: authentication, the snapshot at the current revision,
the ranking (answers are reused per revision), storing the options as recommendations, and the audit
event. Reports p50/p95/p99 latency, throughput and errors against the target (p95 <= 100 ms, no errors).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import httpx
import numpy as np
import psutil

from api.auth import PasswordHashing, new_api_key
from benchmarks.tiers import TIERS, load_tier
from store import migrate
from store.db import Database
from store.repositories import Repositories
from store.scratch import scratch_postgres_database

#: The service's latency target at 50 concurrent clients (issue 4).
TARGET_P95_MS = 100.0
STARTUP_SECONDS = 60.0

#: Seconds a client keeps an idle connection: well under the server's keep-alive (``KEEP_ALIVE_S``).
CLIENT_KEEP_ALIVE_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def prepare(url: str, tier: str, snapshot_file: str | None) -> tuple[str, list[str]]:
    """Migrate, load the tier's snapshot when the database is empty, make a duty user's API key.

    Returns the key and the ids of the waiting requests.
    """
    migrate.upgrade(url)
    database = Database(url)
    try:
        with database.transaction() as session:
            repos = Repositories(session)
            if repos.snapshots.is_empty():
                repos.snapshots.import_snapshot(load_tier(tier, snapshot_file), actor="benchmark")
            if repos.users.by_username("benchmark") is None:
                repos.users.create("benchmark", PasswordHashing().hash(os.urandom(16).hex()), "duty")
            made = new_api_key()
            repos.users.add_api_key("benchmark", name="benchmark", prefix=made.prefix, key_hash=made.key_hash)
            waiting = [r.id for r in repos.requests.page(status="waiting", limit=500).items]
    finally:
        database.dispose()
    return made.key, waiting


def start_server(url: str, port: int, log_file: Path, workers: int) -> subprocess.Popen[bytes]:
    """``placematch serve`` in its own process(es), logs to a file (as a deployment would keep them)."""
    env = {**os.environ, "DATABASE_URL": url}
    command = ["serve", "--database", url, "--port", str(port), "--workers", str(workers)]
    with log_file.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli_service", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def wait_ready(base: str, process: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_file.read_text()}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {STARTUP_SECONDS:.0f} s")


#: Seconds a stopped server has to finish what it is doing (a batch run, say) before it is killed.
STOP_SECONDS = 60.0


@contextmanager
def served(url: str, folder: str, workers: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A ``placematch serve`` on a free loopback port, ready to answer: (base URL, process). Stopped after."""
    port = _free_port()
    log_file = Path(folder) / "serve.log"
    server = start_server(url, port, log_file, workers)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server, log_file)
        yield base, server
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()


async def load(
    base: str, key: str, requests: list[str], clients: int, seconds: float, top: int
) -> tuple[list[float], dict[str, int], float]:
    """Run the clients; returns latencies (ms) of successful calls, error counts by kind, and elapsed s.

    aiohttp rather than httpx: at 50 clients httpx's async client spent ~5 ms of CPU per call, as much
    as the server, so on two cores the load generator was measuring itself. Each latency is still one
    call end to end over loopback, from sending to the last byte of the body.
    """
    latencies: list[float] = []
    errors: dict[str, int] = {}
    order = itertools.cycle(requests)
    connector = aiohttp.TCPConnector(limit=clients, keepalive_timeout=CLIENT_KEEP_ALIVE_S)
    timeout = aiohttp.ClientTimeout(total=30.0)
    async with aiohttp.ClientSession(
        base_url=base, headers={"X-API-Key": key}, connector=connector, timeout=timeout
    ) as client:
        started = time.perf_counter()
        deadline = started + seconds
        params = {"top": str(top)}

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                request_id = next(order)
                sent = time.perf_counter()
                try:
                    async with client.post(f"/requests/{request_id}/rank", params=params) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as error:
                    errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
                    continue
                if status == 200:
                    latencies.append((time.perf_counter() - sent) * 1000)
                else:
                    errors[f"http_{status}"] = errors.get(f"http_{status}", 0) + 1

        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def run_load(
    base: str, key: str, requests: list[str], clients: int, seconds: float, top: int
) -> tuple[list[float], dict[str, int], float]:
    """``load`` on uvloop where there is one (the server's loop too), else asyncio's own."""
    try:
        import uvloop
    except ImportError:  # Windows: no uvloop
        return asyncio.run(load(base, key, requests, clients, seconds, top))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(load(base, key, requests, clients, seconds, top))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by a process and its descendants (``serve --workers``)."""
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def run(
    database: str | None,
    tier: str,
    snapshot_file: str | None,
    clients: int,
    seconds: float,
    top: int,
    workers: int,
    postgres: str | None = None,
) -> dict[str, object]:
    """The benchmark on ``database``, else on a scratch database of the PostgreSQL server ``postgres``
    (dropped afterwards), else on a fresh SQLite file."""
    if database is None and postgres is not None:
        with scratch_postgres_database(postgres, "placematch_bench_api") as url:
            return run(url, tier, snapshot_file, clients, seconds, top, workers)
    with tempfile.TemporaryDirectory(prefix="placematch-bench-") as folder:
        url = database or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        key, waiting = prepare(url, tier, snapshot_file)
        if not waiting:
            raise RuntimeError("no waiting requests to rank")
        with served(url, folder, workers) as (base, server):
            warm_started = time.perf_counter()
            for request_id in waiting:  # first rank of each request: build the index, rank, cache
                httpx.post(f"{base}/requests/{request_id}/rank", params={"top": top}, headers={"X-API-Key": key})
            warm_s = time.perf_counter() - warm_started
            # CPU is counted beside wall time: on a shared machine the wall-clock figures move with the
            # neighbours' load, while the server's CPU per call moves only with the service's own work.
            server_cpu = cpu_seconds(server.pid)
            client_cpu = time.process_time()
            latencies, errors, elapsed = run_load(base, key, waiting, clients, seconds, top)
            client_cpu = time.process_time() - client_cpu
            server_cpu = cpu_seconds(server.pid) - server_cpu
    values = np.asarray(latencies) if latencies else np.asarray([float("nan")])
    p95 = float(np.percentile(values, 95))
    total_errors = sum(errors.values())
    return {
        "database": url.split(":", 1)[0],
        "tier": tier,
        "requests_ranked": len(waiting),
        "clients": clients,
        "server_workers": workers,
        "seconds": round(elapsed, 1),
        "warm_up_s": round(warm_s, 2),
        "calls_ok": len(latencies),
        "throughput_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(p95, 1),
        "p99_ms": round(float(np.percentile(values, 99)), 1),
        "max_ms": round(float(values.max()), 1),
        "errors": total_errors,
        "errors_by_kind": errors,
        "client_cpu_pct": round(100 * client_cpu / elapsed, 1),
        "server_cpu_pct": round(100 * server_cpu / elapsed, 1),
        "client_cpu_ms_per_call": round(1000 * client_cpu / max(1, len(latencies) + total_errors), 2),
        "server_cpu_ms_per_call": round(1000 * server_cpu / max(1, len(latencies) + total_errors), 2),
        "machine_load_1min": round(os.getloadavg()[0], 2),
        "target": f"p95 <= {TARGET_P95_MS:.0f} ms and no errors",
        "target_met": bool(p95 <= TARGET_P95_MS and total_errors == 0),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks api", description=__doc__)
    parser.add_argument("--database", default=None, help="Database URL (default: a fresh temporary SQLite file).")
    parser.add_argument(
        "--postgres",
        default=None,
        metavar="URL",
        help="Run on a scratch database made on this PostgreSQL server and dropped after (e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test: the database named is only used to connect).",
    )
    parser.add_argument("--tier", choices=TIERS, default="county")
    parser.add_argument("--snapshot", default=None, help="Use this snapshot file instead of the tier's.")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1, help="Server processes (placematch serve --workers).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object.")
    args = parser.parse_args(argv)
    report = run(
        args.database, args.tier, args.snapshot, args.clients, args.seconds, args.top, args.workers, args.postgres
    )
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>20}: {value}")
    return 0
