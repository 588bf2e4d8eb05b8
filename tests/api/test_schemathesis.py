"""Property-based fuzzing of every operation in the app's OpenAPI schema (schemathesis), at full depth.

Every operation, every method, on both databases, holding a small snapshot with open recommendations,
through all of schemathesis's phases: the schema's examples, the coverage phase (boundary values and
every way a parameter or body can be wrong: missing, wrong type, out of range, unexpected methods) and
property-based fuzzing, with valid and invalid data; then a stateful run that follows the links
schemathesis infers between operations (create a request, read it, rank it, decide...). Each call is
made as a role the operation allows, and schemathesis's checks apply: no 5xx; answers that match the
schema (status, content type, headers, body); an ``Allow`` header true to the path on 405; the route
refusing the call once its credentials are taken away or forged (``ignored_auth``); nothing readable
after it is deleted; a schema-violating request (a value of the wrong type, out of range, missing) refused
with a 4xx. One check is off, for the reason given in ``_config``.

The default run takes about a minute per database. ``PLACEMATCH_FUZZ_EXAMPLES=500`` (and optionally
``PLACEMATCH_FUZZ_STEPS``) runs it deeper, e.g. before a release; SECURITY.md says how.
"""

from __future__ import annotations

import os
import sys
from collections import Counter

import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, StopReason, events, from_schema

from tests.api.conftest import Api
from tests.api.test_roles import _routes
from tests.store.samples import rich_snapshot

#: Examples per operation and phase (the coverage phase makes its own, as many as the schema needs).
EXAMPLES = int(os.environ.get("PLACEMATCH_FUZZ_EXAMPLES", "25"))
#: Most steps in one stateful scenario.
STEPS = int(os.environ.get("PLACEMATCH_FUZZ_STEPS", "10"))
#: The role each operation is called as: the first of these it allows.
ROLE_ORDER = ("duty", "manager", "admin", "planner")
#: Operations that would start real work in the background on every valid example (the batch solve,
#: a Monte Carlo simulation): they have their own tests. Everything else is fuzzed.
SKIPPED = {("POST", "/batch"), ("POST", "/batch/runs"), ("POST", "/planning/runs")}


def _config(headers: dict[str, dict[str, str]]) -> SchemathesisConfig:
    """Every phase, valid and invalid data; each operation with the bearer token of a role it allows
    (as configured headers, so that schemathesis's ``ignored_auth`` check can take them away)."""
    return SchemathesisConfig.from_dict(
        {
            "seed": 20261123,
            "auth": {"auto-signup": False},  # the users exist: no signing up a random one through POST /users
            # No cache of earlier runs' cases (.schemathesis/ in the working tree): each run is the same run.
            "cache": {"enabled": False},
            "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none"},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": True, "max-steps": STEPS},
            },
            # Not applied: "valid data accepted" (the schema cannot say that age_min <= age_max, that ids must
            # exist or that an accepted recommendation cannot be accepted again: 404/409/422 are right there).
            # Applied: "invalid data refused", since input models and query dates are strict (no 0 for false,
            # false for 0, "3" for 3, or a number for a date: domain/jsontypes.py).
            "checks": {"positive_data_acceptance": {"enabled": False}, "negative_data_rejection": {"enabled": True}},
            "operations": [{"include-name": label, "headers": sent} for label, sent in headers.items()],
        }
    )


def _role_headers(app: FastAPI, api: Api) -> dict[str, dict[str, str]]:
    """``{"GET /households": {"Authorization": "Bearer ..."}}``: a token of the first role each route allows."""
    found = {}
    for method, path, allowed in _routes(app):
        if allowed is not None:
            found[f"{method} {path}"] = api.headers(next(r for r in ROLE_ORDER if r in allowed))
    return found


def test_every_operation_at_full_depth_answers_no_5xx_and_as_its_schema_says(app: FastAPI, api: Api) -> None:
    """Every phase, valid and invalid data, every default check: not one failure."""
    api.load(rich_snapshot())
    assert api.post("duty", "/requests/R1/rank").status_code == 200  # so that recommendations exist
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app, config=_config(_role_headers(app, api)))
    schema = loaded.exclude(lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in SKIPPED)

    scenarios: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    operations: set[str] = set()  # the operations that got at least one call
    failures: list[str] = []
    finished: events.EngineFinished | None = None
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.status != Status.SKIP:
            phase = str(event.phase.value if hasattr(event.phase, "value") else event.phase)
            scenarios[phase] += 1
            calls[phase] += len(event.recorder.interactions)
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    statuses[interaction.response.status_code] += 1
                operations.add(str(event.label))
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE:
                        case = event.recorder.cases[case_id].value
                        info = check.failure_info.failure if check.failure_info else None
                        failures.append(
                            f"{event.label} [{phase}] {check.name}: {getattr(info, 'title', info)}"
                            f" -- {case.method} {case.formatted_path} query={case.query} body={str(case.body)[:200]}"
                        )
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            failures.append(f"error: {event}")
        elif isinstance(event, events.EngineFinished):
            finished = event
    print(
        f"schemathesis: {sum(scenarios.values())} scenarios {dict(scenarios)}, {sum(calls.values())} calls"
        f" {dict(calls)}, statuses {dict(sorted(statuses.items()))}",
        file=sys.stderr,
    )
    assert finished is not None and finished.stop_reason == StopReason.COMPLETED
    assert not failures, "\n".join(sorted(set(failures))[:40])
    assert not [status for status in statuses if status >= 500]
    assert {"examples", "coverage", "fuzzing", "stateful"} <= set(scenarios), scenarios
    assert scenarios["fuzzing"] >= 40  # every operation but the skipped ones
    print(f"schemathesis: {len(operations)} operations called", file=sys.stderr)
