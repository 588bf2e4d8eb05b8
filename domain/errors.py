"""Bad-input errors that name where the problem is: the file or endpoint, the record id and the field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem in an input: where (source, record, field) and what."""

    source: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.record}" if self.record else self.source
        field = f", field {self.field}" if self.field else ""
        return f"{where}{field}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"source": self.source, "record": self.record, "field": self.field, "message": self.message}


class InputError(ValueError):
    """Raised for input that cannot be used; the CLI exits 2 with it, the API answers 4xx."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def one(cls, source: str, record: str, field: str, message: str) -> InputError:
        return cls([Problem(source, record, field, message)])


def read_input_file(path: str | Path) -> str:
    """The text of an input file; an unreadable file is an ``InputError`` naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError.one(str(path), "", "", f"cannot read the file: {error.strerror}") from None
