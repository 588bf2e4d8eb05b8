"""Placements Data Standard (v2) referrals: import as children and a placement request, export with the match.

A referral file is one placement request: one child, or a sibling group placed as one request::

    {"standard": "Placements Data Standard v2",
     "placematch": {"kind": "short_term", "request_id": "R-2041", "needed_by": "2026-11-27", ...},
     "referrals": [{"PlacementAvailability": {"childId": 1001, "neededBy": "Today", ...},
                    "PlacementRequirements": {...}, "PlacementRecommendation": {...}, "Risks": {...},
                    "QualityAssurance": {"referralDate": "2026-11-23"},
                    "placematch": {"date_of_birth": "2014-04-01", "gender": "female", "name": "Amira"}}]}

Each referral holds the standard's fields for one child, grouped by entity as the standard lists them
(or flat: field names at the top of the referral). The ``placematch`` blocks carry what placematch needs
and the standard does not have (a child's date of birth and gender, the request's kind...), in the
snapshot format's own field names. Every standard field is either mapped to a placematch field, checked,
or, when it has no meaning here, *reported* back to the caller with its value (never silently dropped,
never stored, never logged). ``docs/interop.md`` has the table; ``MAPPING`` below is the same table.

Export writes a request, its children and its accepted match in the same shape, filling the standard's
``ActualPlacement`` from the match; what placematch cannot fill is null and said in ``placematch.notes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.errors import InputError, Problem
from domain.geo import haversine_km
from domain.snapshot import Child, Household, Id, Location, Needs, Request
from domain.vocab import Gender, PlacementKind, RequestStatus, SiblingMode
from interop.postcodes import Locator, Place, parse_place, resolve, unknown_place_message

STANDARD = "Placements Data Standard v2"


@dataclass(frozen=True)
class StandardField:
    """One field of the standard, as published (``placements-standard-v2.json``)."""

    entity: str
    name: str
    type: str
    cardinality: str
    options: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.cardinality.startswith("1")

    @property
    def many(self) -> bool:
        return self.cardinality.endswith("*")


_RISK = ("No known risk", "Risk Present")
_SUITABILITY = ("Preferred", "Suitable but not preferred", "Unsuitable", "Not specified")

FIELDS: tuple[StandardField, ...] = (
    StandardField("PlacementAvailability", "childId", "Integer", "1..1"),
    StandardField("PlacementAvailability", "neededBy", "Categorical", "0..1",
                  ("Today", "in less than 5 days", "in more than 5 days")),
    StandardField("PlacementAvailability", "siblingCount", "Integer", "0..1"),
    StandardField("PlacementAvailability", "preferredLocation", "String", "0..1"),
    StandardField("PlacementRequirements", "communicationNeeds", "Categorical", "1..1", ("Y", "N", "Not Specified")),
    StandardField("PlacementRequirements", "specificCommunicationRequirements", "Categorical", "1..*",
                  ("ESOL", "BSL", "Makaton", "Other", "None")),
    StandardField("PlacementRequirements", "homeAdaptation", "Boolean", "1..1"),
    StandardField("PlacementRequirements", "culturalNeeds", "Categorical", "1..1",
                  ("Required", "Not required", "Not Known", "Other")),
    StandardField("PlacementRequirements", "livingCompanions", "Categorical", "1..1",
                  ("Solo placement recommended", "With other children recommended", "Only with other older children",
                   "Only with other younger children", "No preference")),
    StandardField("PlacementRequirements", "pets", "Categorical", "1..1",
                  ("Yes - must", "Yes - can", "No", "Not Known")),
    StandardField("PlacementRequirements", "additionalSupport", "Categorical", "0..1",
                  ("additional supervision", "therapeutic support", "a worker for respite", "taxis to school", "NA",
                   "other (please specify)")),
    StandardField("PlacementRequirements", "deprivationOfLiberty", "Boolean", "0..1"),
    StandardField("PlacementRecommendation", "fosterCareSuitability", "Categorical", "1..1", _SUITABILITY),
    StandardField("PlacementRecommendation", "residentialCareSuitability", "Categorical", "1..1", _SUITABILITY),
    StandardField("PlacementRecommendation", "supportedAccommodationSuitability", "Categorical", "1..1", _SUITABILITY),
    StandardField("Risks", "riskSelfHarm", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskSexualExploitation", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskCriminalExploitation", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskDrugAlcohol", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskEatingDisorder", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskMissing", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskOther", "String", "0..1"),
    StandardField("Risks", "riskToOthersPhysical", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskToOthersSexual", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskToOthersFire", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskToOthersAnimals", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskToOthersCriminal", "Categorical", "1..1", _RISK),
    StandardField("Risks", "riskToOthersOther", "String", "0..1"),
    StandardField("ActualPlacement", "totalWeeklyCost", "Integer", "1..1"),
    StandardField("ActualPlacement", "placementLocation", "String", "1..1"),
    StandardField("ActualPlacement", "preferabilityLocation", "Boolean", "1..1"),
    StandardField("ActualPlacement", "educationContinuity", "Boolean", "1..1"),
    StandardField("ActualPlacement", "providerURN", "String", "1..1"),
    StandardField("ActualPlacement", "siblingsPlacedTogether", "Integer", "1..1"),
    StandardField("ActualPlacement", "placementType", "Categorical", "1..1",
                  ("Residential", "Foster", "Supported Accommodation")),
    StandardField("QualityAssurance", "referralOfficerName", "String", "0..1"),
    StandardField("QualityAssurance", "referralDate", "Date", "1..1"),
    StandardField("QualityAssurance", "placementOfficerName", "String", "1..1"),
    StandardField("QualityAssurance", "placementDate", "Date", "1..1"),
    StandardField("QualityAssurance", "costOfficerName", "String", "0..1"),
    StandardField("QualityAssurance", "costDate", "Date", "1..1"),
)  # fmt: skip
FIELDS_BY_NAME = {f.name: f for f in FIELDS}
ENTITIES = tuple(dict.fromkeys(f.entity for f in FIELDS))
#: Entities of the referral itself: their 1..1 fields must be there (the others describe the placement made).
REFERRAL_ENTITIES = ("PlacementAvailability", "PlacementRequirements", "PlacementRecommendation", "Risks")
#: The one field of the other entities a referral must carry.
REFERRAL_REQUIRED = ("childId", "referralDate")

#: Where each standard field goes in placematch on import. Fields marked "reported" have no meaning in
#: placematch: an import returns them with their values, and stores nothing of them.
MAPPING: dict[str, str] = {
    "childId": "child `id` (the number as text)",
    "neededBy": "request `urgency`: Today -> today, in less than 5 days -> within_5_days, "
    "in more than 5 days -> planned; and `needed_by` when placematch.needed_by is not given "
    "(the referral date; +4 days for within 5 days; planned needs placematch.needed_by)",
    "siblingCount": "checked: must equal the number of other children in the file (one request, one group)",
    "preferredLocation": "child `location`: a postcode or district resolved with the postcode table, or lat,lon",
    "communicationNeeds": "checked against specificCommunicationRequirements (N with a requirement is an error)",
    "specificCommunicationRequirements": "child `communication`: ESOL -> esol, BSL -> bsl, Makaton -> makaton, "
    "Other -> other, None -> none (BSL and Makaton are must-have needs)",
    "homeAdaptation": "true -> `wheelchair_access` in child `needs.must` (the home adaptation placematch knows)",
    "culturalNeeds": "child `cultural_needs`: Required/Other -> placematch.cultural_needs (or [required]/[other]); "
    "Not required, Not Known -> []",
    "livingCompanions": "child `living_companions`: Solo -> solo, Only with older -> only_older, "
    "Only with younger -> only_younger, With other children / No preference -> any",
    "pets": "child `pets`: Yes - must -> must, Yes - can -> ok, No -> none, Not Known -> ok",
    "additionalSupport": "therapeutic support -> `therapeutic` in child `needs.would_benefit`; other values reported",
    "deprivationOfLiberty": "reported",
    "fosterCareSuitability": "checked: Unsuitable is refused (placematch matches foster homes only); reported",
    "residentialCareSuitability": "reported",
    "supportedAccommodationSuitability": "reported",
    "riskSelfHarm": "child `risks_to_self`: self_harm",
    "riskSexualExploitation": "child `risks_to_self`: cse",
    "riskCriminalExploitation": "child `risks_to_self`: cce",
    "riskDrugAlcohol": "child `risks_to_self`: substance_misuse",
    "riskEatingDisorder": "child `risks_to_self`: eating_disorder",
    "riskMissing": "child `risks_to_self`: missing",
    "riskOther": "reported",
    "riskToOthersPhysical": "child `risks_to_others`: physical_harm",
    "riskToOthersSexual": "child `risks_to_others`: sexual_harm",
    "riskToOthersFire": "child `risks_to_others`: fire_setting",
    "riskToOthersAnimals": "child `risks_to_others`: animal_harm",
    "riskToOthersCriminal": "child `risks_to_others`: criminal_exploitation",
    "riskToOthersOther": "reported",
    "totalWeeklyCost": "reported (export: the household's `weekly_cost_gbp`, rounded)",
    "placementLocation": "reported (export: the household's postcode district)",
    "preferabilityLocation": "reported (export: within the distance criterion's near-home radius)",
    "educationContinuity": "reported (export: null, placematch holds no school records)",
    "providerURN": "reported (export: null, placematch holds no Ofsted URN)",
    "siblingsPlacedTogether": "reported (export: siblings placed in the same household as the child)",
    "placementType": "reported (export: Foster)",
    "referralOfficerName": "reported",
    "referralDate": "request `received_on`; the base date of `needed_by`",
    "placementOfficerName": "reported (export: who accepted the match)",
    "placementDate": "reported (export: the date the match was accepted)",
    "costOfficerName": "reported",
    "costDate": "reported (export: the date the match was accepted)",
}
REPORTED = frozenset(name for name, target in MAPPING.items() if target.startswith("reported"))

NEEDED_BY = {"Today": "today", "in less than 5 days": "within_5_days", "in more than 5 days": "planned"}
URGENCY_LABEL = {value: label for label, value in NEEDED_BY.items()}
#: Days after the referral date a request "needed in less than 5 days" is needed by, at the latest.
WITHIN_5_DAYS = 4
COMMUNICATION = {"ESOL": "esol", "BSL": "bsl", "Makaton": "makaton", "Other": "other"}
LIVING_COMPANIONS = {
    "Solo placement recommended": "solo",
    "With other children recommended": "any",
    "Only with other older children": "only_older",
    "Only with other younger children": "only_younger",
    "No preference": "any",
}
LIVING_COMPANIONS_LABEL = {
    "solo": "Solo placement recommended",
    "only_older": "Only with other older children",
    "only_younger": "Only with other younger children",
    "any": "No preference",
}
PETS = {"Yes - must": "must", "Yes - can": "ok", "No": "none", "Not Known": "ok"}
PETS_LABEL = {"must": "Yes - must", "ok": "Yes - can", "none": "No"}
RISKS_TO_SELF = {
    "riskSelfHarm": "self_harm",
    "riskSexualExploitation": "cse",
    "riskCriminalExploitation": "cce",
    "riskDrugAlcohol": "substance_misuse",
    "riskEatingDisorder": "eating_disorder",
    "riskMissing": "missing",
}
RISKS_TO_OTHERS = {
    "riskToOthersPhysical": "physical_harm",
    "riskToOthersSexual": "sexual_harm",
    "riskToOthersFire": "fire_setting",
    "riskToOthersAnimals": "animal_harm",
    "riskToOthersCriminal": "criminal_exploitation",
}
RISK_PRESENT = "Risk Present"
NO_KNOWN_RISK = "No known risk"
#: Needs the standard's fields set: recomputed on every import, never kept from an older record.
STANDARD_NEEDS_MUST = ("wheelchair_access",)
STANDARD_NEEDS_WOULD_BENEFIT = ("therapeutic",)
_URGENCY_ORDER = ("today", "within_5_days", "planned")


# --- the placematch blocks --------------------------------------------------------------------------


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlacementOut(_Block):
    child_id: Id
    household_id: Id


class RequestBlock(_Block):
    """What a request needs that the standard does not carry. Export adds status, placements and notes."""

    request_id: Id | None = Field(default=None, description="Request id; default REF-<first childId>-<date>.")
    kind: PlacementKind | None = Field(default=None, description="Kind of placement; required for a new request.")
    needed_by: dt.date | None = Field(default=None, description="Date needed by; default from neededBy.")
    priority: int | None = Field(default=None, ge=1, le=5, description="1 (lowest) to 5; default 3.")
    siblings: SiblingMode | None = Field(default=None, description="together (default) or may_split.")
    max_distance_km: float | None = Field(default=None, gt=0, description="Distance limit; null = policy.")
    in_house_only: bool | None = Field(default=None, description="Only the council's own households.")
    status: RequestStatus | None = Field(default=None, description="Export only: the request's status.")
    placements: list[PlacementOut] = Field(default_factory=list, description="Export only: the accepted match.")
    notes: list[str] = Field(default_factory=list, description="Export only: what could not be filled, and why.")


class ChildBlock(_Block):
    """What a child's record needs that the standard does not carry, in the snapshot format's names."""

    name: str | None = Field(default=None, max_length=60)
    date_of_birth: dt.date | None = None
    gender: Gender | None = None
    needs: Needs | None = None
    language: str | None = Field(default=None, max_length=40)
    religion: str | None = Field(default=None, max_length=60)
    cultural_needs: list[str] | None = None
    previous_households: list[Id] | None = None


# --- parsing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildReferral:
    """One child's referral: the standard's fields (canonical values) and the child's placematch block."""

    position: int
    values: dict[str, Any]
    block: ChildBlock

    @property
    def child_id(self) -> str:
        return str(self.values["childId"])

    @property
    def label(self) -> str:
        return f"referral {self.position + 1} (childId {self.values['childId']})"


@dataclass(frozen=True)
class Referral:
    """A parsed, checked referral file: one request's block and each child's referral."""

    source: str
    block: RequestBlock
    children: list[ChildReferral]

    @property
    def child_ids(self) -> list[str]:
        return [c.child_id for c in self.children]

    @property
    def referral_date(self) -> dt.date:
        dates: list[dt.date] = [c.values["referralDate"] for c in self.children]
        return min(dates)

    @property
    def request_id(self) -> str:
        if self.block.request_id is not None:
            return self.block.request_id
        return f"REF-{self.children[0].child_id}-{self.referral_date:%Y%m%d}"


def _label(position: int, record: Any) -> str:
    child_id = None
    if isinstance(record, dict):
        availability = record.get("PlacementAvailability")
        child_id = availability.get("childId") if isinstance(availability, dict) else record.get("childId")
    if isinstance(child_id, int | str) and not isinstance(child_id, bool) and len(str(child_id)) <= 20:
        return f"referral {position + 1} (childId {child_id})"
    return f"referral {position + 1}"


def _value(spec: StandardField, value: Any) -> Any:
    """The canonical value of a standard field; ``ValueError`` says why the given one is not valid."""
    if spec.type == "Integer":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("expected a whole number")
        if value < 0 or value > 10**15:
            raise ValueError(f"{value} is out of range")
        return value
    if spec.type == "Boolean":
        if isinstance(value, bool):
            return value
        words = {"true": True, "yes": True, "y": True, "false": False, "no": False, "n": False}
        if isinstance(value, str) and value.strip().lower() in words:
            return words[value.strip().lower()]
        raise ValueError("expected true or false")
    if spec.type == "Date":
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValueError("expected a date (YYYY-MM-DD)")
    if spec.type == "String":
        if not isinstance(value, str):
            raise ValueError("expected text")
        if len(value) > 2000:
            raise ValueError("text longer than 2000 characters")
        return value
    if spec.many:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise ValueError(f"expected a list of one or more of: {', '.join(spec.options)}")
        chosen = [_option(spec, item) for item in items]
        if len(set(chosen)) != len(chosen):
            raise ValueError("an option is given twice")
        return chosen
    return _option(spec, value)


def _option(spec: StandardField, value: Any) -> str:
    if isinstance(value, str):
        wanted = " ".join(value.split()).casefold()
        for option in spec.options:
            if option.casefold() == wanted:
                return option
    shown = repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__
    raise ValueError(f"{shown[:80]} is not one of: {', '.join(spec.options)}")


def _fields_of(record: dict[str, Any], label: str, source: str) -> tuple[dict[str, tuple[str, Any]], list[Problem]]:
    """The standard fields given in one referral (grouped by entity or flat), with where each was found."""
    given: dict[str, tuple[str, Any]] = {}
    problems: list[Problem] = []

    def add(where: str, name: str, value: Any) -> None:
        spec = FIELDS_BY_NAME.get(name)
        if spec is None:
            problems.append(Problem(source, label, where, f"not a field of the {STANDARD}"))
        elif where.count(".") and where.split(".")[0] != spec.entity:
            problems.append(Problem(source, label, where, f"{name} belongs to {spec.entity}"))
        elif name in given:
            problems.append(Problem(source, label, where, f"given twice (also at {given[name][0]})"))
        elif value is not None:
            given[name] = (where, value)

    for key, value in record.items():
        if key == "placematch":
            continue
        if key in ENTITIES:
            if not isinstance(value, dict):
                problems.append(Problem(source, label, key, "expected an object of the entity's fields"))
                continue
            for name, item in value.items():
                add(f"{key}.{name}", str(name), item)
        else:
            add(key, str(key), value)
    return given, problems


def _where(name: str) -> str:
    return f"{FIELDS_BY_NAME[name].entity}.{name}"


def _parse_child(position: int, record: Any, source: str) -> tuple[ChildReferral | None, list[Problem]]:
    label = _label(position, record)
    if not isinstance(record, dict):
        return None, [Problem(source, label, "", "expected an object (one child's referral)")]
    given, problems = _fields_of(record, label, source)
    values: dict[str, Any] = {}
    for name, (where, raw) in given.items():
        try:
            values[name] = _value(FIELDS_BY_NAME[name], raw)
        except ValueError as error:
            problems.append(Problem(source, label, where, str(error)))
    for spec in FIELDS:
        required = (spec.entity in REFERRAL_ENTITIES and spec.required) or spec.name in REFERRAL_REQUIRED
        if required and spec.name not in given:
            problems.append(Problem(source, label, _where(spec.name), f"required by the standard ({spec.cardinality})"))
    specific = values.get("specificCommunicationRequirements", [])
    if "None" in specific and len(specific) > 1:
        problems.append(
            Problem(source, label, _where("specificCommunicationRequirements"), "None given with other requirements")
        )
    if values.get("communicationNeeds") == "N" and [s for s in specific if s != "None"]:
        problems.append(
            Problem(source, label, _where("communicationNeeds"), "N, but specific communication requirements are given")
        )
    if values.get("fosterCareSuitability") == "Unsuitable":
        problems.append(
            Problem(
                source,
                label,
                _where("fosterCareSuitability"),
                "Unsuitable: placematch matches children with foster homes only",
            )
        )
    block = ChildBlock()
    raw_block = record.get("placematch", {})
    try:
        block = ChildBlock.model_validate(raw_block if raw_block is not None else {})
    except ValidationError as error:
        problems += _block_problems(error, source, label)
    if problems:
        return None, problems
    return ChildReferral(position, values, block), []


def _block_problems(error: ValidationError, source: str, record: str) -> list[Problem]:
    problems = []
    for item in error.errors():
        where = ".".join(["placematch", *(str(p) for p in item["loc"])]).rstrip(".")
        message = "unknown field" if item["type"] == "extra_forbidden" else item["msg"]
        problems.append(Problem(source, record, where, message))
    return problems


def parse_referral(raw: Any, source: str) -> Referral:
    """Check a decoded referral document; ``InputError`` naming every problem (referral, field, why)."""
    if not isinstance(raw, dict):
        raise InputError.one(source, "referral", "", "expected a JSON object (see docs/interop.md)")
    problems: list[Problem] = []
    unknown = sorted(set(raw) - {"standard", "placematch", "referrals"})
    problems += [Problem(source, "referral", str(key), "unknown field (expected standard, placematch, referrals)")
                 for key in unknown]  # fmt: skip
    standard = raw.get("standard", STANDARD)
    if standard != STANDARD:
        problems.append(Problem(source, "referral", "standard", f"expected {STANDARD!r}"))
    block = RequestBlock()
    try:
        block = RequestBlock.model_validate(raw.get("placematch") or {})
    except ValidationError as error:
        problems += _block_problems(error, source, "request")
    records = raw.get("referrals")
    if not isinstance(records, list) or not records:
        problems.append(Problem(source, "referral", "referrals", "expected a list of one referral per child"))
        raise InputError(problems)
    if len(records) > 12:
        problems.append(Problem(source, "referral", "referrals", f"{len(records)} children; one request takes 12"))
        raise InputError(problems)
    children: list[ChildReferral] = []
    for position, record in enumerate(records):
        child, found = _parse_child(position, record, source)
        problems += found
        if child is not None:
            children.append(child)
    seen: dict[str, str] = {}
    for child in children:
        if child.child_id in seen:
            problems.append(Problem(source, child.label, _where("childId"), f"also in {seen[child.child_id]}"))
        seen[child.child_id] = child.label
        count = child.values.get("siblingCount")
        if count is not None and count != len(records) - 1:
            problems.append(
                Problem(
                    source,
                    child.label,
                    _where("siblingCount"),
                    f"{count}, but the file refers {len(records) - 1} other children: a sibling group is one "
                    "request, so every sibling to place with needs a referral in this file",
                )
            )
    if problems:
        raise InputError(problems)
    return Referral(source, block, children)


# --- import -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """A standard field given in the referral that has no meaning in placematch: kept in the report only."""

    child_id: str
    field: str
    value: Any
    note: str

    def as_dict(self) -> dict[str, Any]:
        value = self.value.isoformat() if isinstance(self.value, dt.date) else self.value
        return {"child_id": self.child_id, "field": self.field, "value": value, "note": self.note}


@dataclass(frozen=True)
class ImportedReferral:
    """A referral as placematch records: the request, its children, and what the import reports."""

    request: Request
    children: list[Child]
    reported: list[Reported] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _reported(child: ChildReferral) -> list[Reported]:
    """Every given field with no meaning here, and the values of mapped fields that keep only part of theirs."""
    found = []
    for name in (f.name for f in FIELDS):
        if name not in child.values:
            continue
        value = child.values[name]
        if name in REPORTED:
            note = "no meaning in placematch"
            if name == "fosterCareSuitability":
                note = "checked (not Unsuitable); placematch matches foster homes only"
            found.append(Reported(child.child_id, _where(name), value, note))
        elif name == "additionalSupport" and value != "therapeutic support":
            found.append(Reported(child.child_id, _where(name), value, "no meaning in placematch"))
        elif name == "livingCompanions" and value == "With other children recommended":
            found.append(Reported(child.child_id, _where(name), value, "recorded as any: placematch has no such rule"))
        elif name == "pets" and value == "Not Known":
            found.append(Reported(child.child_id, _where(name), value, "recorded as ok: no restriction known"))
        elif name == "culturalNeeds" and value == "Not Known":
            found.append(Reported(child.child_id, _where(name), value, "recorded as no cultural needs stated"))
        elif name == "communicationNeeds":
            found.append(Reported(child.child_id, _where(name), value, "checked; the specific requirements are kept"))
    return found


def _needs(child: ChildReferral, before: Child | None) -> Needs:
    base = child.block.needs
    if base is None and before is not None:
        base = Needs(
            must=[n for n in before.needs.must if n not in STANDARD_NEEDS_MUST],
            would_benefit=[n for n in before.needs.would_benefit if n not in STANDARD_NEEDS_WOULD_BENEFIT],
        )
    base = base or Needs()
    must, would_benefit = list(base.must), list(base.would_benefit)
    if child.values.get("homeAdaptation") and "wheelchair_access" not in must:
        must.append("wheelchair_access")
    if child.values.get("additionalSupport") == "therapeutic support" and "therapeutic" not in would_benefit:
        would_benefit.append("therapeutic")
    return Needs.model_validate({"must": must, "would_benefit": would_benefit})


def _cultural_needs(child: ChildReferral, before: Child | None) -> list[str]:
    stated = child.values.get("culturalNeeds")
    if stated in ("Not required", "Not Known"):
        return []
    given = child.block.cultural_needs
    if given is None and before is not None and before.cultural_needs:
        given = list(before.cultural_needs)
    return given or [str(stated).lower()]


def _kept(child: ChildReferral, before: Child | None, name: str) -> Any:
    """A block field: as given, else as on record for a child already known, else None."""
    if name in child.block.model_fields_set:
        return getattr(child.block, name)
    return None if before is None else getattr(before, name)


def _child(child: ChildReferral, before: Child | None, location: Location | None, group: str | None) -> dict[str, Any]:
    values = child.values
    return {
        "id": child.child_id,
        "name": _kept(child, before, "name"),
        "date_of_birth": _kept(child, before, "date_of_birth"),
        "gender": _kept(child, before, "gender"),
        "needs": _needs(child, before),
        "communication": [COMMUNICATION[s] for s in values["specificCommunicationRequirements"] if s != "None"],
        "language": _kept(child, before, "language"),
        "religion": _kept(child, before, "religion"),
        "cultural_needs": _cultural_needs(child, before),
        "risks_to_others": [risk for name, risk in RISKS_TO_OTHERS.items() if values[name] == RISK_PRESENT],
        "risks_to_self": [risk for name, risk in RISKS_TO_SELF.items() if values[name] == RISK_PRESENT],
        "living_companions": LIVING_COMPANIONS[values["livingCompanions"]],
        "pets": PETS[values["pets"]],
        "location": location,
        "sibling_group": (before.sibling_group if before is not None else None) or group,
        "previous_households": _kept(child, before, "previous_households") or [],
    }


def to_records(
    referral: Referral,
    *,
    existing_children: Mapping[str, Child],
    existing_request: Request | None,
    locate: Locator,
) -> ImportedReferral:
    """The children and placement request a referral stands for; ``InputError`` naming every problem.

    A child already on record keeps what the referral cannot say (name, date of birth, language,
    placement history...) unless its placematch block says otherwise; everything the standard says is
    taken from the referral. The request keeps its own settings where the block leaves them out.
    """
    source = referral.source
    problems: list[Problem] = []
    notes: list[str] = []
    places: dict[str, Place] = {}
    for child in referral.children:
        text = child.values.get("preferredLocation")
        if text is None or not text.strip():
            continue
        try:
            places[child.child_id] = parse_place(text)
        except ValueError as error:
            problems.append(Problem(source, child.label, _where("preferredLocation"), str(error)))
    keys = {p.key for p in places.values() if p.kind != "coordinates"}
    found = dict(locate(keys)) if keys else {}
    locations: dict[str, Location | None] = {}
    for child in referral.children:
        place = places.get(child.child_id)
        if place is None:
            locations[child.child_id] = None
            continue
        try:
            locations[child.child_id] = resolve(place, found)
        except KeyError:
            problems.append(Problem(source, child.label, _where("preferredLocation"), unknown_place_message(place)))
        if place.kind == "district":
            notes.append(f"child {child.child_id}: preferredLocation {place.key} is a district: its centre is used")

    request_id = referral.request_id
    group = request_id if len(referral.children) > 1 else None
    children: list[Child] = []
    for child in referral.children:
        before = existing_children.get(child.child_id)
        record = _child(child, before, locations.get(child.child_id), group)
        for name in ("date_of_birth", "gender"):
            if record[name] is None:
                problems.append(
                    Problem(
                        source, child.label, f"placematch.{name}", "required for a new child: the standard has none"
                    )
                )
        if problems:
            continue
        try:
            children.append(Child.model_validate(record))
        except ValidationError as error:
            problems += _block_problems(error, source, child.label)

    urgencies = [NEEDED_BY[c.values["neededBy"]] for c in referral.children if "neededBy" in c.values]
    urgency = min(urgencies, key=_URGENCY_ORDER.index) if urgencies else "planned"
    if len(set(urgencies)) > 1:
        notes.append(f"the siblings' neededBy differ: the most urgent ({URGENCY_LABEL[urgency]}) is used")
    if not urgencies:
        notes.append("neededBy not given: urgency planned")
    block = referral.block
    kind = block.kind or (existing_request.kind if existing_request is not None else None)
    if kind is None:
        problems.append(Problem(source, "request", "placematch.kind", "required: the standard has no placement kind"))
    needed_by = block.needed_by
    if needed_by is None:
        if urgency == "today":
            needed_by = referral.referral_date
        elif urgency == "within_5_days":
            needed_by = referral.referral_date + dt.timedelta(days=WITHIN_5_DAYS)
        elif existing_request is not None:
            needed_by = existing_request.needed_by
        else:
            problems.append(
                Problem(source, "request", "placematch.needed_by", "required when the placement is planned")
            )
        if needed_by is not None and existing_request is None:
            notes.append(f"needed_by {needed_by.isoformat()} from neededBy and the referral date")
    if len({c.values["referralDate"] for c in referral.children}) > 1:
        notes.append(f"the siblings' referral dates differ: the earliest ({referral.referral_date}) is used")
    if block.status is not None or block.placements or block.notes:
        notes.append("placematch.status, placements and notes are written by export and not imported")
    if problems:
        raise InputError(problems)

    def setting(name: str, default: Any) -> Any:
        value = getattr(block, name)
        if value is not None:
            return value
        return getattr(existing_request, name) if existing_request is not None else default

    try:
        request = Request.model_validate(
            {
                "id": request_id,
                "children": referral.child_ids,
                "kind": kind,
                "needed_by": needed_by,
                "urgency": urgency,
                "priority": setting("priority", 3),
                "siblings": setting("siblings", "together"),
                "max_distance_km": block.max_distance_km
                if "max_distance_km" in block.model_fields_set
                else setting("max_distance_km", None),
                "in_house_only": setting("in_house_only", False),
                "allow_relaxations": [] if existing_request is None else list(existing_request.allow_relaxations),
                "status": "waiting" if existing_request is None else existing_request.status,
                "received_on": referral.referral_date,
            }
        )
    except ValidationError as error:
        raise InputError(_block_problems(error, source, "request")) from None
    reported = [item for child in referral.children for item in _reported(child)]
    return ImportedReferral(request, children, reported, notes)


# --- export -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedMatch:
    """The accepted recommendation of a request: where each child went, who decided and when."""

    recommendation_id: int
    placements: list[tuple[str, str]]  # (child id, household id)
    decided_by: str
    decided_on: dt.date


def _child_id_out(child_id: str, notes: list[str]) -> int | str:
    if child_id.isdigit() and len(child_id) <= 15:
        return int(child_id)
    notes.append(f"childId: placematch id {child_id} is not a number; written as text")
    return child_id


def _place_out(location: Location) -> str:
    if location.postcode_district:
        return location.postcode_district
    return f"{location.lat:.3f},{location.lon:.3f}"


def _actual_placement(
    child: Child,
    household: Household,
    together: int,
    near_home_km: float,
    notes: list[str],
) -> dict[str, Any]:
    preferable: bool | None = None
    if child.location is None:
        notes.append(f"child {child.id}: preferabilityLocation null: the child's location is not known")
    else:
        distance = haversine_km(child.location.lat, child.location.lon, household.location.lat, household.location.lon)
        preferable = distance <= near_home_km
    return {
        "totalWeeklyCost": round(household.weekly_cost_gbp),
        "placementLocation": _place_out(household.location),
        "preferabilityLocation": preferable,
        "educationContinuity": None,
        "providerURN": None,
        "siblingsPlacedTogether": together,
        "placementType": "Foster",
    }


def export_referral(
    request: Request,
    children: Mapping[str, Child],
    match: AcceptedMatch | None,
    households: Mapping[str, Household],
    *,
    near_home_km: float,
) -> dict[str, Any]:
    """A request, its children and its accepted match (if any) in the referral shape that import reads.

    ``near_home_km`` is the radius within which a placement's location counts as preferable (the
    distance criterion's near-home bonus radius).
    """
    notes: list[str] = []
    placed = dict(match.placements) if match is not None else {}
    referrals = []
    for child_id in request.children:
        child = children[child_id]
        risks_to_self, risks_to_others = set(child.risks_to_self), set(child.risks_to_others)
        record: dict[str, Any] = {
            "PlacementAvailability": {
                "childId": _child_id_out(child.id, notes),
                "neededBy": URGENCY_LABEL[request.urgency],
                "siblingCount": len(request.children) - 1,
                "preferredLocation": None if child.location is None else _place_out(child.location),
            },
            "PlacementRequirements": {
                "communicationNeeds": "Y" if child.communication else "N",
                "specificCommunicationRequirements": [
                    label for label, value in COMMUNICATION.items() if value in child.communication
                ]
                or ["None"],
                "homeAdaptation": "wheelchair_access" in child.needs.must,
                "culturalNeeds": "Required" if child.cultural_needs else "Not Known",
                "livingCompanions": LIVING_COMPANIONS_LABEL[child.living_companions],
                "pets": PETS_LABEL[child.pets],
            },
            "PlacementRecommendation": {
                "fosterCareSuitability": "Not specified",
                "residentialCareSuitability": "Not specified",
                "supportedAccommodationSuitability": "Not specified",
            },
            "Risks": {
                **{
                    name: RISK_PRESENT if risk in risks_to_self else NO_KNOWN_RISK
                    for name, risk in RISKS_TO_SELF.items()
                },
                **{
                    name: RISK_PRESENT if risk in risks_to_others else NO_KNOWN_RISK
                    for name, risk in RISKS_TO_OTHERS.items()
                },
            },
            "QualityAssurance": {
                "referralDate": None if request.received_on is None else request.received_on.isoformat()
            },
            "placematch": ChildBlock(
                name=child.name,
                date_of_birth=child.date_of_birth,
                gender=child.gender,
                needs=Needs(
                    must=[n for n in child.needs.must if n not in STANDARD_NEEDS_MUST],
                    would_benefit=[n for n in child.needs.would_benefit if n not in STANDARD_NEEDS_WOULD_BENEFIT],
                ),
                language=child.language,
                religion=child.religion,
                cultural_needs=list(child.cultural_needs),
                previous_households=list(child.previous_households),
            ).model_dump(mode="json"),
        }
        if "therapeutic" in child.needs.would_benefit:
            record["PlacementRequirements"]["additionalSupport"] = "therapeutic support"
        if request.received_on is None:
            notes.append(f"child {child.id}: referralDate null: the request has no date received")
        household_id = placed.get(child_id)
        if match is not None and household_id is not None:
            together = sum(1 for other in request.children if other != child_id and placed.get(other) == household_id)
            record["ActualPlacement"] = _actual_placement(
                child, households[household_id], together, near_home_km, notes
            )
            record["QualityAssurance"].update(
                {
                    "placementOfficerName": match.decided_by,
                    "placementDate": match.decided_on.isoformat(),
                    "costDate": match.decided_on.isoformat(),
                }
            )
        referrals.append(record)
    if match is not None:
        notes.append("educationContinuity null: placematch holds no school records")
        notes.append("providerURN null: placematch holds no Ofsted URNs; placematch.placements names the households")
    else:
        notes.append("no accepted match: ActualPlacement is left out")
    block = RequestBlock(
        request_id=request.id,
        kind=request.kind,
        needed_by=request.needed_by,
        priority=request.priority,
        siblings=request.siblings,
        max_distance_km=request.max_distance_km,
        in_house_only=request.in_house_only,
        status=request.status,
        placements=[PlacementOut(child_id=c, household_id=h) for c, h in (match.placements if match else [])],
        notes=list(dict.fromkeys(notes)),
    )
    return {"standard": STANDARD, "placematch": block.model_dump(mode="json"), "referrals": referrals}
