"""Pydantic models of the HTTP API that are not snapshot records (those come from ``domain.snapshot``).

Every field says what it means; unknown fields are refused (``extra="forbid"``) so a typo is a 422
naming it, not a silent no-op. Input models are strict (``strict=True``): a value must already have the
field's JSON type (``0`` is not ``false``, ``"3"`` is not ``3``), and dates are ``YYYY-MM-DD`` strings
(``domain.jsontypes.IsoDate``), never numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

from api.auth import Role
from domain.jsontypes import IsoDate
from domain.outcomes import DeclineReason
from domain.snapshot import Approval, Id, Location, Preferences
from domain.vocab import CarerType, Provider

T = TypeVar("T")

Text = Annotated[str, StringConstraints(max_length=2000)]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    Field(description="Why: required, free text. Stored for the audit trail, never logged."),
]
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{2,64}$")]


class Input(BaseModel):
    """A request body: unknown fields and values of another JSON type are refused (422 naming the field)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ListPage(BaseModel, Generic[T]):
    """One page of a list: the records and how many match the filters in all."""

    items: list[T]
    total: int = Field(ge=0, description="Records matching the filters, across all pages.")


class HouseholdRecord(Input):
    """A household's own record. Its hold and current children have their own endpoints."""

    id: Id = Field(description="Household id.", examples=["H001"])
    provider: Provider = Field(description="`in_house` (the council's own) or `ifa` (independent agency).")
    weekly_cost_gbp: float = Field(ge=0, le=20000, description="Weekly cost of one placement, in pounds.")
    carer_type: CarerType = Field(description="Kind of carers.")
    status: Literal["active", "on_hold", "deregistered"] = Field(description="Whether it can take children.")
    approval: Approval = Field(description="Terms of approval.")
    location: Location = Field(description="Where the household lives.")
    bedrooms_free: int = Field(ge=0, le=20, description="Bedrooms free for foster children.")
    shared_bedroom_allowed: bool = Field(default=False, description="Siblings may share two to a room.")
    smoking: bool = Field(default=False, description="Someone in the household smokes.")
    pets: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=list, max_length=20, description="Animals living in the household."
    )
    wheelchair_accessible: bool = Field(default=False, description="Home adapted for a wheelchair.")
    languages: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=list, max_length=20, description="Languages spoken at home (ISO 639-1)."
    )
    religion: Annotated[str, StringConstraints(max_length=60)] | None = Field(default=None, description="Religion.")
    do_not_place: list[Id] = Field(default_factory=list, max_length=200, description="Children never placed here.")
    preferences: Preferences | None = Field(default=None, description="The carers' own preferences (scored).")


class HoldIn(Input):
    """Put a household on hold, optionally keeping it for one named request."""

    reason: Text = Field(default="", description="Why: investigation, carer break, reserved for a request...")
    starts_on: IsoDate | None = Field(default=None, description="First day of the hold; default today.")
    until: IsoDate | None = Field(default=None, description="Expected end; informative, a manager releases holds.")
    reserved_for_request: Id | None = Field(default=None, description="The only request that may use the household.")

    @field_validator("until")
    @classmethod
    def _ends_after_start(cls, until: dt.date | None, info: ValidationInfo) -> dt.date | None:
        starts_on = info.data.get("starts_on")
        if until is not None and starts_on is not None and until < starts_on:
            raise ValueError(f"the hold ends ({until}) before it starts ({starts_on})")
        return until


class HoldOut(BaseModel):
    household_id: str
    reason: str
    starts_on: dt.date | None
    until: dt.date | None
    reserved_for_request: str | None
    created_by: str | None
    created_at: dt.datetime


class DecisionIn(Input):
    """A social worker's decision on a recommendation, and why."""

    reason: Reason
    reason_code: DeclineReason | None = Field(
        default=None,
        description="Declines only: why, from a short list (`carer_declined`, `child_plan_changed`, "
        "`safeguarding_concern`, `distance_school`, `sibling_fit`, `information_missing`, `other`); "
        "`other` when omitted, with `reason` saying what. Refused on an accept.",
        examples=["distance_school"],
    )


class DecisionOut(BaseModel):
    decision_id: int
    recommendation_id: int
    request_id: str
    outcome: Literal["accepted", "declined"]
    decided_by: str
    decided_on: dt.date
    placements: list[PlacementOut]
    withdrawn: list[int] = Field(description="Other recommendations withdrawn because they can no longer hold.")
    reason_code: str | None = Field(default=None, description="A decline's reason code.")
    chosen_rank: int | None = Field(default=None, description="The rank of the option decided on.")
    top_recommendation_id: int | None = Field(
        default=None, description="Accepts: the rank-1 option of the same run when the worker chose."
    )
    placement_ids: list[int] = Field(default_factory=list, description="Accepts: the placements made, one per child.")


class PlacementOut(BaseModel):
    child_id: str
    household_id: str


class CriterionOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    points: int
    reason: str


class RelaxationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    reason: str
    role: str


class RuleOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    reason: str


class ExcludedOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    household_id: str
    rules: list[RuleOut]


class OptionOut(BaseModel):
    """One ranked option, stored as a recommendation a social worker can accept or decline."""

    model_config = ConfigDict(extra="allow")

    recommendation_id: int = Field(description="Id to accept or decline this option by.")
    rank: int
    score: int
    placements: list[PlacementOut]
    criteria: list[CriterionOut]
    relaxations: list[RelaxationOut]


class RankOut(BaseModel):
    """The CLI's rank answer (DESIGN.md "Command line contract"), each option with its recommendation id."""

    model_config = ConfigDict(extra="allow")

    request_id: str
    status: Literal["optimal", "feasible", "infeasible"]
    options: list[OptionOut]
    excluded: list[ExcludedOut]


class RecommendationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    recommendation_id: int
    request_id: str
    status: Literal["open", "accepted", "declined", "withdrawn"]
    status_note: str | None = Field(default=None, description="Why it was withdrawn, when it was.")
    created_at: dt.datetime
    rank: int
    score: int
    placements: list[PlacementOut]
    criteria: list[CriterionOut]
    relaxations: list[RelaxationOut]


class WhyNotOut(BaseModel):
    """Why a household is not ranked (or not higher) for a request."""

    model_config = ConfigDict(extra="allow")

    request_id: str
    household_id: str
    eligible: bool


class UserIn(Input):
    username: Username = Field(description="Sign-in name.")
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)] = Field(
        description="At least 8 characters."
    )
    role: Role = Field(description="`duty`, `manager`, `planner` or `admin`.")


class UserPatch(Input):
    role: Role | None = None
    active: bool | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=256)] | None = None


class UserOut(BaseModel):
    username: str
    role: str
    active: bool
    created_at: dt.datetime


class ApiKeyIn(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 _.:-]+$")] = Field(
        description="What the key is for, e.g. `nightly batch`."
    )


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown once, send it as the X-API-Key header.")


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class AuditEventOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    role: str
    action: str
    subject_type: str
    subject_id: str | None
    reason: str | None
    detail: dict[str, Any]


class ImportSummary(BaseModel):
    households: int
    children: int
    requests: int


class Stats(BaseModel):
    """Aggregate figures only: counts, never a child's record."""

    households_by_status: dict[str, int]
    households_by_provider: dict[str, int]
    households_by_carer_type: dict[str, int]
    requests_by_status: dict[str, int]
    waiting_requests_by_kind: dict[str, int]
    waiting_requests_by_urgency: dict[str, int]
    bedrooms_free: int
    children_in_households: int


class Health(BaseModel):
    status: Literal["ok"]
    database: str
    revision: str | None


DecisionOut.model_rebuild()
