"""UK postcodes to coordinates, offline: reading postcode tables and resolving places given as postcodes.

A postcode table is read from a CSV in the column layout of the ONS Postcode Directory (ONSPD, or the
National Statistics Postcode Lookup: a header row with ``pcds``, ``lat`` and ``long``) or of OS
Code-Point Open (no header row; postcode, positional quality, eastings, northings, ...; British
National Grid coordinates, converted here to WGS84). The service stores the table (``store``) and
resolves places from it, so it never needs the internet.

A *place* in a council's file may be a full postcode (``LE1 5WW``), a postcode district (``LE1``: the
mean of the table's postcodes in it) or ``lat,lon`` in decimal degrees. Only the district of a postcode
is ever kept with a record (``domain.snapshot.Location``): a full postcode is close to an address.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from domain.errors import InputError, Problem
from domain.snapshot import Location

LatLon = tuple[float, float]
#: Looks up normalised postcodes and districts; answers only the keys it knows.
Locator = Callable[[Collection[str]], Mapping[str, LatLon]]

#: Problems reported from one file before the rest are only counted.
MAX_PROBLEMS = 100

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def normalise_postcode(text: str) -> str:
    """A full UK postcode in its standard form (``le15ww`` -> ``LE1 5WW``); ``ValueError`` if it is not one."""
    compact = re.sub(r"\s+", "", text).upper()
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = _POSTCODE.match(compact)
    if match is None:
        raise ValueError(f"{text.strip()!r} is not a UK postcode (like LE1 5WW)")
    return f"{match.group(1)} {match.group(2)}"


def district_of(postcode: str) -> str:
    """The outward code (district) of a normalised postcode: ``LE1 5WW`` -> ``LE1``."""
    return postcode.split(" ", 1)[0]


def is_district(text: str) -> bool:
    return _DISTRICT.match(text.strip().upper()) is not None


# --- places -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a record is, as written: a postcode or district to look up, or coordinates as given."""

    kind: Literal["postcode", "district", "coordinates"]
    key: str = ""
    lat: float = 0.0
    lon: float = 0.0

    @property
    def district(self) -> str | None:
        if self.kind == "postcode":
            return district_of(self.key)
        if self.kind == "district":
            return self.key
        return None


def parse_place(text: str) -> Place:
    """Read a place written as a postcode, a postcode district or ``lat,lon``; ``ValueError`` says why not."""
    coordinates = _COORDINATES.match(text)
    if coordinates is not None:
        lat, lon = float(coordinates.group(1)), float(coordinates.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"{text.strip()!r}: latitude or longitude out of range")
        return Place("coordinates", lat=lat, lon=lon)
    compact = re.sub(r"\s+", "", text).upper()
    if _DISTRICT.match(compact) and not _POSTCODE.match(compact):
        return Place("district", key=compact)
    try:
        return Place("postcode", key=normalise_postcode(text))
    except ValueError:
        raise ValueError(
            f"{text.strip()!r} is not a UK postcode (LE1 5WW), a postcode district (LE1) or lat,lon"
        ) from None


def resolve(place: Place, found: Mapping[str, LatLon]) -> Location:
    """The location of a place, given what a ``Locator`` found; ``KeyError`` when the table lacks it."""
    if place.kind == "coordinates":
        return Location(lat=place.lat, lon=place.lon)
    lat, lon = found[place.key]
    return Location(lat=round(lat, 6), lon=round(lon, 6), postcode_district=place.district)


def unknown_place_message(place: Place) -> str:
    """Why a postcode or district could not be resolved, and what to do about it."""
    what = "postcode" if place.kind == "postcode" else "postcode district"
    return (
        f"{what} {place.key} is not in the postcode table; "
        "load the ONS Postcode Directory with `placematch import-postcodes FILE.csv`, or give lat,lon"
    )


# --- British National Grid (OSGB36) to WGS84 ----------------------------------------------------------
# Ordnance Survey, "A guide to coordinate systems in Great Britain": transverse Mercator on the Airy 1830
# ellipsoid (annex C), then a seven-parameter Helmert transformation to WGS84 (section 6.6; about 5 m).

_AIRY = (6377563.396, 6356256.909)
_WGS84 = (6378137.0, 6356752.314245)
_F0 = 0.9996012717
_LAT0 = math.radians(49.0)
_LON0 = math.radians(-2.0)
_E0, _N0 = 400000.0, -100000.0
#: OSGB36 -> WGS84: translations (m), scale (ppm), rotations (arc seconds).
_HELMERT = (446.448, -125.157, 542.060, -20.4894, 0.1502, 0.2470, 0.8421)


def _meridional_arc(lat: float) -> float:
    a, b = _AIRY
    n = (a - b) / (a + b)
    d, s = lat - _LAT0, lat + _LAT0
    return (
        b
        * _F0
        * (
            (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
            - (3 * n + 3 * n**2 + 21 / 8 * n**3) * math.sin(d) * math.cos(s)
            + (15 / 8 * n**2 + 15 / 8 * n**3) * math.sin(2 * d) * math.cos(2 * s)
            - 35 / 24 * n**3 * math.sin(3 * d) * math.cos(3 * s)
        )
    )


def _radii(lat: float) -> tuple[float, float, float]:
    a, b = _AIRY
    e2 = 1 - b**2 / a**2
    sin2 = math.sin(lat) ** 2
    nu = a * _F0 / math.sqrt(1 - e2 * sin2)
    rho = a * _F0 * (1 - e2) / (1 - e2 * sin2) ** 1.5
    return nu, rho, nu / rho - 1


def grid_to_osgb36(easting: float, northing: float) -> LatLon:
    """National Grid eastings and northings (m) to latitude and longitude on OSGB36, in degrees."""
    a = _AIRY[0]
    lat, arc = _LAT0, 0.0
    while True:
        lat = (northing - _N0 - arc) / (a * _F0) + lat
        arc = _meridional_arc(lat)
        if abs(northing - _N0 - arc) < 0.00001:
            break
    nu, rho, eta2 = _radii(lat)
    tan, sec = math.tan(lat), 1 / math.cos(lat)
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * tan**2 + eta2 - 9 * tan**2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan**2 + 45 * tan**4)
    x = sec / nu
    xi = sec / (6 * nu**3) * (nu / rho + 2 * tan**2)
    xii = sec / (120 * nu**5) * (5 + 28 * tan**2 + 24 * tan**4)
    xiia = sec / (5040 * nu**7) * (61 + 662 * tan**2 + 1320 * tan**4 + 720 * tan**6)
    de = easting - _E0
    lat_out = lat - vii * de**2 + viii * de**4 - ix * de**6
    lon_out = _LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return math.degrees(lat_out), math.degrees(lon_out)


def osgb36_to_grid(lat_deg: float, lon_deg: float) -> tuple[float, float]:
    """Latitude and longitude on OSGB36 (degrees) to National Grid eastings and northings (m)."""
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    nu, rho, eta2 = _radii(lat)
    sin, cos, tan = math.sin(lat), math.cos(lat), math.tan(lat)
    i = _meridional_arc(lat) + _N0
    ii = nu / 2 * sin * cos
    iii = nu / 24 * sin * cos**3 * (5 - tan**2 + 9 * eta2)
    iiia = nu / 720 * sin * cos**5 * (61 - 58 * tan**2 + tan**4)
    iv = nu * cos
    v = nu / 6 * cos**3 * (nu / rho - tan**2)
    vi = nu / 120 * cos**5 * (5 - 18 * tan**2 + tan**4 + 14 * eta2 - 58 * tan**2 * eta2)
    dl = lon - _LON0
    northing = i + ii * dl**2 + iii * dl**4 + iiia * dl**6
    easting = _E0 + iv * dl + v * dl**3 + vi * dl**5
    return easting, northing


def _to_cartesian(lat: float, lon: float, ellipsoid: tuple[float, float]) -> tuple[float, float, float]:
    a, b = ellipsoid
    e2 = 1 - b**2 / a**2
    phi, lam = math.radians(lat), math.radians(lon)
    nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return nu * math.cos(phi) * math.cos(lam), nu * math.cos(phi) * math.sin(lam), (1 - e2) * nu * math.sin(phi)


def _from_cartesian(x: float, y: float, z: float, ellipsoid: tuple[float, float]) -> LatLon:
    a, b = ellipsoid
    e2 = 1 - b**2 / a**2
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    while True:
        nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        nxt = math.atan2(z + e2 * nu * math.sin(phi), p)
        if abs(nxt - phi) < 1e-12:
            break
        phi = nxt
    return math.degrees(nxt), math.degrees(math.atan2(y, x))


def _helmert(point: tuple[float, float, float], sign: float) -> tuple[float, float, float]:
    tx, ty, tz, s_ppm, rx, ry, rz = (sign * p for p in _HELMERT)
    s = s_ppm * 1e-6
    rx, ry, rz = (math.radians(r / 3600) for r in (rx, ry, rz))
    x, y, z = point
    return (
        tx + (1 + s) * x - rz * y + ry * z,
        ty + rz * x + (1 + s) * y - rx * z,
        tz - ry * x + rx * y + (1 + s) * z,
    )


def grid_to_wgs84(easting: float, northing: float) -> LatLon:
    """National Grid eastings and northings (m) to WGS84 latitude and longitude (degrees, about 5 m)."""
    lat, lon = grid_to_osgb36(easting, northing)
    return _from_cartesian(*_helmert(_to_cartesian(lat, lon, _AIRY), 1.0), _WGS84)


def wgs84_to_grid(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 latitude and longitude (degrees) to National Grid eastings and northings (m)."""
    osgb = _from_cartesian(*_helmert(_to_cartesian(lat, lon, _WGS84), -1.0), _AIRY)
    return osgb36_to_grid(*osgb)


# --- postcode files ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostcodePoint:
    """One postcode of a table and its WGS84 coordinates."""

    postcode: str
    lat: float
    lon: float

    @property
    def district(self) -> str:
        return district_of(self.postcode)


#: Header names of the ONS Postcode Directory (and NSPL) holding the postcode, most preferred first.
ONSPD_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd2", "pcd7", "pcd8")
#: Code-Point Open: column positions of a file without a header, and the short header names of its docs.
CODEPOINT_COLUMNS = {"postcode": 0, "quality": 1, "eastings": 2, "northings": 3}
CODEPOINT_HEADERS = {"postcode": ("pc", "postcode"), "quality": ("pq", "positional_quality_indicator"),
                     "eastings": ("ea", "eastings"), "northings": ("no", "northings")}  # fmt: skip
#: ONSPD's latitude for a postcode without a grid reference; Code-Point Open's quality for the same.
ONSPD_NO_LOCATION_LAT = 99.999999
CODEPOINT_NO_LOCATION_QUALITY = "90"


@dataclass
class PostcodeReader:
    """Reads a postcode table row by row (tables have millions of rows), collecting every problem.

    Iterate over it for the postcodes; afterwards ``problems`` holds what was wrong (row, column, value,
    why), ``skipped`` the rows without coordinates, and ``layout`` which layout was recognised.
    """

    stream: IO[str]
    source: str
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    skipped: int = 0
    rows: int = 0
    layout: str = ""

    def _problem(self, row: int, column: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.source, f"row {row}", column, message))
        else:
            self.more_problems += 1

    def error(self) -> InputError | None:
        """The problems found, as one error, or None when there were none."""
        if not self.problems:
            return None
        problems = list(self.problems)
        if self.more_problems:
            problems.append(Problem(self.source, "", "", f"and {self.more_problems} more problems not listed"))
        return InputError(problems)

    def __iter__(self) -> Iterator[PostcodePoint]:
        reader = csv.reader(self.stream)
        try:
            first = next(reader, None)
            if first is None:
                self._problem(1, "", "the file is empty")
                return
            header = [cell.strip().lower() for cell in first]
            if any(name in header for name in ONSPD_POSTCODE_COLUMNS) and "lat" in header:
                yield from self._onspd(reader, header)
            elif any(name in header for name in CODEPOINT_HEADERS["eastings"]):
                yield from self._codepoint(reader, self._codepoint_positions(header), start=2)
            elif first and _looks_like_postcode(first[0]):
                self.layout = "codepoint"
                yield from self._codepoint_rows([(1, first)], CODEPOINT_COLUMNS)
                yield from self._codepoint(reader, CODEPOINT_COLUMNS, start=2)
            else:
                self._problem(
                    1,
                    "",
                    "not a postcode table: expected the ONS Postcode Directory's header (pcds, lat, long) "
                    "or Code-Point Open rows (postcode, quality, eastings, northings, ...)",
                )
        except UnicodeDecodeError:
            self._problem(self.rows + 1, "", "the file is not UTF-8 text")
        except csv.Error as error:
            self._problem(self.rows + 1, "", f"not valid CSV: {error}")

    def _onspd(self, reader: Iterator[list[str]], header: list[str]) -> Iterator[PostcodePoint]:
        self.layout = "onspd"
        postcode_column = next(name for name in ONSPD_POSTCODE_COLUMNS if name in header)
        if "long" not in header:
            self._problem(1, "long", "the ONS Postcode Directory layout needs a long column")
            return
        at = {name: header.index(name) for name in (postcode_column, "lat", "long")}
        width = max(at.values()) + 1
        for number, row in enumerate(reader, start=2):
            self.rows += 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < width:
                self._problem(number, "", f"{len(row)} columns; the header has {len(header)}")
                continue
            raw = row[at[postcode_column]]
            try:
                postcode = normalise_postcode(raw)
            except ValueError as error:
                self._problem(number, postcode_column, str(error))
                continue
            lat = self._number(number, "lat", row[at["lat"]])
            lon = self._number(number, "long", row[at["long"]])
            if lat is None or lon is None:
                continue
            if lat == ONSPD_NO_LOCATION_LAT or (lat == 0 and lon == 0):
                self.skipped += 1  # ONSPD's mark for a postcode without a grid reference
                continue
            if not (-90 <= lat <= 90):
                self._problem(number, "lat", f"{row[at['lat']]!r}: latitude out of range")
                continue
            if not (-180 <= lon <= 180):
                self._problem(number, "long", f"{row[at['long']]!r}: longitude out of range")
                continue
            yield PostcodePoint(postcode, lat, lon)

    def _codepoint_positions(self, header: list[str]) -> dict[str, int]:
        self.layout = "codepoint"
        positions = {}
        for key, names in CODEPOINT_HEADERS.items():
            found = next((header.index(n) for n in names if n in header), None)
            positions[key] = CODEPOINT_COLUMNS[key] if found is None else found
        return positions

    def _codepoint(self, reader: Iterator[list[str]], at: dict[str, int], start: int) -> Iterator[PostcodePoint]:
        yield from self._codepoint_rows(enumerate(reader, start=start), at)

    def _codepoint_rows(
        self, rows: Iterator[tuple[int, list[str]]] | list[tuple[int, list[str]]], at: dict[str, int]
    ) -> Iterator[PostcodePoint]:
        width = max(at.values()) + 1
        for number, row in rows:
            self.rows += 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < width:
                self._problem(number, "", f"{len(row)} columns; Code-Point Open rows have at least {width}")
                continue
            try:
                postcode = normalise_postcode(row[at["postcode"]])
            except ValueError as error:
                self._problem(number, "postcode", str(error))
                continue
            easting = self._number(number, "eastings", row[at["eastings"]])
            northing = self._number(number, "northings", row[at["northings"]])
            if easting is None or northing is None:
                continue
            if row[at["quality"]].strip() == CODEPOINT_NO_LOCATION_QUALITY or (easting == 0 and northing == 0):
                self.skipped += 1  # Code-Point Open: no coordinates for this postcode
                continue
            if not (0 <= easting <= 700000 and 0 <= northing <= 1300000):
                self._problem(number, "eastings", f"{easting:.0f}, {northing:.0f}: outside the National Grid")
                continue
            lat, lon = grid_to_wgs84(easting, northing)
            yield PostcodePoint(postcode, round(lat, 6), round(lon, 6))

    def _number(self, row: int, column: str, text: str) -> float | None:
        try:
            value = float(text.strip())
        except ValueError:
            self._problem(row, column, f"{text.strip()!r} is not a number")
            return None
        if not math.isfinite(value):
            self._problem(row, column, f"{text.strip()!r} is not a number")
            return None
        return value


def _looks_like_postcode(text: str) -> bool:
    try:
        normalise_postcode(text)
    except ValueError:
        return False
    return True


def text_stream(data: bytes) -> IO[str]:
    """Uploaded bytes as text (UTF-8, with or without a byte-order mark)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")


def read_postcodes(path: str | Path) -> list[PostcodePoint]:
    """Every postcode of a (small) table file; ``InputError`` naming each bad row."""
    source = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as stream:
            reader = PostcodeReader(stream, source)
            points = list(reader)
    except OSError as error:
        raise InputError.one(source, "", "", f"cannot read the file: {error.strerror}") from None
    problem = reader.error()
    if problem is not None:
        raise problem
    return points


class PostcodeTable:
    """A postcode table held in memory: a ``Locator`` for tests and small files."""

    def __init__(self, points: Collection[PostcodePoint]) -> None:
        self.points = {p.postcode: (p.lat, p.lon) for p in points}
        sums: dict[str, list[float]] = {}
        for p in points:
            total = sums.setdefault(p.district, [0.0, 0.0, 0.0])
            total[0] += p.lat
            total[1] += p.lon
            total[2] += 1
        self.districts = {d: (s[0] / s[2], s[1] / s[2]) for d, s in sums.items()}

    def __call__(self, keys: Collection[str]) -> dict[str, LatLon]:
        found = {}
        for key in keys:
            if key in self.points:
                found[key] = self.points[key]
            elif key in self.districts:
                found[key] = self.districts[key]
        return found
