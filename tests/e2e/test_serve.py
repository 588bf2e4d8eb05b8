"""``placematch serve --demo`` as a real process: it migrates a fresh SQLite file, loads the demo county,
prints the demo password once, and answers a duty worker's rank over HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import builders
from tests.store.databases import BACKENDS, new_database

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The service on a free port and a fresh database: a temporary SQLite file given with ``--database``,
    or a new PostgreSQL database given as ``DATABASE_URL``. Yields its base URL and its stderr file."""
    with new_database(request.param, tmp_path) as database:
        yield from _serve(request.param, database, tmp_path)


def _serve(backend: str, database: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    log = tmp_path / "serve.err"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLACEMATCH_") and k != "DATABASE_URL"}
    command = [sys.executable, "-m", "api.cli", "serve", "--demo", "--port", str(port)]
    if backend == "sqlite":
        command += ["--database", database]
    else:
        env["DATABASE_URL"] = database
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.2)
        yield base, log
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_demo_then_rank_over_http(served: tuple[str, Path]) -> None:
    base, log = served
    found = re.search(r"demo users .*: password (\S+)", log.read_text())
    assert found, log.read_text()
    password = found.group(1)
    with httpx.Client(base_url=base, timeout=60) as client:
        assert client.get("/docs").status_code == 200
        assert client.get("/requests").status_code == 401
        login = client.post("/auth/token", data={"username": "duty", "password": password})
        assert login.status_code == 200, login.text
        duty = {"Authorization": f"Bearer {login.json()['access_token']}"}

        waiting = client.get("/requests", params={"status": "waiting", "limit": 1}, headers=duty).json()
        if waiting["total"] == 0:  # the demo county is not bundled: load a small snapshot instead
            admin = client.post("/auth/token", data={"username": "admin", "password": password}).json()
            small = builders.snapshot([builders.household("H1")], [builders.child("C1")], [builders.request("R1")])
            imported = client.post(
                "/snapshots/import",
                json=small.model_dump(mode="json"),
                headers={"Authorization": f"Bearer {admin['access_token']}"},
            )
            assert imported.status_code == 200, imported.text
            waiting = client.get("/requests", params={"status": "waiting", "limit": 1}, headers=duty).json()
        request_id = waiting["items"][0]["id"]

        ranked = client.post(f"/requests/{request_id}/rank", params={"top": 3}, headers=duty)
        assert ranked.status_code == 200, ranked.text
        answer = ranked.json()
        assert answer["request_id"] == request_id and answer["status"] in {"optimal", "feasible", "infeasible"}
        assert all(isinstance(o["recommendation_id"], int) for o in answer["options"])
        assert answer["options"] or answer["excluded"]
    assert "Traceback" not in log.read_text()
