"""SSDA903 import: a council's looked-after-children returns (``header`` and ``episodes`` CSVs of several
years) read, checked and turned into a demand model for planning (``planning.demand.DemandModel``).

Tolerant of what real returns look like (a byte-order mark, Windows code page, spaces around values,
lower-case codes, ``dd/mm/yyyy`` or ISO dates, an episode repeated in the next year's file with its end
date filled in) but strict on codes and dates: every bad code, date or impossible interval is reported
with its file, row and column, and nothing is imported until there are none.

Codes and their meaning are those of the DfE SSDA903 guidance (the published validator's code lists:
PLACE rule 146, RNE rule 143, LS rule 144, REC rule 149, REASON_PLACE_CHANGE rule 1009). Only
pseudonymous child ids are read; nothing about a child is logged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from domain.ages import age_on
from domain.errors import InputError, Problem
from planning.demand import (
    AGE_BAND_LABELS,
    CATEGORIES,
    DEFAULT_MEAN_DAYS,
    DemandModel,
    DurationCurve,
    YearObservation,
    age_band,
    collection_year,
    kaplan_meier,
    read_model,
    write_model,
)

__all__ = ["import_directory", "read_model", "read_return", "write_model"]

# --- codes of the return ---------------------------------------------------------------------------

SEX_CODES = frozenset({"1", "2"})  # 1 male, 2 female
ETHNIC_CODES = frozenset(
    {
        "WBRI", "WIRI", "WOTH", "WIRT", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN", "ABAN", "AOTH",
        "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
    }
)  # fmt: skip
#: Reason for new episode: S started to be looked after; L legal status only; P placement and carer;
#: T placement, same carer; B legal status, placement and carer; U legal status and placement, same carer.
RNE_CODES = frozenset({"S", "L", "P", "T", "B", "U"})
#: Legal status (V3/V4: agreed series of short breaks).
LS_CODES = frozenset({"C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3"})
SHORT_BREAK_LS = frozenset({"V3", "V4"})
REMAND_LS = frozenset({"J1", "J2", "J3"})
CIN_CODES = frozenset({f"N{i}" for i in range(1, 9)})
#: Placement type (K3 was added to the valid list for 2024-25; its meaning is not in the guidance held
#: here, so it counts as "other").
PLACE_CODES = frozenset(
    {
        "A3", "A4", "A5", "A6", "H5", "K1", "K2", "K3", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
        "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
    }
)  # fmt: skip
#: Placement provider: PR0 parents, PR1 the council's own provision, PR2 another council, PR3 other public,
#: PR4 private, PR5 voluntary/third sector.
PROVIDER_CODES = frozenset({"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"})
REC_CODES = frozenset(
    {
        "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48", "E5", "E6", "E7",
        "E8", "E9", "E14", "E15", "E16", "E17", "X1",
    }
)  # fmt: skip
REASON_PLACE_CHANGE_CODES = frozenset(
    {"CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CREQO", "CHILD", "LAREQ", "PLACE", "CUSTOD", "OTHER"}
)
#: Episode ends and a new one begins the same day (any other REC ends the period of care).
REC_CONTINUES = "X1"

KINSHIP_PLACES = frozenset({"U1", "U2", "U3"})  # foster placement with relatives or friends
OTHER_FOSTER_PLACES = frozenset({"U4", "U5", "U6"})  # foster placement with other foster carers
#: Children's homes, secure homes, residential care homes, NHS establishments, family centres and mother
#: and baby units, young offender institutions, residential schools.
RESIDENTIAL_PLACES = frozenset({"K1", "K2", "R1", "R2", "R3", "R5", "S1"})
IN_HOUSE_PROVIDERS = frozenset({"PR1"})
IFA_PROVIDERS = frozenset({"PR4", "PR5"})

HEADER_REQUIRED = ("CHILD", "SEX", "DOB", "ETHNIC")
EPISODES_REQUIRED = ("CHILD", "DECOM", "RNE", "LS", "PLACE", "PLACE_PROVIDER", "DEC", "REC")
EPISODES_OPTIONAL = ("CIN", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")
#: Column names seen in real extracts for the same field.
COLUMN_ALIASES = {"REASONPLACECHANGE": "REASON_PLACE_CHANGE", "PLACEPROVIDER": "PLACE_PROVIDER"}
#: Years of returns before this are not SSDA903 as it is now (U codes replaced Q codes in 2015).
EARLIEST_YEAR = 2015

_FILE_RE = re.compile(r"(header|episodes)\D*?(\d{4})?(\D.*)?\.csv$", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<!\d)(20\d{2})(?!\d)")


def category(place: str, provider: str | None) -> str:
    """Where the simulation counts a placement: in-house foster, IFA, kinship, residential or other."""
    if place in KINSHIP_PLACES:
        return "kinship"
    if place in OTHER_FOSTER_PLACES:
        if provider in IN_HOUSE_PROVIDERS:
            return "in_house"
        if provider in IFA_PROVIDERS:
            return "ifa"
        return "other"  # another council's or public carers
    if place in RESIDENTIAL_PLACES:
        return "residential"
    return "other"


# --- reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    child: str
    sex: str
    dob: dt.date
    mother: bool
    year: int
    ethnic: str | None = None


@dataclass(frozen=True)
class Episode:
    child: str
    decom: dt.date
    rne: str
    ls: str
    place: str
    provider: str | None
    dec: dt.date | None
    rec: str | None
    home_post: str | None
    year: int
    source: str
    row: int
    reason_place_change: str | None = None

    @property
    def category(self) -> str:
        return category(self.place, self.provider)


@dataclass
class Return903:
    """The rows of every file, checked, with repeated episodes merged (the latest year's version wins)."""

    headers: dict[str, Header]
    episodes: list[Episode]
    years: list[int]
    source: str
    files: list[str] = field(default_factory=list)


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def parse_date(value: str) -> dt.date | None:
    """A date as the return writes it (``dd/mm/yyyy``) or as ISO (``yyyy-mm-dd``); None if neither."""
    text = value.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    # A date exported by a spreadsheet with a time part: "2023-04-01 00:00:00".
    if len(text) > 10 and text[10] in " T":
        return parse_date(text[:10])
    return None


def _year_of(path: Path) -> int | None:
    """The collection year a file is for, from its name or its folder's name."""
    for text in (path.stem, path.parent.name):
        found = _YEAR_RE.findall(text)
        if found:
            return int(found[-1])
    return None


def find_files(directory: Path) -> tuple[dict[int, Path], dict[int, Path], list[Problem]]:
    """Header and episodes files by collection year (``header_2023.csv``, ``2023/episodes.csv``...)."""
    headers: dict[int, Path] = {}
    episodes: dict[int, Path] = {}
    problems: list[Problem] = []
    if not directory.is_dir():
        return headers, episodes, [Problem(str(directory), "", "", "not a directory")]
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.suffix.lower() != ".csv":
            continue
        match = _FILE_RE.search(path.name)
        if not match:
            continue
        kind = match.group(1).lower()
        year = _year_of(path)
        if year is None:
            problems.append(Problem(str(path), "", "", "cannot tell the collection year from the file or folder name"))
            continue
        table = headers if kind == "header" else episodes
        if year in table:
            problems.append(Problem(str(path), "", "", f"a second {kind} file for {year} (also {table[year]})"))
            continue
        table[year] = path
    if not episodes and not problems:
        problems.append(Problem(str(directory), "", "", "no episodes CSV found (expected e.g. episodes_2023.csv)"))
    for year in sorted(set(episodes) - set(headers)):
        problems.append(Problem(str(episodes[year]), "", "", f"no header file for {year}"))
    return headers, episodes, problems


def _rows(path: Path, required: Sequence[str], problems: list[Problem]) -> list[tuple[int, dict[str, str | None]]]:
    """The rows of a CSV as (row number, column -> stripped value or None), with columns normalised."""
    try:
        text = _decode(path)
    except OSError as error:
        problems.append(Problem(str(path), "", "", f"cannot read the file: {error.strerror}"))
        return []
    reader = csv.reader(io.StringIO(text))
    try:
        head = next(reader)
    except StopIteration:
        problems.append(Problem(str(path), "", "", "the file is empty"))
        return []
    names = [COLUMN_ALIASES.get(h.strip().upper(), h.strip().upper()) for h in head]
    missing = [c for c in required if c not in names]
    if missing:
        problems.append(Problem(str(path), "row 1", ", ".join(missing), "missing column(s)"))
        return []
    rows: list[tuple[int, dict[str, str | None]]] = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue  # blank lines at the end of exports
        record: dict[str, str | None] = {}
        for name, value in zip(names, values, strict=False):
            stripped = value.strip()
            record[name] = stripped or None
        rows.append((number, record))
    return rows


def _code(
    record: dict[str, str | None], column: str, codes: frozenset[str], where: tuple[str, int], problems: list[Problem]
) -> str | None:
    """A code column read as upper case; an unknown code is a problem."""
    value = record.get(column)
    if value is None:
        return None
    code = value.upper()
    if code.endswith(".0") and code[:-2].isdigit():  # "1.0" from a spreadsheet
        code = code[:-2]
    if code not in codes:
        shown = ", ".join(sorted(codes)) if len(codes) <= 12 else f"one of {len(codes)} codes of the guidance"
        problems.append(Problem(where[0], f"row {where[1]}", column, f"{value!r} is not a valid code ({shown})"))
        return None
    return code


def _date(
    record: dict[str, str | None], column: str, where: tuple[str, int], problems: list[Problem], required: bool
) -> dt.date | None:
    value = record.get(column)
    if value is None:
        if required:
            problems.append(Problem(where[0], f"row {where[1]}", column, "a date is required"))
        return None
    day = parse_date(value)
    if day is None:
        problems.append(Problem(where[0], f"row {where[1]}", column, f"{value!r} is not a date (dd/mm/yyyy)"))
    return day


def read_return(directory: str | Path) -> Return903:
    """Read and check every header and episodes file under ``directory``; raise ``InputError`` on any problem."""
    root = Path(directory)
    header_files, episode_files, problems = find_files(root)
    if problems:
        raise InputError(problems)
    headers: dict[str, Header] = {}
    for year in sorted(header_files):
        path = header_files[year]
        for number, record in _rows(path, HEADER_REQUIRED, problems):
            where = (str(path), number)
            child = record.get("CHILD")
            if child is None:
                problems.append(Problem(str(path), f"row {number}", "CHILD", "a child id is required"))
                continue
            sex = _code(record, "SEX", SEX_CODES, where, problems)
            dob = _date(record, "DOB", where, problems, required=True)
            ethnic = _code(record, "ETHNIC", ETHNIC_CODES, where, problems)
            if sex is None and record.get("SEX") is None:
                problems.append(Problem(str(path), f"row {number}", "SEX", "a code is required"))
            if dob is not None and dob > dt.date(year, 3, 31):
                problems.append(Problem(str(path), f"row {number}", "DOB", "date of birth after the year's end"))
            if sex is None or dob is None:
                continue
            mother = (record.get("MOTHER") or "").strip() in {"1", "1.0"}
            headers[child] = Header(child, sex, dob, mother, year, ethnic)  # the latest year's header wins

    by_key: dict[tuple[str, dt.date], Episode] = {}
    for year in sorted(episode_files):
        path = episode_files[year]
        seen_here: dict[tuple[str, dt.date], int] = {}
        for number, record in _rows(path, EPISODES_REQUIRED, problems):
            where = (str(path), number)
            child = record.get("CHILD")
            if child is None:
                problems.append(Problem(str(path), f"row {number}", "CHILD", "a child id is required"))
                continue
            decom = _date(record, "DECOM", where, problems, required=True)
            dec = _date(record, "DEC", where, problems, required=False)
            rne = _code(record, "RNE", RNE_CODES, where, problems)
            ls = _code(record, "LS", LS_CODES, where, problems)
            place = _code(record, "PLACE", PLACE_CODES, where, problems)
            provider = _code(record, "PLACE_PROVIDER", PROVIDER_CODES, where, problems)
            rec = _code(record, "REC", REC_CODES, where, problems)
            _code(record, "CIN", CIN_CODES, where, problems)
            change = _code(record, "REASON_PLACE_CHANGE", REASON_PLACE_CHANGE_CODES, where, problems)
            for column, value in (("RNE", rne), ("LS", ls), ("PLACE", place)):
                if value is None and record.get(column) is None:
                    problems.append(Problem(str(path), f"row {number}", column, "a code is required"))
            if place in OTHER_FOSTER_PLACES and provider is None and record.get("PLACE_PROVIDER") is None:
                problems.append(
                    Problem(str(path), f"row {number}", "PLACE_PROVIDER", "required for a foster placement (U4-U6)")
                )
            if decom is not None and dec is not None and dec < decom:
                problems.append(Problem(str(path), f"row {number}", "DEC", f"ends ({dec}) before it starts ({decom})"))
            if dec is not None and rec is None and record.get("REC") is None:
                problems.append(Problem(str(path), f"row {number}", "REC", "an ended episode needs a reason"))
            if decom is not None and decom > dt.date(year, 3, 31):
                problems.append(Problem(str(path), f"row {number}", "DECOM", f"starts after the {year} return's end"))
            if decom is None or rne is None or ls is None or place is None:
                continue
            if child not in headers:
                problems.append(Problem(str(path), f"row {number}", "CHILD", "no header row for this child"))
                continue
            if decom < headers[child].dob:
                problems.append(Problem(str(path), f"row {number}", "DECOM", "starts before the child's birth"))
                continue
            key = (child, decom)
            if key in seen_here:
                problems.append(
                    Problem(
                        str(path), f"row {number}", "DECOM", f"a second episode starting {decom} (row {seen_here[key]})"
                    )
                )
                continue
            seen_here[key] = number
            home = record.get("HOME_POST")
            by_key[key] = Episode(
                child,
                decom,
                rne,
                ls,
                place,
                provider,
                dec,
                rec,
                home.upper() if home else None,
                year,
                str(path),
                number,
                change,
            )
    episodes = sorted(by_key.values(), key=lambda e: (e.child, e.decom))
    _check_sequences(episodes, problems)
    if problems:
        raise InputError(problems)
    return Return903(
        headers=headers,
        episodes=episodes,
        years=sorted(episode_files),
        source=str(root),
        files=[str(p) for p in [*header_files.values(), *episode_files.values()]],
    )


def _check_sequences(episodes: Sequence[Episode], problems: list[Problem]) -> None:
    """Episodes of one child must not overlap (an open episode followed by another is a bad return)."""
    for previous, current in itertools.pairwise(episodes):
        if previous.child != current.child:
            continue
        if previous.dec is None or previous.dec > current.decom:
            problems.append(
                Problem(
                    current.source,
                    f"row {current.row}",
                    "DECOM",
                    f"overlaps the child's episode starting {previous.decom} ({Path(previous.source).name} "
                    f"row {previous.row})",
                )
            )


# --- spells: one child with one carer --------------------------------------------------------------


@dataclass(frozen=True)
class Spell:
    """Consecutive episodes with the same carers (legal-status changes and same-carer moves merged)."""

    child: str
    start: dt.date
    end: dt.date | None
    category: str
    dob: dt.date
    moved: bool  # ended in another placement the same day
    left_care: bool
    first_of_period: bool
    home_post: str | None
    ls: str
    mother: bool
    sex: str
    reason_place_change: str | None = None  # of the spell's last episode: why it ended in a move

    @property
    def age_at_start(self) -> int:
        return age_on(self.dob, self.start)

    def duration_days(self, censor: dt.date) -> tuple[float, bool]:
        """Days in placement up to ``censor`` and whether it had ended by then."""
        if self.end is not None and self.end <= censor:
            return float(max(1, (self.end - self.start).days)), True
        return float(max(1, (censor - self.start).days)), False


SAME_CARER_RNE = frozenset({"L", "T", "U"})


def spells(data: Return903) -> list[Spell]:
    """Every placement spell of every child, in child then date order."""
    result: list[Spell] = []
    by_child: defaultdict[str, list[Episode]] = defaultdict(list)
    for episode in data.episodes:
        by_child[episode.child].append(episode)
    for child, items in by_child.items():
        header = data.headers[child]
        group: list[Episode] = []
        for episode in items:
            contiguous = bool(group) and group[-1].dec == episode.decom and group[-1].rec == REC_CONTINUES
            same = contiguous and episode.rne in SAME_CARER_RNE and episode.category == group[-1].category
            if group and not same:
                result.append(_spell(group, header, contiguous))
                group = []
            group.append(episode)
        if group:
            result.append(_spell(group, header, False))
    return result


def _spell(group: Sequence[Episode], header: Header, moved: bool) -> Spell:
    first, last = group[0], group[-1]
    return Spell(
        child=first.child,
        start=first.decom,
        end=last.dec,
        category=first.category,
        dob=header.dob,
        moved=moved,
        left_care=last.dec is not None and not moved,
        first_of_period=first.rne == "S",
        home_post=first.home_post,
        ls=first.ls,
        mother=header.mother,
        sex=header.sex,
        reason_place_change=last.reason_place_change,
    )


# --- the demand model --------------------------------------------------------------------------------


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of collection year ``year`` (1 April to 31 March)."""
    return dt.date(year - 1, 4, 1), dt.date(year, 3, 31)


def observe(all_spells: Sequence[Spell], years: Iterable[int]) -> dict[str, YearObservation]:
    """Entries, leavers and the 31 March stock by category and age band, for each year."""
    result: dict[str, YearObservation] = {}
    for year in years:
        first, last = year_bounds(year)
        entries = sum(
            1 for s in all_spells if s.first_of_period and s.ls not in SHORT_BREAK_LS and first <= s.start <= last
        )
        leavers = sum(1 for s in all_spells if s.left_care and s.end is not None and first <= s.end <= last)
        stock: Counter[str] = Counter()
        by_band: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for s in all_spells:
            if s.ls in SHORT_BREAK_LS or s.start > last or (s.end is not None and s.end <= last):
                continue
            stock[s.category] += 1
            by_band[s.category][age_band(age_on(s.dob, last))] += 1
        result[str(year)] = YearObservation(
            entries=entries,
            leavers=leavers,
            stock={c: int(stock.get(c, 0)) for c in CATEGORIES},
            stock_by_band={c: {b: int(by_band[c].get(b, 0)) for b in AGE_BAND_LABELS} for c in CATEGORIES},
        )
    return result


#: Growth of entries is fitted only with at least this many years (three noisy points give a slope that is
#: mostly noise), and clipped to this range a year.
MIN_YEARS_FOR_GROWTH = 4
GROWTH_LIMIT = 0.2


def build_model(data: Return903, before_year: int | None = None) -> DemandModel:
    """Fit the demand model on the collection years of ``data`` (only those before ``before_year`` if given).

    Nothing after the last fitted year is read: open spells are censored at its 31 March.
    """
    years = [y for y in data.years if before_year is None or y < before_year]
    if not years:
        raise InputError.one(data.source, "", "years", f"no collection year before {before_year} to fit on")
    first_day, _ = year_bounds(years[0])
    _, last_day = year_bounds(years[-1])
    every = spells(data)
    seen = [s for s in every if s.start <= last_day]
    # An end after the fitted window is not known yet: the spell is open on the last day.
    visible = [
        s if s.end is None or s.end <= last_day else replace(s, end=None, moved=False, left_care=False) for s in seen
    ]
    fitted = [s for s in visible if s.start >= first_day]
    # Spells already under way on the first day inform durations too (left-truncated, delayed entry).
    under_way = [s for s in visible if s.start < first_day and (s.end is None or s.end >= first_day)]
    n_years = len(years)

    entries = [s for s in fitted if s.first_of_period and s.ls not in SHORT_BREAK_LS]
    by_band = Counter(age_band(s.age_at_start) for s in entries)
    per_year = Counter(collection_year(s.start) for s in entries)
    months = Counter(s.start.month for s in entries)
    mean_month = len(entries) / 12 if entries else 1.0
    month_factors = [round(months.get(m, 0) / mean_month, 4) if entries else 1.0 for m in range(1, 13)]

    growth = 0.0
    if n_years >= MIN_YEARS_FOR_GROWTH and all(per_year.get(y, 0) > 0 for y in years):
        slope = float(np.polyfit(np.asarray(years, dtype=float), np.log([per_year[y] for y in years]), 1)[0])
        growth = max(-GROWTH_LIMIT, min(GROWTH_LIMIT, math.exp(slope) - 1.0))

    groups: Counter[tuple[dt.date, str]] = Counter()
    singles = 0
    for s in entries:
        if s.home_post:
            groups[(s.start, s.home_post)] += 1
        else:
            singles += 1
    sizes = Counter(groups.values())
    if singles:
        sizes[1] += singles
    n_groups = sum(sizes.values()) or 1

    mix: dict[str, dict[str, float]] = {}
    for band in AGE_BAND_LABELS:
        mine = Counter(s.category for s in entries if age_band(s.age_at_start) == band)
        total = sum(mine.values())
        pooled = Counter(s.category for s in entries)
        source = mine if total else pooled
        denominator = sum(source.values()) or 1
        mix[band] = {c: round(source.get(c, 0) / denominator, 6) for c in CATEGORIES}

    durations: dict[str, dict[str, DurationCurve]] = {}
    moves: dict[str, dict[str, float]] = {}
    for cat in CATEGORIES:
        durations[cat] = {}
        moves[cat] = {}
        for band in AGE_BAND_LABELS:
            mine_spells = [s for s in fitted if s.category == cat and age_band(s.age_at_start) == band]
            older = [s for s in under_way if s.category == cat and age_band(s.age_at_start) == band]
            pairs = [s.duration_days(last_day) for s in (*mine_spells, *older)]
            entered = [0.0] * len(mine_spells) + [float((first_day - s.start).days) for s in older]
            durations[cat][band] = kaplan_meier(
                [d for d, _ in pairs], [e for _, e in pairs], DEFAULT_MEAN_DAYS, entered
            )
            ended = [s for s in mine_spells if s.end is not None]
            moves[cat][band] = round(sum(s.moved for s in ended) / len(ended), 6) if ended else 0.0

    return DemandModel(
        source=data.source,
        years=years,
        entries_per_year={band: round(by_band.get(band, 0) / n_years, 4) for band in AGE_BAND_LABELS},
        growth_per_year=round(growth, 6),
        month_factors=month_factors,
        group_sizes={str(k): round(v / n_groups, 6) for k, v in sorted(sizes.items())},
        entry_mix=mix,
        durations=durations,
        move_probability=moves,
        female_share=round(sum(s.sex == "2" for s in entries) / len(entries), 6) if entries else 0.47,
        parent_and_child_share=round(sum(s.mother for s in entries) / len(entries), 6) if entries else 0.0,
        remand_share=round(sum(s.ls in REMAND_LS for s in entries) / len(entries), 6) if entries else 0.0,
        short_break_children_per_year=round(
            sum(1 for s in fitted if s.first_of_period and s.ls in SHORT_BREAK_LS) / n_years, 4
        ),
        observed=observe(visible, years),
    )


def moves_per_year(data: Return903) -> dict[str, int]:
    """Placement moves (a spell ending in another the same day), by collection year of the move."""
    counts = Counter(collection_year(s.end) for s in spells(data) if s.moved and s.end is not None)
    return {str(y): int(counts.get(y, 0)) for y in data.years}


def import_directory(directory: str | Path, before_year: int | None = None) -> tuple[DemandModel, Return903]:
    """Read, check and fit: the whole import as one call (nothing half-imported: it raises or returns)."""
    data = read_return(directory)
    return build_model(data, before_year), data
