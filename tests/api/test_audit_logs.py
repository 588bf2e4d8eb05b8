"""Audit events for every read of a child's record and every decision; logs free of personal data."""

from __future__ import annotations

import io
import logging
import sys

from api.logs import NoExceptionText, configure_logging
from tests import builders
from tests.api.conftest import Api
from tests.store.samples import CHILD_NAMES, rich_snapshot

REASON = "Amira's school is round the corner and Bilal's nursery too"


def _full_flow(api: Api) -> int:
    """What a duty worker does in a morning: read children, rank, ask why not, accept, decline."""
    api.load(rich_snapshot())
    home = builders.household("H4", wheelchair_accessible=True, approval={"skills": ["bsl"]})
    for key in ("hold", "current_children"):
        home.pop(key)
    assert api.post("admin", "/households", json=home).status_code == 201
    assert api.get("duty", "/children/C1").status_code == 200
    assert api.get("duty", "/children").status_code == 200
    rank = api.post("duty", "/requests/R1/rank").json()
    assert api.get("duty", "/requests/R1/why-not/H3").status_code == 200
    options = rank["options"]
    assert len(options) >= 1, rank
    accepted = options[0]["recommendation_id"]
    assert api.post("duty", f"/recommendations/{accepted}/accept", json={"reason": REASON}).status_code == 200
    second = api.post("manager", "/requests/R2/rank").json()
    if second["options"]:
        declined = second["options"][0]["recommendation_id"]
        response = api.post("manager", f"/recommendations/{declined}/decline", json={"reason": f"{REASON} (no)"})
        assert response.status_code == 200
    assert api.get("admin", "/snapshots/export").status_code == 200
    return int(accepted)


def test_reads_and_decisions_are_audited(api: Api) -> None:
    accepted = _full_flow(api)
    assert api.get("duty", "/audit").status_code == 403
    events = api.get("manager", "/audit", params={"limit": 500}).json()["items"]
    actions = [(e["actor"], e["action"], e["subject_id"]) for e in events]
    assert ("duty", "child.read", "C1") in actions
    assert ("duty", "child.list", None) in actions
    assert ("duty", "request.rank", "R1") in actions
    assert ("duty", "request.why_not", "R1") in actions
    assert ("admin", "snapshot.export", None) in actions
    decision = next(e for e in events if e["action"] == "recommendation.accept")
    assert decision["subject_id"] == str(accepted) and decision["reason"] == REASON
    assert decision["detail"]["request_id"] == "R1" and decision["at"]
    rank_event = next(e for e in events if e["action"] == "request.rank" and e["subject_id"] == "R1")
    assert rank_event["detail"]["children"] == ["C1", "C2"]
    only_mine = api.get("manager", "/audit", params={"actor": "duty", "action": "child.read"}).json()
    assert only_mine["total"] == 1


def test_logs_of_a_full_flow_hold_no_names_dates_of_birth_or_reasons(api: Api) -> None:
    """Everything logged anywhere in the process during a full flow, SQL statements included."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        _full_flow(api)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    text = stream.getvalue()
    assert '"event": "audit"' in text and '"action": "recommendation.accept"' in text, "logs were not captured"
    dates_of_birth = [c.date_of_birth.isoformat() for c in rich_snapshot().children]
    for secret in (*CHILD_NAMES, *dates_of_birth, REASON, "round the corner"):
        assert secret not in text, f"{secret!r} leaked into the logs"


def test_exception_logs_keep_the_type_but_not_the_message() -> None:
    try:
        raise ValueError("value 'Amira' is not valid")
    except ValueError:
        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application", (), None
        )
        record.exc_info = sys.exc_info()
    assert NoExceptionText().filter(record)
    text = logging.Formatter("%(message)s").format(record)
    assert text == "Exception in ASGI application [ValueError]"
    configure_logging()
    assert any(isinstance(f, NoExceptionText) for f in logging.getLogger("uvicorn.error").filters)
