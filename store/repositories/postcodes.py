"""The postcode table: loaded from the ONS Postcode Directory (or Code-Point Open), read to resolve places.

Postcodes are not snapshot data (no ranking changes when they load), so writing them does not bump the
snapshot revision.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from sqlalchemy import delete, func, insert, select

from interop.postcodes import LatLon, PostcodePoint
from store.models import PostcodeRow
from store.repositories.base import Repository, core_table

#: Rows per statement when loading or looking up many postcodes.
CHUNK = 2000


class PostcodeRepository(Repository):
    """All SQL about postcodes."""

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(PostcodeRow)) or 0

    def clear(self) -> int:
        """Delete every postcode; returns how many there were."""
        result = self.session.execute(delete(PostcodeRow).execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    def put_many(self, points: Iterable[PostcodePoint], progress: Callable[[int], None] | None = None) -> int:
        """Create or replace these postcodes (the last of a postcode given twice wins); returns how many.

        Streams: ``points`` may be a reader over millions of rows; they are written in chunks.
        """
        written = 0
        chunk: dict[str, PostcodePoint] = {}
        for point in points:
            chunk[point.postcode] = point
            if len(chunk) >= CHUNK:
                written += self._write(chunk)
                chunk = {}
                if progress is not None:
                    progress(written)
        if chunk:
            written += self._write(chunk)
            if progress is not None:
                progress(written)
        return written

    def _write(self, chunk: dict[str, PostcodePoint]) -> int:
        table = core_table(PostcodeRow)
        self.session.execute(delete(table).where(table.c.postcode.in_(list(chunk))))
        self.session.execute(
            insert(table),
            [{"postcode": p.postcode, "district": p.district, "lat": p.lat, "lon": p.lon} for p in chunk.values()],
        )
        return len(chunk)

    def locate(self, keys: Collection[str]) -> dict[str, LatLon]:
        """Coordinates of normalised postcodes (``LE1 5WW``) and districts (``LE1``: the mean of its
        postcodes); keys the table does not know are left out."""
        found: dict[str, LatLon] = {}
        postcodes = sorted({k for k in keys if " " in k})
        districts = sorted({k for k in keys if " " not in k})
        for start in range(0, len(postcodes), CHUNK):
            query = select(PostcodeRow.postcode, PostcodeRow.lat, PostcodeRow.lon).where(
                PostcodeRow.postcode.in_(postcodes[start : start + CHUNK])
            )
            found.update((postcode, (lat, lon)) for postcode, lat, lon in self.session.execute(query))
        for start in range(0, len(districts), CHUNK):
            query = (
                select(PostcodeRow.district, func.avg(PostcodeRow.lat), func.avg(PostcodeRow.lon))
                .where(PostcodeRow.district.in_(districts[start : start + CHUNK]))
                .group_by(PostcodeRow.district)
            )
            found.update((district, (float(lat), float(lon))) for district, lat, lon in self.session.execute(query))
        return found
