"""Shared pieces of the repositories: paging and the session they work in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, Table, func, select
from sqlalchemy.orm import DeclarativeBase, Session

T = TypeVar("T")

#: Largest page a list endpoint serves, so one call cannot read a whole region's records.
MAX_PAGE = 500


def core_table(model: type[DeclarativeBase]) -> Table:
    """The Core table of a mapped class: hot inserts use it directly, skipping the ORM's bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the number of records matching the filters."""

    items: list[T]
    total: int


class Repository:
    """A repository works inside the caller's session and transaction; it never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _page(self, query: Select[Any], order_by: Sequence[Any], limit: int, offset: int) -> tuple[list[Any], int]:
        """Rows of one page of ``query`` and the total count of rows it matches."""
        total = self.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        rows = list(self.session.scalars(query.order_by(*order_by).limit(min(limit, MAX_PAGE)).offset(offset)))
        return rows, total
