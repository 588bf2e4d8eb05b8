"""The database schema as SQLAlchemy 2 typed ORM classes.

One table per thing the duty team talks about: households (with their approval, exemption, holds,
current children and do-not-place list), children, placement requests, match runs (and the scarcity
prices each batch run stores), recommendations, decisions, users, API keys and audit events. Short
vocabulary lists (placement kinds, skills...) are JSON columns: they are always read and written whole
with their record and never queried inside.

Only ``store/`` imports this module; everything else sees the ``domain`` snapshot types.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Longest id the snapshot format allows (``domain.snapshot.Id``).
ID_LENGTH = 64

#: Constraint names that are the same on every database, so migrations can drop them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC: every timestamp the store writes."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _id(*args: Any, **kwargs: Any) -> Any:
    """A column holding a record id of the snapshot format."""
    return mapped_column(String(ID_LENGTH), *args, **kwargs)


class Base(DeclarativeBase):
    """Declarative base with a fixed constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class StoreMeta(Base):
    """Small counters kept by the store itself; ``revision`` changes whenever snapshot data changes."""

    __tablename__ = "store_meta"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class SnapshotChangeRow(Base):
    """Which snapshot records one committed revision changed, so that a cached snapshot can catch up on
    just those instead of reading every household again (``kind``: household, child, request, or all)."""

    __tablename__ = "snapshot_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    revision: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class PolicyRow(Base):
    """The council's policy overrides (one row, id 1)."""

    __tablename__ = "policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    max_distance_km: Mapped[float | None] = mapped_column(Float)
    weights: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class HouseholdRow(Base):
    """An approved fostering household: the record itself; approval, holds and children hang off it."""

    __tablename__ = "households"

    id: Mapped[str] = _id(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    weekly_cost_gbp: Mapped[float] = mapped_column(Float)
    carer_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    postcode_district: Mapped[str | None] = mapped_column(Text)
    bedrooms_free: Mapped[int] = mapped_column(Integer)
    shared_bedroom_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    smoking: Mapped[bool] = mapped_column(Boolean, default=False)
    pets: Mapped[list[str]] = mapped_column(JSON, default=list)
    wheelchair_accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    religion: Mapped[str | None] = mapped_column(Text)
    preferences: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    approval: Mapped[ApprovalRow] = relationship(
        back_populates="household", cascade="all, delete-orphan", uselist=False
    )
    exemption: Mapped[ExemptionRow | None] = relationship(
        back_populates="household", cascade="all, delete-orphan", uselist=False
    )
    holds: Mapped[list[HoldRow]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="HoldRow.id"
    )
    current_children: Mapped[list[CurrentChildRow]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="CurrentChildRow.position"
    )
    do_not_place: Mapped[list[DoNotPlaceRow]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="DoNotPlaceRow.position"
    )

    __table_args__ = (CheckConstraint("bedrooms_free >= 0", name="bedrooms_free_not_negative"),)


class ApprovalRow(Base):
    """Terms of approval of one household."""

    __tablename__ = "approvals"

    household_id: Mapped[str] = _id(ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    placement_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    age_min: Mapped[int] = mapped_column(Integer)
    age_max: Mapped[int] = mapped_column(Integer)
    max_children: Mapped[int] = mapped_column(Integer)
    genders: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_sibling_group: Mapped[int] = mapped_column(Integer, default=1)
    named_children: Mapped[list[str]] = mapped_column(JSON, default=list)
    manages_risks: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)

    household: Mapped[HouseholdRow] = relationship(back_populates="approval")

    __table_args__ = (CheckConstraint("age_min <= age_max", name="ages_in_order"),)


class ExemptionRow(Base):
    """A written exemption from the usual limit of three foster children."""

    __tablename__ = "exemptions"

    household_id: Mapped[str] = _id(ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    max_children: Mapped[int] = mapped_column(Integer)
    named_children: Mapped[list[str]] = mapped_column(JSON, default=list)
    expires: Mapped[dt.date] = mapped_column(Date)

    household: Mapped[HouseholdRow] = relationship(back_populates="exemption")


class HoldRow(Base):
    """A hold on a household; it is in force until a manager releases it (``released_at`` set)."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    household_id: Mapped[str] = _id(ForeignKey("households.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    until: Mapped[dt.date | None] = mapped_column(Date)
    reserved_for_request: Mapped[str | None] = _id()
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(String(64))

    household: Mapped[HouseholdRow] = relationship(back_populates="holds")

    __table_args__ = (
        CheckConstraint("until IS NULL OR starts_on IS NULL OR until >= starts_on", name="ends_after_start"),
        Index(
            "uq_holds_one_in_force",
            "household_id",
            unique=True,
            sqlite_where=text("released_at IS NULL"),
            postgresql_where=text("released_at IS NULL"),
        ),
    )


class CurrentChildRow(Base):
    """A foster child living in a household, as the rules see them."""

    __tablename__ = "current_children"

    household_id: Mapped[str] = _id(ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    child_id: Mapped[str] = _id(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    age: Mapped[int] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(16))
    sibling_group: Mapped[str | None] = _id()
    risks_to_others: Mapped[list[str]] = mapped_column(JSON, default=list)
    living_companions: Mapped[str] = mapped_column(String(16), default="any")
    placed_on: Mapped[dt.date | None] = mapped_column(Date)

    household: Mapped[HouseholdRow] = relationship(back_populates="current_children")


class DoNotPlaceRow(Base):
    """A child who must never be placed with a household."""

    __tablename__ = "do_not_place"

    household_id: Mapped[str] = _id(ForeignKey("households.id", ondelete="CASCADE"), primary_key=True)
    child_id: Mapped[str] = _id(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    household: Mapped[HouseholdRow] = relationship(back_populates="do_not_place")


class ChildRow(Base):
    """A child's record as the matching sees it. Holds personal data: every read is audited by the API."""

    __tablename__ = "children"

    id: Mapped[str] = _id(primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(16))
    needs_must: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_would_benefit: Mapped[list[str]] = mapped_column(JSON, default=list)
    communication: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(Text)
    religion: Mapped[str | None] = mapped_column(Text)
    cultural_needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    risks_to_others: Mapped[list[str]] = mapped_column(JSON, default=list)
    risks_to_self: Mapped[list[str]] = mapped_column(JSON, default=list)
    living_companions: Mapped[str] = mapped_column(String(16), default="any")
    pets: Mapped[str] = mapped_column(String(8), default="ok")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    postcode_district: Mapped[str | None] = mapped_column(Text)
    sibling_group: Mapped[str | None] = _id()
    previous_households: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Issue 10: for the outcomes report's breakdowns only; never read by scoring (an SSDA903 ETHNIC code).
    ethnicity: Mapped[str | None] = mapped_column(String(16))


class RequestRow(Base):
    """A placement request: one child or one sibling group needing a home."""

    __tablename__ = "requests"

    id: Mapped[str] = _id(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    needed_by: Mapped[dt.date] = mapped_column(Date)
    urgency: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=3)
    siblings: Mapped[str] = mapped_column(String(16), default="together")
    max_distance_km: Mapped[float | None] = mapped_column(Float)
    in_house_only: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_relaxations: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    children: Mapped[list[RequestChildRow]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestChildRow.position"
    )


class RequestChildRow(Base):
    """A child named in a placement request, in the request's order."""

    __tablename__ = "request_children"

    request_id: Mapped[str] = _id(ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True)
    child_id: Mapped[str] = _id(ForeignKey("children.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    request: Mapped[RequestRow] = relationship(back_populates="children")


class MatchRunRow(Base):
    """One run of the matching: a rank for one request, or a nightly batch over every waiting request.

    The columns after ``created_at`` describe batch runs only (NULL for ranks), except ``parameters``,
    which ranks fill too (``top``, ``as_of``, ``scarcity_run_id``: a rank repeated on the same revision
    with the same parameters returns the run's open options, ``api.ranking``): what the solver saw (the
    sha256 of the canonical snapshot JSON) and was asked (``parameters``), how it went (``status``:
    ``running``, then ``optimal``, ``feasible`` or ``failed``; figures, timings, progress) and what it
    changed (proposals added, kept and withdrawn; ``scarcity_run_id``: the run whose stored scarcity
    stands after it, this one or an earlier one whose scarcity it repeated; ``repeats_run_id``: the
    earlier run on the same data and parameters whose result this one left standing unchanged).
    """

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = _id(ForeignKey("requests.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    revision: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot_hash: Mapped[str | None] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    objective: Mapped[int | None] = mapped_column(BigInteger)
    bound: Mapped[int | None] = mapped_column(BigInteger)
    gap: Mapped[float | None] = mapped_column(Float)
    children_placed: Mapped[int | None] = mapped_column(Integer)
    children_waiting: Mapped[int | None] = mapped_column(Integer)
    levels: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    timings: Mapped[dict[str, float] | None] = mapped_column(JSON)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    stage: Mapped[str | None] = mapped_column(String(64))
    progress: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    proposals_added: Mapped[int | None] = mapped_column(Integer)
    proposals_kept: Mapped[int | None] = mapped_column(Integer)
    proposals_withdrawn: Mapped[int | None] = mapped_column(Integer)
    scarcity_run_id: Mapped[int | None] = mapped_column(Integer)
    repeats_run_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_match_runs_kind_status", "kind", "status"),
        # At most one batch runs at a time, across every process sharing the database.
        Index(
            "uq_match_runs_one_running_per_kind",
            "kind",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )


class BatchScarcityRow(Base):
    """What a batch run priced one household at for ranking: scarcity points and the sentence behind them."""

    __tablename__ = "batch_scarcity"

    match_run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id", ondelete="CASCADE"), primary_key=True)
    household_id: Mapped[str] = _id(primary_key=True)
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)


class RecommendationRow(Base):
    """One ranked option of a match run, kept so that a social worker can accept or decline it."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    match_run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"), index=True)
    request_id: Mapped[str] = _id(ForeignKey("requests.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    option: Mapped[dict[str, Any]] = mapped_column(JSON)
    relaxed: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    placements: Mapped[list[RecommendationPlacementRow]] = relationship(
        back_populates="recommendation", cascade="all, delete-orphan", order_by="RecommendationPlacementRow.position"
    )


class RecommendationPlacementRow(Base):
    """Where one child of a recommendation would live; indexed by household to find what a change affects."""

    __tablename__ = "recommendation_placements"

    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendations.id", ondelete="CASCADE"), primary_key=True
    )
    child_id: Mapped[str] = _id(primary_key=True)
    household_id: Mapped[str] = _id(ForeignKey("households.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    recommendation: Mapped[RecommendationRow] = relationship(back_populates="placements")


class DecisionRow(Base):
    """A social worker's decision on a recommendation: who, what, when and why."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"), index=True)
    request_id: Mapped[str] = _id(ForeignKey("requests.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Issue 10: a decline's reason code (``domain.outcomes.DECLINE_REASONS``); for an accept, the rank the
    # worker chose and the rank-1 option of the same run at that time (its recommendation, households, score).
    reason_code: Mapped[str | None] = mapped_column(String(32))
    chosen_rank: Mapped[int | None] = mapped_column(Integer)
    top_recommendation_id: Mapped[int | None] = mapped_column(Integer)
    top_household_ids: Mapped[list[str] | None] = mapped_column(JSON)
    top_score: Mapped[float | None] = mapped_column(Float)


class PlacementRow(Base):
    """One child living with one household: made when an option is accepted, or imported from SSDA903.

    Ended with a date and whether it was planned; an unplanned ending (a disruption) gives its reason
    (``domain.outcomes.DISRUPTION_REASONS``). The child's characteristics are kept as they were at the
    start, for the outcomes report (age, disability, ethnicity, sibling group size, days waiting).
    History rows have no household or request; ``source_ref`` makes a re-import skip what it has.
    """

    __tablename__ = "placements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    child_id: Mapped[str] = _id(index=True)
    household_id: Mapped[str | None] = _id()
    request_id: Mapped[str | None] = _id()
    recommendation_id: Mapped[int | None] = mapped_column(Integer)
    decision_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str | None] = mapped_column(String(128), unique=True)
    provider: Mapped[str | None] = mapped_column(String(16))
    started_on: Mapped[dt.date] = mapped_column(Date, index=True)
    planned_end_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    ending: Mapped[str | None] = mapped_column(String(16))
    disruption_reason: Mapped[str | None] = mapped_column(String(32))
    end_note: Mapped[str | None] = mapped_column(Text)
    distance_km: Mapped[float | None] = mapped_column(Float)
    siblings: Mapped[str | None] = mapped_column(String(16))
    skills_matched: Mapped[bool | None] = mapped_column(Boolean)
    age_at_start: Mapped[int | None] = mapped_column(Integer)
    disabled: Mapped[bool | None] = mapped_column(Boolean)
    ethnicity: Mapped[str | None] = mapped_column(String(16))
    sibling_group_size: Mapped[int | None] = mapped_column(Integer)
    days_waiting: Mapped[int | None] = mapped_column(Integer)
    criteria: Mapped[dict[str, int] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ends_after_start"),
        CheckConstraint("ending IS NULL OR ending IN ('planned', 'unplanned')", name="ending_planned_or_unplanned"),
    )


class UserRow(Base):
    """A person (or the nightly batch) who may use the service, with one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    api_keys: Mapped[list[ApiKeyRow]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiKeyRow(Base):
    """An API key for automation; only a hash of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[UserRow] = relationship(back_populates="api_keys")


class AuditEventRow(Base):
    """Who did or read what, when, and why (the reason a social worker gave, where there is one)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PostcodeRow(Base):
    """A postcode and its WGS84 coordinates (from the ONS Postcode Directory or Code-Point Open), so that
    places given as postcodes resolve offline. Not snapshot data: loading it changes no ranking."""

    __tablename__ = "postcodes"

    postcode: Mapped[str] = mapped_column(String(8), primary_key=True)
    district: Mapped[str] = mapped_column(String(4), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
