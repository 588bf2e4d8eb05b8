"""Interop: Placements Standard referrals (duty team), carer spreadsheets and the postcode table (admin).

The operations are plain functions over ``Repositories`` so the CLI (``api.cli_interop``) runs exactly the
same code in its own transaction; every import is all or nothing (the caller's transaction), and every
problem is a 422 naming the record (or row) and the field (or column).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import IO, Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from api.audit import record
from api.deps import CASEWORK, IdPath, Principal, ReposDep, allow
from api.errors import ApiError, error_responses
from domain.errors import InputError, Problem
from domain.snapshot import Household
from interop.households_sheet import merge_existing, read_households
from interop.placements_standard import AcceptedMatch, export_referral, parse_referral, to_records
from interop.postcodes import PostcodeReader, parse_place, text_stream, unknown_place_message
from scoring.weights import weights_for
from store.errors import Conflict
from store.repositories import MAX_PAGE, OPEN_STATUSES, Repositories
from store.repositories.postcodes import PostcodeRepository
from store.repositories.recommendations import ACCEPTED

router = APIRouter(prefix="/interop", tags=["interop"], responses=error_responses(401, 403, 422))
Casework = Annotated[Principal, allow(*CASEWORK)]
Admin = Annotated[Principal, allow("admin")]
DryRun = Annotated[bool, Query(description="Check everything and report; write nothing.")]


class ReportedOut(BaseModel):
    """A standard field with no meaning in placematch: returned with its value, stored nowhere."""

    child_id: str
    field: str = Field(description="Entity and field of the standard, e.g. `Risks.riskOther`.")
    value: Any = Field(description="The value as given.")
    note: str


class ReferralImportOut(BaseModel):
    request_id: str
    children: list[str] = Field(description="The request's children, in order.")
    created_children: list[str] = Field(description="Children new to placematch.")
    updated_children: list[str] = Field(description="Children already on record, updated from the referral.")
    request_created: bool = Field(description="False when the referral updated a request already on record.")
    dry_run: bool
    reported: list[ReportedOut] = Field(description="Fields with no meaning in placematch (not stored).")
    notes: list[str] = Field(description="How values the standard does not give were chosen.")


class HouseholdsImportOut(BaseModel):
    created: list[str]
    updated: list[str]
    dry_run: bool


class PostcodesImportOut(BaseModel):
    imported: int = Field(description="Postcodes created or replaced.")
    skipped: int = Field(description="Rows without coordinates (ONSPD lat 99.999999, Code-Point quality 90).")
    layout: str = Field(description="`onspd` or `codepoint`.")
    total: int = Field(description="Postcodes in the table after the import.")


# --- operations (also used by the CLI) ----------------------------------------------------------------


def import_referral(repos: Repositories, raw: Any, source: str, *, dry_run: bool = False) -> ReferralImportOut:
    """Create or update the children and the placement request of a referral document."""
    referral = parse_referral(raw, source)
    existing = repos.children.existing(referral.child_ids)
    before = {child_id: repos.children.get(child_id) for child_id in existing}
    request_before = repos.requests.get(referral.request_id) if repos.requests.exists(referral.request_id) else None
    if request_before is not None and request_before.status not in OPEN_STATUSES:
        raise Conflict(
            f"request {referral.request_id} is {request_before.status}; give a new placematch.request_id",
            field="placematch.request_id",
        )
    imported = to_records(
        referral,
        existing_children=before,
        existing_request=request_before,
        locate=PostcodeRepository(repos.session).locate,
    )
    request = imported.request
    taken = repos.requests.open_requests_of(list(request.children), excluding=request.id)
    if taken:
        child_id, other = next(iter(sorted(taken.items())))
        raise Conflict(f"child {child_id} is already waiting in request {other}", field="referrals")
    if not dry_run:
        for child in imported.children:
            repos.children.put(child)
        repos.requests.put(request)
    return ReferralImportOut(
        request_id=request.id,
        children=list(request.children),
        created_children=[c for c in request.children if c not in existing],
        updated_children=[c for c in request.children if c in existing],
        request_created=request_before is None,
        dry_run=dry_run,
        reported=[ReportedOut(**r.as_dict()) for r in imported.reported],
        notes=imported.notes,
    )


def export_request(repos: Repositories, request_id: str) -> dict[str, Any]:
    """A request, its children and its accepted match in the Placements Standard referral shape."""
    request = repos.requests.get(request_id)
    children = {child_id: repos.children.get(child_id) for child_id in request.children}
    match = None
    accepted = repos.recommendations.page(request_id=request_id, status=ACCEPTED, limit=1).items
    if accepted:
        row = accepted[0]
        decision = next((d for d in reversed(repos.recommendations.decisions(row.id)) if d.outcome == ACCEPTED), None)
        match = AcceptedMatch(
            recommendation_id=row.id,
            placements=[(p.child_id, p.household_id) for p in row.placements],
            decided_by=decision.decided_by if decision is not None else "",
            decided_on=decision.decided_on if decision is not None else dt.date.min,
        )
    households = {h: repos.households.get(h) for _, h in (match.placements if match else [])}
    near_home_km = float(weights_for(repos.snapshots.policy())["near_home_km"])
    return export_referral(request, children, match, households, near_home_km=near_home_km)


def _existing_households(repos: Repositories) -> Callable[[list[str]], dict[str, Household]]:
    def existing(ids: list[str]) -> dict[str, Household]:
        wanted, offset = set(ids), 0
        found: dict[str, Household] = {}
        while True:
            page = repos.households.page(limit=MAX_PAGE, offset=offset)
            found.update((h.id, h) for h in page.items if h.id in wanted)
            offset += MAX_PAGE
            if offset >= page.total or not page.items:
                return found

    return existing


def import_households(
    repos: Repositories, data: bytes, source: str, actor: str, *, dry_run: bool = False
) -> HouseholdsImportOut:
    """Create or update the households of a carer spreadsheet; every problem first, then one write."""
    sheet = read_households(data, source, PostcodeRepository(repos.session).locate)
    merged, created, updated = merge_existing(sheet, _existing_households(repos))
    if not dry_run:
        repos.households.put_many(merged, actor)
    return HouseholdsImportOut(created=created, updated=updated, dry_run=dry_run)


def import_postcodes(
    repos: Repositories,
    stream: IO[str],
    source: str,
    *,
    replace: bool = False,
    progress: Callable[[int], None] | None = None,
) -> PostcodesImportOut:
    """Load a postcode table (ONSPD or Code-Point Open layout); nothing is kept if any row is bad."""
    reader = PostcodeReader(stream, source)
    postcodes = PostcodeRepository(repos.session)
    if replace:
        postcodes.clear()

    def good() -> Any:
        for point in reader:
            if not reader.problems:  # after the first problem, read on to report the rest but write no more
                yield point

    points: Any = good()
    written = postcodes.put_many(points, progress)
    error = reader.error()
    if error is not None:
        raise error
    if written == 0:
        raise InputError([Problem(source, "", "", "no postcodes with coordinates in the file")])
    return PostcodesImportOut(imported=written, skipped=reader.skipped, layout=reader.layout, total=postcodes.count())


# --- routes -------------------------------------------------------------------------------------------

REFERRAL_EXAMPLE: dict[str, Any] = {
    "standard": "Placements Data Standard v2",
    "placematch": {"kind": "emergency", "priority": 5},
    "referrals": [
        {
            "PlacementAvailability": {"childId": 9001, "neededBy": "Today", "siblingCount": 0},
            "PlacementRequirements": {
                "communicationNeeds": "N",
                "specificCommunicationRequirements": ["None"],
                "homeAdaptation": False,
                "culturalNeeds": "Not required",
                "livingCompanions": "No preference",
                "pets": "Yes - can",
            },
            "PlacementRecommendation": {
                "fosterCareSuitability": "Preferred",
                "residentialCareSuitability": "Not specified",
                "supportedAccommodationSuitability": "Not specified",
            },
            "Risks": {
                name: "No known risk"
                for name in (
                    "riskSelfHarm",
                    "riskSexualExploitation",
                    "riskCriminalExploitation",
                    "riskDrugAlcohol",
                    "riskEatingDisorder",
                    "riskMissing",
                    "riskToOthersPhysical",
                    "riskToOthersSexual",
                    "riskToOthersFire",
                    "riskToOthersAnimals",
                    "riskToOthersCriminal",
                )
            },
            "QualityAssurance": {"referralDate": "2026-11-23"},
            "placematch": {"date_of_birth": "2012-05-14", "gender": "male"},
        }
    ],
}


@router.post("/referrals", response_model=ReferralImportOut, responses=error_responses(409))
def post_referral(
    user: Casework,
    repos: ReposDep,
    referral: Annotated[
        dict[str, Any],
        Body(
            description="A Placements Data Standard v2 referral: one request, one referral per child "
            "(see docs/interop.md).",
            openapi_examples={"single child": {"value": REFERRAL_EXAMPLE}},
        ),
    ],
    dry_run: DryRun = False,
) -> ReferralImportOut:
    """Import a referral as children and a waiting placement request. Fields with no meaning in placematch
    come back in `reported` with their values; nothing of them is stored."""
    result = import_referral(repos, referral, "body", dry_run=dry_run)
    if not dry_run:
        record(
            repos,
            user,
            "referral.import",
            "request",
            result.request_id,
            detail={"children": result.children, "created_children": result.created_children},
        )
    return result


@router.get("/referrals/{request_id}", response_model=dict[str, Any], responses=error_responses(404))
def get_referral(user: Casework, repos: ReposDep, request_id: IdPath) -> dict[str, Any]:
    """A request, its children and its accepted match, in the Placements Standard referral shape."""
    document = export_request(repos, request_id)
    children = [str(r["PlacementAvailability"]["childId"]) for r in document["referrals"]]
    record(repos, user, "referral.export", "request", request_id, detail={"children": children})
    return document


async def raw_body(request: Request) -> bytes:
    """The request body as sent (a spreadsheet or CSV file); read after the role guard has let the call in."""
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


def _file_body(description: str, *media_types: str) -> dict[str, Any]:
    """The OpenAPI request body of an endpoint that takes a file as the raw body."""
    schema = {"type": "string", "format": "binary"}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {media_type: {"schema": schema} for media_type in media_types},
        }
    }


SHEET_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.post(
    "/households",
    response_model=HouseholdsImportOut,
    openapi_extra=_file_body("The carer spreadsheet, CSV or XLSX (docs/interop.md), as the body.", *SHEET_TYPES),
)
def post_households(user: Admin, repos: ReposDep, data: RawBody, dry_run: DryRun = False) -> HouseholdsImportOut:
    """Create or update households from a carer spreadsheet sent as the body: every problem (row, column,
    value, why) is reported and nothing is written unless there is none."""
    result = import_households(repos, data, "body", user.username, dry_run=dry_run)
    if not dry_run:
        record(
            repos,
            user,
            "households.import",
            "household",
            None,
            detail={"created": result.created, "updated": result.updated},
        )
    return result


@router.post(
    "/postcodes",
    response_model=PostcodesImportOut,
    openapi_extra=_file_body(
        "A postcode table as the body: ONS Postcode Directory or Code-Point Open CSV. "
        "Load a national file with `placematch import-postcodes`.",
        "text/csv",
    ),
)
def post_postcodes(
    user: Admin,
    repos: ReposDep,
    data: RawBody,
    replace: Annotated[bool, Query(description="Empty the table first.")] = False,
) -> PostcodesImportOut:
    """Load postcodes and their coordinates so places given as postcodes resolve offline."""
    result = import_postcodes(repos, text_stream(data), "body", replace=replace)
    record(repos, user, "postcodes.import", "postcodes", None, detail={"imported": result.imported})
    return result


class PostcodeOut(BaseModel):
    postcode: str = Field(description="The postcode in its standard form, e.g. `LE1 5WW`.")
    district: str = Field(description="Its outward code, e.g. `LE1` (what records keep).")
    lat: float = Field(description="Latitude (WGS84).")
    lon: float = Field(description="Longitude (WGS84).")


PostcodePath = Annotated[
    str, Path(min_length=2, max_length=10, pattern=r"^[A-Za-z0-9 ]+$", description="A postcode or a district.")
]


@router.get("/postcodes/{postcode}", response_model=PostcodeOut, responses=error_responses(404))
def get_postcode(
    user: Annotated[Principal, allow(*CASEWORK, "admin")], repos: ReposDep, postcode: PostcodePath
) -> PostcodeOut:
    """Where a postcode (or a district: the centre of its postcodes) is, from the loaded postcode table."""
    try:
        place = parse_place(postcode)
    except ValueError as error:
        raise ApiError(422, ["path", "postcode"], str(error), "value_error") from None
    found = PostcodeRepository(repos.session).locate([place.key])
    if place.key not in found:
        raise ApiError(404, ["path", "postcode"], unknown_place_message(place), "not_found")
    lat, lon = found[place.key]
    return PostcodeOut(postcode=place.key, district=place.district or place.key, lat=lat, lon=lon)
