"""Faults injected for real: a database connection dropped at a chosen statement (or at commit).

PostgreSQL: the connection's server process is killed with ``pg_terminate_backend`` from another
connection (waiting until it is gone), exactly what an administrator, a failover or an OOM kill does;
the next thing the client sends fails. SQLite has no server: the connection's file handle is closed
under it, so the statement fails and the open transaction is lost. Either way SQLAlchemy sees a
disconnect (``connection_invalidated``) and throws the connection away.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection

#: Milliseconds ``pg_terminate_backend`` waits for the killed server process to exit.
TERMINATE_WAIT_MS = 5000


@dataclass
class Fault:
    """Where to drop the connection and whether it has happened (it happens once)."""

    pattern: re.Pattern[str] | None
    at_commit: bool
    fired: list[str] = field(default_factory=list)

    def drop(self, connection: Connection, where: str) -> None:
        self.fired.append(where)
        dbapi = connection.connection.dbapi_connection
        assert dbapi is not None
        if connection.dialect.name == "postgresql":
            pid = dbapi.info.backend_pid
            admin = create_engine(connection.engine.url, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as killer:
                    done = killer.scalar(
                        text("SELECT pg_terminate_backend(:pid, :wait)"), {"pid": pid, "wait": TERMINATE_WAIT_MS}
                    )
                assert done, f"could not terminate backend {pid}"
            finally:
                admin.dispose()
        else:
            dbapi.close()


@contextmanager
def drop_connection(
    engine: Engine | type[Engine], statement: str | None = None, *, at_commit: bool = False
) -> Iterator[Fault]:
    """Drop ``engine``'s connection (``Engine`` itself: any engine's, e.g. one a CLI command makes) the first
    time a statement matches ``statement`` (a regex, case-blind), or when a transaction commits
    (``at_commit``). Yields the fault; ``fault.fired`` says where it struck."""
    fault = Fault(re.compile(statement, re.IGNORECASE) if statement else None, at_commit)

    def before_execute(connection: Connection, _cursor: Any, sql: str, *_args: Any) -> None:
        if not fault.fired and fault.pattern is not None and fault.pattern.search(sql):
            fault.drop(connection, sql.split("(")[0].strip()[:60])

    def before_commit(connection: Connection) -> None:
        if not fault.fired and fault.at_commit:
            fault.drop(connection, "COMMIT")

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "commit", before_commit)
    try:
        yield fault
    finally:
        event.remove(engine, "before_cursor_execute", before_execute)
        event.remove(engine, "commit", before_commit)
