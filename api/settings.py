"""Service settings, from the environment (``PLACEMATCH_...``, and ``DATABASE_URL``) or given in code.

Defaults make a first run work with no setup: an embedded SQLite file under the user's data directory.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "placematch"


def default_database_url() -> str:
    """The embedded SQLite database: ``placematch.sqlite`` in the user's data directory."""
    return f"sqlite:///{Path(user_data_dir(APP_NAME, appauthor=False)) / 'placematch.sqlite'}"


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="PLACEMATCH_", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        validation_alias=AliasChoices("PLACEMATCH_DATABASE_URL", "DATABASE_URL", "database_url"),
        description="SQLAlchemy URL: sqlite:///FILE or postgresql+psycopg://USER@HOST:PORT/DB.",
    )
    jwt_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        description="Key signing access tokens. Unset: a new one each start, so tokens end with the process.",
    )
    jwt_algorithm: str = Field(default="HS256", description="JWT signing algorithm.")
    token_minutes: int = Field(default=60, ge=1, le=24 * 60, description="Lifetime of an access token.")
    demo_password: SecretStr | None = Field(
        default=None, description="Password of the demo users; generated and printed once when unset."
    )
    today: dt.date | None = Field(
        default=None, description="Fixed 'today' for decisions and snapshots (tests, demos); unset = the clock."
    )
    retention_days: int = Field(
        default=730,
        ge=1,
        le=36500,
        description="Days a closed placement request (placed, closed, withdrawn) and what hangs off it are kept "
        "after its last change; `placematch purge` deletes older ones (issue 9, SECURITY.md).",
    )
    rank_top_max: int = Field(default=50, ge=1, le=500, description="Most options one rank call may ask for.")
    rank_cache_size: int = Field(
        default=256, ge=0, description="Rank answers kept per process, per snapshot revision (0 = off)."
    )
    freeze_at_start: bool = Field(
        default=False,
        description="Take the objects made while the service starts (modules, the app) out of the garbage "
        "collector's full passes (gc.freeze). `placematch serve` turns it on: measured with 50 clients on "
        "PostgreSQL, full passes fell from ~65 ms to ~14 ms and p95 from 93-117 ms to 79-82 ms.",
    )
    log_json: bool = Field(default=True, description="Structured JSON logs on stderr (else key=value).")
    log_level: str = Field(default="INFO", description="Lowest level logged.")
    argon2_time_cost: int = Field(default=3, ge=1, le=10, description="Argon2 passes (tests lower it).")
    argon2_memory_kib: int = Field(default=65536, ge=64, description="Argon2 memory in KiB (tests lower it).")
    # Hostile input (issue 9): see SECURITY.md.
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body accepted, in bytes (else 413)."
    )
    max_upload_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Largest body for imports and uploads (/snapshots/import, /interop/..., the scenario upload).",
    )
    max_json_depth: int = Field(
        default=32, ge=2, le=1000, description="Deepest nesting of arrays and objects in a JSON body (else 422)."
    )
    login_limit_per_username: str = Field(
        default="10 per 15 minutes",
        description="Failed sign-ins allowed per username (the `limits` notation); more get 429 with Retry-After.",
    )
    login_limit_per_address: str = Field(
        default="100 per 15 minutes",
        description="Failed sign-ins allowed per client address; per process, like the username limit.",
    )
    hsts_seconds: int = Field(
        default=0, ge=0, description="Strict-Transport-Security max-age to send (0 = none: set it behind HTTPS)."
    )

    @field_validator("login_limit_per_username", "login_limit_per_address")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        """A rate in the ``limits`` notation, e.g. ``10 per 15 minutes`` or ``10/minute``."""
        from limits import parse

        parse(value)  # ValueError names the problem
        return value

    def current_date(self) -> dt.date:
        """Today's date, unless a fixed one is configured."""
        return self.today or dt.date.today()
