"""Templates (Jinja2, autoescaped) and the one way pages are rendered: with the user, the navigation
for their role, the CSRF token for forms and any one-off notice left by the previous page."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import AGGREGATE, CASEWORK, HOUSEHOLD_READERS, Principal
from api.web.session import FLASH_COOKIE, PREFIX

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES))

#: The navigation, each entry with the roles that see it (the pages check again on every call).
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Waiting requests", f"{PREFIX}/requests", CASEWORK),
    ("Households", f"{PREFIX}/households", HOUSEHOLD_READERS),
    ("Planning", f"{PREFIX}/planning", AGGREGATE),
    ("Outcomes", f"{PREFIX}/reports/outcomes", ("manager",)),
)

#: Words for the vocabularies' ids, where the id alone reads badly.
WORDS = {
    "in_house": "In-house",
    "ifa": "IFA",
    "today": "Today",
    "within_5_days": "Within 5 days",
    "planned": "Planned",
    "team_manager": "team manager",
    "nominated_officer": "nominated officer",
    "fostering_service_manager": "fostering service manager",
    "may_split": "may be placed apart",
    "together": "together",
}


def words(value: object) -> str:
    """A vocabulary id in words: ``within_5_days`` -> ``Within 5 days``, ``short_term`` -> ``short term``."""
    text = str(value)
    return WORDS.get(text, text.replace("_", " "))


def gbp(value: object) -> str:
    try:
        return f"£{float(str(value)):,.0f}"
    except ValueError:
        return "-"


def signed(value: object) -> str:
    number = int(str(value))
    return f"+{number}" if number > 0 else str(number).replace("-", "−")


def _minus(text: str) -> str:
    return text.replace("-", "−")


def stat(value: dict[str, Any] | None, scale: float = 1.0, digits: int = 0, pct: bool = False) -> str:
    """A Monte Carlo figure as "mean (10% to 90%)", with a true minus sign."""
    if not value or value.get("mean") is None:
        return "–"
    mean, low, high = (float(value[k]) / scale for k in ("mean", "p10", "p90"))
    if pct:
        return _minus(f"{mean:.0%} ({low:.0%} to {high:.0%})")
    return _minus(f"{mean:,.{digits}f} ({low:,.{digits}f} to {high:,.{digits}f})")


def num(value: object) -> str:
    """A form value as typed: 14.0 -> 14, 0.13 -> 0.13."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


templates.env.filters["words"] = words
templates.env.filters["gbp"] = gbp
templates.env.filters["signed"] = signed
templates.env.filters["stat"] = stat
templates.env.filters["num"] = num


def nav_for(principal: Principal | None) -> list[tuple[str, str]]:
    if principal is None:
        return []
    return [(label, url) for label, url, roles in NAV if principal.role in roles]


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    """A page: the template with the caller, the navigation, the CSRF token and a one-off notice."""
    principal: Principal | None = getattr(request.state, "principal", None)
    notice = request.cookies.get(FLASH_COOKIE)
    base: dict[str, Any] = {
        "user": principal,
        "nav": nav_for(principal),
        "csrf": getattr(request.state, "csrf", ""),
        "prefix": PREFIX,
        "path": request.url.path,
        "notice": unquote(notice) if notice else None,
    }
    response = templates.TemplateResponse(request, template, {**base, **(context or {})}, status_code=status_code)
    if notice:
        response.delete_cookie(FLASH_COOKIE, path=PREFIX)
    return response


def redirect(url: str, notice: str | None = None) -> RedirectResponse:
    """303 See Other (after a form post), leaving a one-off notice for the next page."""
    response = RedirectResponse(url, status_code=303)
    if notice:
        response.set_cookie(FLASH_COOKIE, quote(notice), max_age=60, path=PREFIX, httponly=True, samesite="lax")
    return response
