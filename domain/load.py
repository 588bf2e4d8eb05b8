"""Loading and validating snapshot files: structure (pydantic) first, then references between records."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.errors import InputError, Problem, read_input_file
from domain.snapshot import Snapshot

_SECTIONS = {"households": "household", "children": "child", "requests": "request"}


def _problems_from_validation(error: ValidationError, raw: Any, source: str) -> list[Problem]:
    """Turn pydantic's error locations into (record id, field) pairs a person can find in the file."""
    problems = []
    for item in error.errors():
        loc = list(item["loc"])
        record = "snapshot"
        if len(loc) >= 2 and loc[0] in _SECTIONS and isinstance(loc[1], int):
            section, index = str(loc[0]), loc[1]
            record_id = None
            try:
                record_id = raw[section][index].get("id")
            except (AttributeError, IndexError, KeyError, TypeError):
                record_id = None
            label = _SECTIONS[section]
            record = f"{label} {record_id}" if isinstance(record_id, str) else f"{section}[{index}]"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc)
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(Problem(source, record, field, message))
    return problems


def check_references(snapshot: Snapshot, source: str) -> list[Problem]:
    """Ids that must be unique are unique and every request names children in the snapshot."""
    problems: list[Problem] = []
    for section, records in (
        ("household", snapshot.households),
        ("child", snapshot.children),
        ("request", snapshot.requests),
    ):
        counts = Counter(record.id for record in records)
        problems += [Problem(source, f"{section} {i}", "id", "id used twice") for i, n in counts.items() if n > 1]
    child_ids = {child.id for child in snapshot.children}
    waiting_for: dict[str, str] = {}
    for request in snapshot.requests:
        for child_id in request.children:
            if child_id not in child_ids:
                problems.append(
                    Problem(
                        source,
                        f"request {request.id}",
                        "children",
                        f"child {child_id} is not in the snapshot",
                    )
                )
            if request.status == "waiting":
                if child_id in waiting_for:
                    problems.append(
                        Problem(
                            source,
                            f"request {request.id}",
                            "children",
                            f"child {child_id} is already waiting in request {waiting_for[child_id]}",
                        )
                    )
                waiting_for[child_id] = request.id
    return problems


def parse_snapshot(raw: Any, source: str) -> Snapshot:
    """Validate a decoded JSON document as a snapshot; raise ``InputError`` naming every problem."""
    if not isinstance(raw, dict):
        raise InputError.one(source, "snapshot", "", "expected a JSON object at the top level")
    try:
        snapshot = Snapshot.model_validate(raw)
    except ValidationError as error:
        raise InputError(_problems_from_validation(error, raw, source)) from None
    problems = check_references(snapshot, source)
    if problems:
        raise InputError(problems)
    return snapshot


def load_snapshot(path: str | Path) -> Snapshot:
    """Read and validate a snapshot file."""
    source = str(path)
    text = read_input_file(path)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError.one(source, f"line {error.lineno}", "", f"not valid JSON: {error.msg}") from None
    return parse_snapshot(raw, source)
