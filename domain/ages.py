"""Whole-year ages (DESIGN.md precise reading 2)."""

from __future__ import annotations

import datetime as dt


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Age in whole years on ``day``. Born 29 February: a year older on 1 March in a common year."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


def short_date(day: dt.date) -> str:
    """A date as a duty worker writes it: ``24 Nov``."""
    return f"{day.day} {day.strftime('%b')}"
