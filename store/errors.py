"""What the store reports when a request cannot be met: a missing record or a conflicting change."""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's errors; the API turns each into a 4xx naming the field."""


class NotFound(StoreError):
    """No record of this kind with this id."""

    def __init__(self, kind: str, record_id: str | int) -> None:
        self.kind = kind
        self.record_id = str(record_id)
        super().__init__(f"no {kind} {record_id}")


class Conflict(StoreError):
    """The change clashes with the current state (a duplicate id, a record still in use, a taken bed...)."""

    def __init__(self, message: str, field: str | None = None, code: str = "conflict") -> None:
        self.message = message
        self.field = field
        self.code = code
        super().__init__(message)
