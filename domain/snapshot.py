"""Pydantic models of the snapshot format (DESIGN.md "Snapshot format"): the edge of the system.

Field names are fixed by the format. Unknown fields are errors (``extra="forbid"``), so a typo in a
council's file is reported instead of silently ignored. Types are fixed too: numbers, booleans and dates
are ``domain.jsontypes``'s strict ones, so ``"smoking": 0``, ``"age_max": "18"`` or a number for a date is
an error naming the field, not a value quietly converted.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.jsontypes import Bool, Float, Int, IsoDate
from domain.vocab import (
    CarerType,
    ChildPets,
    Communication,
    Gender,
    LivingCompanions,
    PlacementKind,
    Provider,
    RequestStatus,
    Risk,
    RiskToOthers,
    RiskToSelf,
    SiblingMode,
    Skill,
    Urgency,
)

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    """Base for every snapshot model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(Strict):
    lat: Float = Field(ge=-90, le=90, description="Latitude in decimal degrees (WGS84).", examples=[52.63])
    lon: Float = Field(ge=-180, le=180, description="Longitude in decimal degrees (WGS84).", examples=[-1.13])
    postcode_district: str | None = Field(
        default=None,
        description="Outward code of the postcode, e.g. LE2. Never a full postcode.",
        examples=["LE2"],
    )


class Hold(Strict):
    reason: str = Field(default="", description="Why the household is held (investigation, carer break...).")
    until: IsoDate | None = Field(
        default=None, description="Expected end. Informative only: a hold ends when a manager releases it."
    )
    reserved_for_request: Id | None = Field(
        default=None, description="The only placement request that may use the household while held."
    )


class Exemption(Strict):
    max_children: Int = Field(ge=1, le=12, description="Foster children allowed under the exemption.")
    named_children: list[Id] = Field(description="Children the exemption is granted for.")
    expires: IsoDate = Field(description="Last day the exemption is valid (inclusive).")


class Approval(Strict):
    placement_kinds: list[PlacementKind] = Field(description="Kinds of placement the carers are approved for.")
    age_min: Int = Field(ge=0, le=25, description="Youngest approved age in whole years (inclusive).")
    age_max: Int = Field(ge=0, le=25, description="Oldest approved age in whole years (inclusive).")
    max_children: Int = Field(ge=0, le=12, description="Approved number of foster children.")
    genders: list[Gender] = Field(default_factory=list, description="Approved genders; empty means any.")
    max_sibling_group: Int = Field(
        default=1, ge=1, le=12, description="Largest sibling group placed together; 1 = not sibling-approved."
    )
    named_children: list[Id] = Field(
        default_factory=list, description="Connected carers only: the children they are approved for."
    )
    manages_risks: list[Risk] = Field(default_factory=list, description="Risks the carers are approved to manage.")
    skills: list[Skill] = Field(default_factory=list, description="Skills and adaptations the carers offer.")
    exemption: Exemption | None = Field(default=None, description="Exemption from the usual limit of three.")

    @model_validator(mode="after")
    def _ages_in_order(self) -> Approval:
        if self.age_min > self.age_max:
            raise ValueError(f"age_min {self.age_min} is above age_max {self.age_max}")
        return self


class CurrentChild(Strict):
    child_id: Id = Field(description="Id of a foster child already living in the household.")
    age: Int = Field(ge=0, le=25, description="Recorded age in whole years, used as it is.")
    gender: Gender | None = Field(default=None, description="Gender of the child.")
    sibling_group: Id | None = Field(default=None, description="Sibling group; null means a group of its own.")
    risks_to_others: list[RiskToOthers] = Field(default_factory=list, description="Risks this child poses.")
    living_companions: LivingCompanions = Field(default="any", description="Who this child may live with.")


class Preferences(Strict):
    age_min: Int | None = Field(default=None, ge=0, le=25, description="Carers' preferred youngest age.")
    age_max: Int | None = Field(default=None, ge=0, le=25, description="Carers' preferred oldest age.")
    genders: list[Gender] = Field(default_factory=list, description="Carers' preferred genders; empty = any.")


class Household(Strict):
    id: Id = Field(description="Household id.", examples=["H001"])
    provider: Provider = Field(description="`in_house` (the council's own) or `ifa` (independent agency).")
    weekly_cost_gbp: Float = Field(ge=0, le=20000, description="Weekly cost of one placement, in pounds.")
    carer_type: CarerType = Field(description="Kind of carers.")
    status: str = Field(
        pattern=r"^[a-z_]+$",
        description="`active`, `on_hold` or `deregistered`; any status but active/on_hold cannot take a child.",
    )
    hold: Hold | None = Field(default=None, description="A hold on the household, if any.")
    approval: Approval = Field(description="Terms of approval.")
    location: Location = Field(description="Where the household lives.")
    bedrooms_free: Int = Field(ge=0, le=20, description="Bedrooms free for foster children.")
    shared_bedroom_allowed: Bool = Field(default=False, description="Siblings may share two to a room.")
    smoking: Bool = Field(default=False, description="Someone in the household smokes.")
    pets: list[str] = Field(default_factory=list, description="Animals living in the household.")
    wheelchair_accessible: Bool = Field(default=False, description="Home adapted for a wheelchair.")
    languages: list[str] = Field(default_factory=list, description="Languages spoken at home (ISO 639-1).")
    religion: str | None = Field(default=None, description="Religion of the household, if stated.")
    current_children: list[CurrentChild] = Field(default_factory=list, description="Foster children already there.")
    do_not_place: list[Id] = Field(default_factory=list, description="Children never to be placed here.")
    preferences: Preferences | None = Field(default=None, description="The carers' own preferences (scored).")


class Needs(Strict):
    must: list[Skill] = Field(default_factory=list, description="Must-have needs: a hard rule.")
    would_benefit: list[Skill] = Field(default_factory=list, description="Would-benefit needs: scored.")


class Child(Strict):
    id: Id = Field(description="Child id.", examples=["C101"])
    name: str | None = Field(
        default=None,
        max_length=60,
        description="Given name the child is known by, for the duty team's reading. Never logged.",
    )
    date_of_birth: IsoDate = Field(description="Date of birth (ISO 8601).")
    gender: Gender = Field(description="Gender of the child.")
    needs: Needs = Field(default_factory=Needs, description="Must-have and would-benefit needs.")
    communication: list[Communication] = Field(default_factory=list, description="Communication needs.")
    language: str | None = Field(default=None, description="First language (ISO 639-1), if the plan states it.")
    religion: str | None = Field(default=None, description="Religion, if the plan states it.")
    cultural_needs: list[str] = Field(default_factory=list, description="Cultural needs stated in the plan.")
    risks_to_others: list[RiskToOthers] = Field(default_factory=list, description="Risks the child poses.")
    risks_to_self: list[RiskToSelf] = Field(default_factory=list, description="Risks to the child.")
    living_companions: LivingCompanions = Field(default="any", description="Who the child may live with.")
    pets: ChildPets = Field(default="ok", description="`ok`, `none` (cannot live with animals) or `must`.")
    location: Location | None = Field(default=None, description="Home or school location; null = unknown.")
    sibling_group: Id | None = Field(default=None, description="Sibling group id, if any.")
    previous_households: list[Id] = Field(default_factory=list, description="Households the child lived with.")
    ethnicity: str | None = Field(
        default=None,
        max_length=16,
        pattern=r"^[A-Z]{4}$",
        exclude_if=lambda value: value is None,
        description="Ethnicity (SSDA903 ETHNIC code, e.g. WBRI), for the outcomes report's breakdowns only: never"
        " a scoring input (cultural needs are stated in `cultural_needs`). Omitted when not recorded.",
        examples=["WBRI"],
    )


class Request(Strict):
    id: Id = Field(description="Placement request id.", examples=["R001"])
    children: list[Id] = Field(min_length=1, max_length=12, description="The child or sibling group to place.")
    kind: PlacementKind = Field(description="Kind of placement needed.")
    needed_by: IsoDate = Field(description="Date the placement is needed by; ages are taken on this day.")
    urgency: Urgency = Field(default="planned", description="`today`, `within_5_days` or `planned`.")
    priority: Int = Field(default=3, ge=1, le=5, description="1 (lowest) to 5 (highest).")
    siblings: SiblingMode = Field(default="together", description="`together` or `may_split`.")
    max_distance_km: Float | None = Field(default=None, gt=0, description="Distance limit in km; null = policy.")
    in_house_only: Bool = Field(default=False, description="Only the council's own households.")
    allow_relaxations: list[str] = Field(
        default_factory=list, description="Hard-rule ids that may be relaxed for this request, with sign-off."
    )
    status: RequestStatus = Field(default="waiting", description="`waiting` until placed, closed or withdrawn.")
    received_on: IsoDate | None = Field(default=None, description="Date the referral arrived (days waiting).")

    @field_validator("children")
    @classmethod
    def _children_distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a child is named twice")
        return value


class Policy(Strict):
    max_distance_km: Float | None = Field(default=None, gt=0, description="Default distance limit in km.")
    weights: dict[str, Int] = Field(default_factory=dict, description="Overrides of scoring weights by name.")


class Snapshot(Strict):
    as_of: IsoDate = Field(description="The date the snapshot describes.")
    policy: Policy = Field(default_factory=Policy, description="Council policy overrides.")
    households: list[Household] = Field(default_factory=list)
    children: list[Child] = Field(default_factory=list)
    requests: list[Request] = Field(default_factory=list)
