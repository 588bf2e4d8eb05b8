"""Scalar types for values that arrive as JSON (snapshot files, API bodies) or in a query string.

A value must already be of the type the format names: pydantic's default (lax) mode would take ``0`` for
``false``, ``false`` for ``0``, ``"5"`` for ``5``, ``5.0`` for ``5`` and a number (seconds since 1970)
for a date. These types refuse all of that with pydantic's own error types, so an API answer is a 422
and a file an exit 2, each naming the field. A model made of them stays lax where JSON cannot differ
(lists from tuples, nested models from dicts), so Python code builds records as before, from Python
values: ``bool``, ``int`` (also for a float field: JSON has one number type), ``float``, ``date``.

FastAPI validates a decoded JSON body as Python data, where a strict ``date`` would refuse every string;
``IsoDate`` therefore takes a ``date`` or a ``YYYY-MM-DD`` string (JSON's form), nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator, Strict
from pydantic_core import PydanticCustomError

#: ``true`` or ``false`` only.
Bool = Annotated[bool, Strict()]
#: A whole number written without a fraction; not a boolean, a float or a string.
Int = Annotated[int, Strict()]
#: Any number (``420`` or ``420.5``); not a boolean or a string.
Float = Annotated[float, Strict()]

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DATETIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?$"
)


def _date_from_iso(value: object) -> object:
    """A ``YYYY-MM-DD`` string as a date; anything else goes on to the strict date check."""
    if not isinstance(value, str):
        return value
    if not _DATE.match(value):
        raise PydanticCustomError("date_parsing", "Input should be a date in the format YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:  # e.g. "day is out of range for month": never the value itself
        raise PydanticCustomError(
            "date_parsing", "Input should be a valid date: {error}", {"error": str(error)}
        ) from None


def _datetime_from_iso(value: object) -> object:
    """An ISO 8601 date and time (``2026-11-23T09:30:00Z``) as a datetime; anything else goes on."""
    if not isinstance(value, str):
        return value
    if not _DATETIME.match(value):
        raise PydanticCustomError(
            "datetime_parsing", "Input should be a date and time in the format YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]"
        )
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise PydanticCustomError(
            "datetime_parsing", "Input should be a valid date and time: {error}", {"error": str(error)}
        ) from None


#: A calendar date: ``YYYY-MM-DD`` in JSON and query strings, a ``date`` from Python; never a number.
IsoDate = Annotated[dt.date, Strict(), BeforeValidator(_date_from_iso)]
#: A date and time: ISO 8601 in JSON and query strings, a ``datetime`` from Python; never a number.
IsoDateTime = Annotated[dt.datetime, Strict(), BeforeValidator(_datetime_from_iso)]
