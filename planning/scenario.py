"""Scenario files: what a planner wants to try, as TOML checked by pydantic (unknown keys are errors).

A scenario names the current households (a snapshot file), the demand (an SSDA903 import, a saved
demand model, or a few parameters), recruitment and carer loss, holds, weekly costs and the matching
policy. Every figure has a default from a published source (cited where it is defined) and can be
overridden. ``fixtures/scenario-example.toml`` documents every key.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.errors import InputError, Problem, read_input_file
from domain.vocab import CarerType

# --- published figures used as defaults --------------------------------------------------------------

#: Carer loss a year: [000] "this recruitment plan has been set with a projected 13 % loss per annum";
#: its range: [000] 9% in 2017-18 and 14% in 2016-17 (national benchmark 12%).
ATTRITION_PER_YEAR = 0.13
ATTRITION_LOW = 0.09
ATTRITION_HIGH = 0.14
#: Weekly cost of one placement (DESIGN.md "UK context": in-house about £400 against £750+ for an IFA and
#: £3,000+ for residential care; [003]: each IFA placement avoided saves about £15,000 a year).
IN_HOUSE_WEEKLY_GBP = 400.0
IFA_WEEKLY_GBP = 750.0
RESIDENTIAL_WEEKLY_GBP = 3000.0
#: Share of in-house households on hold at any time (fixture generator's hold chances, 8%, after [001]:
#: "we have managed to reduce the number of fostering households on hold") and how long a hold lasts
#: (assumed: three months).
HOLD_SHARE = 0.08
HOLD_DAYS = 90.0
#: New mainstream households a year ([001]: 14 mainstream approvals in 2023-24) and the share approved
#: for sibling groups ([002]: 44% of carers approved in 2022-23).
MAINSTREAM_PER_YEAR = 14.0
SIBLING_APPROVED_SHARE = 0.44
#: Share of requests that ask for in-house households only (fixture generator, assumed).
IN_HOUSE_ONLY_SHARE = 0.05
#: "Within 20 miles strongly preferred" (DESIGN.md soft criteria): 20 miles in km.
LOCAL_KM = 32.19
#: How far from home a child placed with an agency found on the open market, or in residential care,
#: lives (assumed medians; [004]: agency placements "may also be out of area").
EXTERNAL_IFA_MEDIAN_KM = 30.0
RESIDENTIAL_MEDIAN_KM = 45.0
#: How long a child may wait for a home found by matching before the council commissions one (assumed:
#: emergencies the same day, "within 5 days" a week, planned moves four weeks).
WAIT_TODAY_DAYS = 0
WAIT_WITHIN_5_DAYS = 7
WAIT_PLANNED_DAYS = 28
#: Cost of recruiting, assessing and supporting one more household for a year, for the budgeted plan
#: (assumed; set the council's own figure).
RECRUITMENT_COST_GBP = 12000.0


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimulationSettings(Section):
    horizon_months: int = Field(default=36, ge=1, le=240, description="How far ahead to simulate, in months.")
    time_step: Literal["week", "month"] = Field(
        default="month", description="Matching runs once per step: weekly is closer to the daily batch, slower."
    )
    start: dt.date | None = Field(default=None, description="First day; default: the snapshot's as_of date.")
    replications: int = Field(default=50, ge=1, le=100_000, description="Monte Carlo replications.")
    seed: int = Field(default=2026, ge=0, description="Base seed: replication r uses streams (seed, r, ...).")


class Town(Section):
    name: str = Field(description="Town name, for reading only.")
    lat: float = Field(ge=-90, le=90, description="Latitude of the centre (WGS84).")
    lon: float = Field(ge=-180, le=180, description="Longitude of the centre (WGS84).")
    weight: float = Field(gt=0, description="Relative share of children coming into care from here.")
    spread_km: float = Field(default=2.5, gt=0, le=50, description="Scatter around the centre (std dev, km).")


class DemandSettings(Section):
    ssda903_dir: Path | None = Field(default=None, description="Folder of SSDA903 header/episodes CSVs to fit on.")
    model: Path | None = Field(default=None, description="A demand model JSON written by `placematch import-903`.")
    entries_per_year: float | None = Field(
        default=None, gt=0, description="Without 903 data: children entering care per year."
    )
    mean_duration_days: float = Field(default=500.0, gt=0, description="Without 903 data: mean placement length.")
    growth_per_year: float | None = Field(
        default=None, ge=-0.5, le=1.0, description="Yearly growth of entries; default: fitted (0 without data)."
    )
    scale: float = Field(default=1.0, gt=0, le=100, description="Multiply every entry rate (a what-if on demand).")
    initial_stock: bool = Field(
        default=True, description="Start with the 903's last 31 March stock in IFA, residential and other care."
    )
    towns: list[Town] = Field(
        default_factory=list, description="Where children come from; default: around the in-house households."
    )

    @model_validator(mode="after")
    def _one_source(self) -> DemandSettings:
        given = [x is not None for x in (self.ssda903_dir, self.model, self.entries_per_year)]
        if sum(given) != 1:
            raise ValueError("give exactly one of ssda903_dir, model or entries_per_year")
        return self


class SupplySettings(Section):
    snapshot: Path = Field(description="Snapshot JSON with the current households (DESIGN.md format).")
    attrition_per_year: float = Field(default=ATTRITION_PER_YEAR, ge=0, le=1, description="Carer loss a year.")
    attrition_low: float = Field(default=ATTRITION_LOW, ge=0, le=1, description="Low end of the loss range.")
    attrition_high: float = Field(default=ATTRITION_HIGH, ge=0, le=1, description="High end of the loss range.")
    hold_share: float = Field(default=HOLD_SHARE, ge=0, lt=1, description="Share of households on hold at a time.")
    hold_days: float = Field(default=HOLD_DAYS, gt=0, le=3650, description="Mean length of a hold, in days.")
    ifa_households: bool = Field(
        default=True, description="Offer the snapshot's IFA households to matching (as the live batch does)."
    )

    @model_validator(mode="after")
    def _range(self) -> SupplySettings:
        if not self.attrition_low <= self.attrition_per_year <= self.attrition_high:
            raise ValueError("attrition_low <= attrition_per_year <= attrition_high must hold")
        return self


class Recruitment(Section):
    carer_type: CarerType = Field(description="Carer type recruited.")
    per_year: float = Field(ge=0, le=10_000, description="New households approved a year (Poisson arrivals).")
    sibling_approved_share: float | None = Field(
        default=None, ge=0, le=1, description="Share approved for sibling groups; default: as current carers."
    )
    teen_approved_share: float | None = Field(
        default=None, ge=0, le=1, description="Share approved for ages 13 and over; default: as current carers."
    )
    cost_gbp: float = Field(
        default=RECRUITMENT_COST_GBP, ge=0, description="Cost of one more household a year (budgeted plan)."
    )

    @model_validator(mode="after")
    def _not_connected(self) -> Recruitment:
        if self.carer_type == "connected":
            raise ValueError("connected carers are approved for named children, not recruited")
        return self


class Costs(Section):
    in_house_weekly_gbp: float = Field(default=IN_HOUSE_WEEKLY_GBP, ge=0, description="In-house placement a week.")
    ifa_weekly_gbp: float = Field(default=IFA_WEEKLY_GBP, ge=0, description="Agency (IFA) placement a week.")
    residential_weekly_gbp: float = Field(
        default=RESIDENTIAL_WEEKLY_GBP, ge=0, description="Residential placement a week."
    )
    use_household_costs: bool = Field(
        default=True, description="Use each household's own weekly_cost_gbp from the snapshot where known."
    )


class Waiting(Section):
    today: int = Field(default=WAIT_TODAY_DAYS, ge=0, le=365, description="Days an emergency may wait.")
    within_5_days: int = Field(default=WAIT_WITHIN_5_DAYS, ge=0, le=365, description="Days a 5-day request waits.")
    planned: int = Field(default=WAIT_PLANNED_DAYS, ge=0, le=365, description="Days a planned request waits.")


class Policy(Section):
    batch_time_limit_s: float = Field(default=2.0, gt=0, le=600, description="Time limit of each batch solve.")
    top_k: int = Field(default=10, ge=1, le=200, description="Candidates kept per request part in the batch.")
    in_house_only_share: float = Field(
        default=IN_HOUSE_ONLY_SHARE, ge=0, le=1, description="Share of requests asking for in-house homes only."
    )
    waiting_days: Waiting = Field(default_factory=Waiting, description="Waiting allowance by urgency.")
    local_km: float = Field(default=LOCAL_KM, gt=0, description="A placement this close to home counts as local.")
    external_ifa_median_km: float = Field(default=EXTERNAL_IFA_MEDIAN_KM, gt=0, description="Open-market IFA.")
    residential_median_km: float = Field(default=RESIDENTIAL_MEDIAN_KM, gt=0, description="Residential distance.")


#: Carer types valued by default: those the sources name as pressure points ([000] targets for growth).
MARGINAL_TYPES: tuple[CarerType, ...] = ("mainstream", "specialist", "parent_and_child", "pathway")


def _marginal_types() -> list[CarerType]:
    return list(MARGINAL_TYPES)


class Marginal(Section):
    carer_types: list[CarerType] = Field(
        default_factory=_marginal_types,
        description="Carer types whose marginal household is valued.",
    )
    replications: int = Field(default=40, ge=2, le=10_000, description="Paired replications per carer type.")
    budget_gbp: float = Field(default=0.0, ge=0, description="Yearly budget for the recruitment plan (0: no plan).")


class Scenario(Section):
    name: str = Field(default="scenario", description="A short name for reports.")
    simulation: SimulationSettings = Field(default_factory=SimulationSettings)
    demand: DemandSettings
    supply: SupplySettings
    recruitment: list[Recruitment] = Field(default_factory=list, description="Recruitment by carer type.")
    costs: Costs = Field(default_factory=Costs)
    policy: Policy = Field(default_factory=Policy)
    marginal: Marginal = Field(default_factory=Marginal)
    #: The folder relative paths are read from (the scenario file's own folder).
    base_dir: Path = Field(default=Path("."), exclude=True, description="Folder of the scenario file.")

    @model_validator(mode="after")
    def _distinct_recruitment(self) -> Scenario:
        seen = [r.carer_type for r in self.recruitment]
        if len(seen) != len(set(seen)):
            raise ValueError("a carer type is listed twice under [[recruitment]]")
        return self

    def path(self, relative: Path) -> Path:
        """A path from the scenario, read relative to the scenario file."""
        return relative if relative.is_absolute() else self.base_dir / relative

    def recruitment_for(self, carer_type: str) -> Recruitment | None:
        return next((r for r in self.recruitment if r.carer_type == carer_type), None)


def _problems(error: ValidationError, source: str) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = [str(part) for part in item["loc"]]
        section = loc[0] if loc else "scenario"
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        problems.append(Problem(source, f"[{section}]", ".".join(loc), message))
    return problems


def parse_scenario(raw: dict[str, Any], source: str, base_dir: Path) -> Scenario:
    """Validate a decoded TOML document; raise ``InputError`` naming the file, section and key."""
    try:
        return Scenario.model_validate({**raw, "base_dir": base_dir})
    except ValidationError as error:
        raise InputError(_problems(error, source)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    source = str(path)
    text = read_input_file(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError.one(source, "", "", f"not valid TOML: {error}") from None
    if "base_dir" in raw:
        raise InputError.one(source, "[scenario]", "base_dir", "unknown key")
    return parse_scenario(raw, source, Path(path).resolve().parent)
