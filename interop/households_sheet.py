"""Carer import: fostering households from a spreadsheet (CSV or XLSX) exported by a case management system.

One row per household, one header row naming the columns of ``COLUMNS`` (any order, any case; spaces
and hyphens count as underscores). Lists are separated by ``;`` (or ``,`` or ``|``). Vocabulary values
are the snapshot format's ids, written as people write them: ``Short term``, ``In-house``, ``IFA``.
A household's place is its address postcode (resolved with the loaded postcode table), or ``lat`` and
``lon``. The layout is documented in ``docs/interop.md``.

Every problem is reported with its row (as the spreadsheet numbers it: the header is row 1), its column,
the value and why, before anything is written; the caller writes the households in one transaction.
Holds and current children are not spreadsheet columns: an existing household keeps its own.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.errors import InputError, Problem
from domain.snapshot import Household
from domain.vocab import CARER_TYPES, GENDERS, PLACEMENT_KINDS, RISKS, SKILLS
from interop.postcodes import Locator, Place, parse_place, resolve, unknown_place_message

#: Household statuses a spreadsheet may give.
STATUSES = ("active", "on_hold", "deregistered")
PROVIDERS = ("in_house", "ifa")
_XLSX_MAGIC = b"PK\x03\x04"
_LIST_SEPARATORS = re.compile(r"[;,|]")


@dataclass(frozen=True)
class Column:
    """One column of the carer spreadsheet: its header, what it holds and where it goes in a household."""

    name: str
    kind: str  # id, ids, text, texts, int, number, bool, date, choice, choices, place, coordinate
    target: str  # the snapshot field (dotted path) it fills
    required: bool = False
    default: str = ""
    vocabulary: tuple[str, ...] = ()
    help: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("household_id", "id", "id", True, help="Household id: letters, digits and _ . : - (H001)."),
    Column("provider", "choice", "provider", True, vocabulary=PROVIDERS, help="In-house or IFA."),
    Column("carer_type", "choice", "carer_type", True, vocabulary=CARER_TYPES, help="Kind of carers."),
    Column("status", "choice", "status", default="active", vocabulary=STATUSES, help="Whether it can take children."),
    Column("weekly_cost_gbp", "number", "weekly_cost_gbp", True, help="Weekly cost of one placement, £ (420, £1,050)."),
    Column("placement_kinds", "choices", "approval.placement_kinds", True, vocabulary=PLACEMENT_KINDS,
           help="Approved kinds of placement."),
    Column("age_min", "int", "approval.age_min", True, help="Youngest approved age, whole years."),
    Column("age_max", "int", "approval.age_max", True, help="Oldest approved age, whole years."),
    Column("max_children", "int", "approval.max_children", True, help="Approved number of foster children."),
    Column("max_sibling_group", "int", "approval.max_sibling_group", default="1",
           help="Largest sibling group placed together; 1 = not sibling-approved."),
    Column("genders", "choices", "approval.genders", vocabulary=GENDERS, help="Approved genders; empty = any."),
    Column("skills", "choices", "approval.skills", vocabulary=SKILLS, help="Skills and adaptations offered."),
    Column("manages_risks", "choices", "approval.manages_risks", vocabulary=RISKS,
           help="Risks the carers are approved to manage."),
    Column("named_children", "ids", "approval.named_children", help="Connected carers: the children approved for."),
    Column("exemption_max_children", "int", "approval.exemption.max_children",
           help="Exemption from the limit of three: children allowed."),
    Column("exemption_named_children", "ids", "approval.exemption.named_children",
           help="Exemption: the children it is granted for."),
    Column("exemption_expires", "date", "approval.exemption.expires", help="Exemption: last valid day (inclusive)."),
    Column("postcode", "place", "location", help="Address postcode (or district, or lat,lon); or use lat and lon."),
    Column("lat", "coordinate", "location.lat", help="Latitude (WGS84), with lon, instead of a postcode."),
    Column("lon", "coordinate", "location.lon", help="Longitude (WGS84), with lat, instead of a postcode."),
    Column("bedrooms_free", "int", "bedrooms_free", True, help="Bedrooms free for foster children."),
    Column("shared_bedroom_allowed", "bool", "shared_bedroom_allowed", default="no",
           help="Siblings may share, two to a room."),
    Column("smoking", "bool", "smoking", default="no", help="Someone in the household smokes."),
    Column("pets", "texts", "pets", help="Animals living there (dog; cat)."),
    Column("wheelchair_accessible", "bool", "wheelchair_accessible", default="no", help="Adapted for a wheelchair."),
    Column("languages", "texts", "languages", help="Languages spoken at home (ISO 639-1: en; pl)."),
    Column("religion", "text", "religion", help="Religion of the household, if stated."),
    Column("do_not_place", "ids", "do_not_place", help="Children never to be placed here."),
    Column("preferred_age_min", "int", "preferences.age_min", help="Carers' preferred youngest age (scored)."),
    Column("preferred_age_max", "int", "preferences.age_max", help="Carers' preferred oldest age (scored)."),
    Column("preferred_genders", "choices", "preferences.genders", vocabulary=GENDERS,
           help="Carers' preferred genders (scored)."),
)  # fmt: skip
COLUMNS_BY_NAME = {c.name: c for c in COLUMNS}
#: Other headers councils' exports use for the same columns.
ALIASES = {
    "id": "household_id",
    "household": "household_id",
    "address_postcode": "postcode",
    "post_code": "postcode",
    "weekly_cost": "weekly_cost_gbp",
    "cost": "weekly_cost_gbp",
    "latitude": "lat",
    "longitude": "lon",
    "long": "lon",
}
_BY_TARGET = {c.target: c.name for c in COLUMNS}
_EXEMPTION = ("exemption_max_children", "exemption_named_children", "exemption_expires")
_PREFERENCES = ("preferred_age_min", "preferred_age_max", "preferred_genders")


def _word(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


# --- reading cells ----------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text, the way a person reads it (3.0 is 3, a date cell is its ISO date)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _rows_from_xlsx(data: bytes, source: str) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # imported here: only XLSX files need it

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # a damaged or foreign zip fails in many ways; each means "not a workbook"
        raise InputError.one(source, "", "", f"not a readable XLSX workbook ({type(error).__name__})") from None
    number = 0
    try:
        names = {name.strip().lower(): name for name in workbook.sheetnames}
        sheet = workbook[names["households"]] if "households" in names else workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # exporters often write a wrong dimension; read every row there is
        for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, [_cell_text(v) for v in row]
    except InputError:
        raise
    except Exception as error:
        raise InputError.one(
            source, f"row {number + 1}", "", f"cannot read the workbook ({type(error).__name__})"
        ) from None
    finally:
        workbook.close()


def _rows_from_csv(data: bytes, source: str) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in row]
    except csv.Error as error:
        raise InputError.one(source, f"row {reader.line_num}", "", f"not valid CSV: {error}") from None


def sheet_rows(data: bytes, source: str) -> Iterator[tuple[int, list[str]]]:
    """Numbered rows of cells as text from a CSV or XLSX file's bytes (told apart by content, not name)."""
    if data.startswith(_XLSX_MAGIC):
        return _rows_from_xlsx(data, source)
    return _rows_from_csv(data, source)


# --- parsing values ---------------------------------------------------------------------------------


def _parse(column: Column, text: str) -> Any:
    """A cell's value for the household record; ``ValueError`` says why it cannot be."""
    kind = column.kind
    if kind in ("id", "text"):
        return text
    if kind == "int":
        try:
            number = _number(text)
        except ValueError:
            raise ValueError("not a whole number") from None
        if not number.is_integer():
            raise ValueError("not a whole number")
        return int(number)
    if kind in ("number", "coordinate"):
        return _number(text)
    if kind == "bool":
        word = _word(text)
        if word in ("yes", "y", "true", "1"):
            return True
        if word in ("no", "n", "false", "0"):
            return False
        raise ValueError("expected yes or no")
    if kind == "date":
        return _date(text)
    if kind == "choice":
        return _choice(column, text)
    if kind == "choices":
        return [_choice(column, item) for item in _items(text)]
    if kind in ("ids", "texts"):
        return _items(text)
    if kind == "place":
        return parse_place(text)
    raise AssertionError(f"unknown column kind {kind}")


def _number(text: str) -> float:
    cleaned = text.replace("£", "").replace(",", "").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError("not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a number")
    return value


def _date(text: str) -> dt.date:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError("not a date (2027-03-01 or 01/03/2027)")


def _items(text: str) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in _LIST_SEPARATORS.split(text) if item.strip()))


def _choice(column: Column, text: str) -> str:
    word = _word(text)
    if word in column.vocabulary:
        return word
    raise ValueError(f"{text.strip()!r} is not one of {', '.join(column.vocabulary)}")


def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        raw = raw.setdefault(part, {})
    raw[parts[-1]] = value


# --- the sheet --------------------------------------------------------------------------------------


@dataclass
class SheetRow:
    """One household row as read: its number, its cells by column, and what they became."""

    number: int
    cells: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    place: Place | None = None

    @property
    def label(self) -> str:
        household_id = self.cells.get("household_id", "")
        return f"row {self.number}" + (f" (household {household_id})" if household_id else "")


@dataclass(frozen=True)
class HouseholdSheet:
    """The households of a spreadsheet, valid and located, in file order."""

    households: list[Household]
    rows: dict[str, int]  # household id -> row number


def _header(cells: list[str], source: str) -> tuple[list[str | None], list[Problem]]:
    problems = []
    names: list[str | None] = []
    for cell in cells:
        word = _word(cell)
        name = ALIASES.get(word, word)
        if not word:
            names.append(None)
        elif name not in COLUMNS_BY_NAME:
            problems.append(Problem(source, "row 1", cell, "unknown column (see docs/interop.md for the layout)"))
            names.append(None)
        else:
            names.append(name)
    for name, count in Counter(n for n in names if n).items():
        if count > 1:
            problems.append(Problem(source, "row 1", name, "column given twice"))
    missing = [c.name for c in COLUMNS if c.required and c.name not in names]
    problems += [Problem(source, "row 1", name, "required column missing") for name in missing]
    has_place = "postcode" in names or ("lat" in names and "lon" in names)
    if not has_place:
        problems.append(Problem(source, "row 1", "postcode", "required column missing (or give lat and lon)"))
    return names, problems


def _read_row(row: SheetRow, source: str) -> list[Problem]:
    problems = []
    for name, text in row.cells.items():
        column = COLUMNS_BY_NAME[name]
        if not text:
            if column.required:
                problems.append(Problem(source, row.label, name, "empty; a value is required"))
            continue
        try:
            row.values[name] = _parse(column, text)
        except ValueError as error:
            why = str(error)
            message = why if why.startswith(repr(text)) else f"{text!r}: {why}"
            problems.append(Problem(source, row.label, name, message))
    for column in COLUMNS:
        if column.default and column.name not in row.values:
            row.values[column.name] = _parse(column, column.default)
    for low, high in (("age_min", "age_max"), ("preferred_age_min", "preferred_age_max")):
        if low in row.values and high in row.values and row.values[low] > row.values[high]:
            problems.append(Problem(source, row.label, low, f"{row.values[low]} is above {high} {row.values[high]}"))
    given = [n for n in _EXEMPTION if row.cells.get(n)]
    if given and len(given) < len(_EXEMPTION):
        for name in sorted(set(_EXEMPTION) - set(given)):
            problems.append(Problem(source, row.label, name, "an exemption needs all three exemption columns"))
    has_lat, has_lon = bool(row.cells.get("lat")), bool(row.cells.get("lon"))
    if has_lat != has_lon:
        missing = "lon" if has_lat else "lat"
        problems.append(Problem(source, row.label, missing, "empty; lat and lon go together"))
    if not row.cells.get("postcode") and not (has_lat or has_lon):
        problems.append(Problem(source, row.label, "postcode", "empty; give the address postcode, or lat and lon"))
    return problems


def _raw_household(
    row: SheetRow, found: dict[str, tuple[float, float]], source: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The household as a snapshot record (a dict for pydantic), with the problems of its location."""
    problems: list[Problem] = []
    raw: dict[str, Any] = {"approval": {}}
    values = dict(row.values)
    place = values.pop("postcode", None)
    lat, lon = values.pop("lat", None), values.pop("lon", None)
    for name, value in values.items():
        column = COLUMNS_BY_NAME[name]
        if name in _PREFERENCES or name in _EXEMPTION:
            continue
        _set(raw, column.target, value)
    if all(n in values for n in _EXEMPTION):
        raw["approval"]["exemption"] = {
            "max_children": values["exemption_max_children"],
            "named_children": values["exemption_named_children"],
            "expires": values["exemption_expires"],
        }
    preferences = {COLUMNS_BY_NAME[n].target.split(".")[1]: values[n] for n in _PREFERENCES if n in values}
    if preferences:
        raw["preferences"] = preferences
    if lat is not None and lon is not None:
        district = place.district if isinstance(place, Place) else None
        raw["location"] = {"lat": lat, "lon": lon, "postcode_district": district}
    elif isinstance(place, Place):
        try:
            raw["location"] = resolve(place, found).model_dump()
        except KeyError:
            problems.append(
                Problem(source, row.label, "postcode", f"{row.cells['postcode']!r}: {unknown_place_message(place)}")
            )
    return raw, problems


def _column_of(loc: Sequence[int | str]) -> str:
    """The spreadsheet column behind a pydantic error location (the nearest one that has a column)."""
    path = [str(p) for p in loc if not isinstance(p, int)]
    for n in range(len(path), 0, -1):
        target = ".".join(path[:n])
        if target in _BY_TARGET:
            return _BY_TARGET[target]
        if target == "approval.exemption":
            return "exemption_max_children"
        if target == "preferences":
            return "preferred_age_min"
        if target == "approval":
            return "age_min"  # the approval's own check: ages in order
    return ".".join(path)


def read_households(data: bytes, source: str, locate: Locator) -> HouseholdSheet:
    """Every household of a carer spreadsheet's bytes; ``InputError`` listing every problem (row, column,
    value, why) when there is any. ``locate`` resolves the postcodes (one call for the whole file)."""
    problems: list[Problem] = []
    rows: list[SheetRow] = []
    names: list[str | None] = []
    for number, cells in sheet_rows(data, source):
        if number == 1:
            names, header_problems = _header(cells, source)
            if any(p.message.startswith("required column missing") for p in header_problems):
                raise InputError(header_problems)
            problems += header_problems
            continue
        if not any(cells):
            continue
        if len(cells) > len(names) and any(cells[len(names) :]):
            problems.append(Problem(source, f"row {number}", "", f"{len(cells)} cells; the header has {len(names)}"))
        row = SheetRow(number, {n: cells[i] if i < len(cells) else "" for i, n in enumerate(names) if n})
        problems += _read_row(row, source)
        rows.append(row)
    if not names:
        raise InputError.one(source, "row 1", "", "the file is empty: expected a header row (see docs/interop.md)")
    if not rows:
        raise InputError.one(source, "row 2", "", "no households below the header")

    seen: dict[str, int] = {}
    for row in rows:
        household_id = row.cells.get("household_id", "")
        if household_id in seen:
            problems.append(
                Problem(source, row.label, "household_id", f"{household_id!r}: also on row {seen[household_id]}")
            )
        elif household_id:
            seen[household_id] = row.number

    places = {p.key for row in rows if isinstance(p := row.values.get("postcode"), Place) and p.kind != "coordinates"}
    found = dict(locate(places)) if places else {}
    households: list[Household] = []
    for row in rows:
        raw, location_problems = _raw_household(row, found, source)
        problems += location_problems
        try:
            households.append(Household.model_validate(raw))
        except ValidationError as error:
            flagged = {p.field for p in problems if p.record == row.label}
            for item in error.errors():
                column = _column_of(item["loc"])
                if column in flagged or (item["type"] == "missing" and column in COLUMNS_BY_NAME):
                    continue  # already reported: the cell was empty or could not be read
                value = row.cells.get(column, "")
                message = "unknown field" if item["type"] == "extra_forbidden" else item["msg"]
                problems.append(Problem(source, row.label, column, f"{value!r}: {message}" if value else message))
    if problems:
        raise InputError(sorted(problems, key=lambda p: _row_number(p.record)))
    return HouseholdSheet(households, {h.id: row.number for h, row in zip(households, rows, strict=True)})


def _row_number(record: str) -> int:
    match = re.match(r"row (\d+)", record)
    return int(match.group(1)) if match else 0


def read_households_file(path: str | Path, locate: Locator) -> HouseholdSheet:
    """``read_households`` for a file on disk (``.csv`` or ``.xlsx``)."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise InputError.one(source, "", "", f"cannot read the file: {error.strerror}") from None
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".txt"):
        raise InputError.one(source, "", "", f"expected a .csv or .xlsx file, not {suffix or 'no extension'}")
    if suffix == ".xlsx" and not data.startswith(_XLSX_MAGIC):
        raise InputError.one(source, "", "", "not an XLSX workbook (an .xls file? save it as .xlsx or CSV)")
    return read_households(data, source, locate)


def merge_existing(
    sheet: HouseholdSheet, existing: Callable[[list[str]], dict[str, Household]]
) -> tuple[list[Household], list[str], list[str]]:
    """The sheet's households with the holds and current children of those already on record.

    Returns (households to write, ids created, ids updated).
    """
    known = existing([h.id for h in sheet.households])
    merged, created, updated = [], [], []
    for household in sheet.households:
        before = known.get(household.id)
        if before is None:
            merged.append(household)
            created.append(household.id)
        else:
            merged.append(
                household.model_copy(update={"hold": before.hold, "current_children": before.current_children})
            )
            updated.append(household.id)
    return merged, created, updated
