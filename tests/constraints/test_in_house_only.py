"""in_house_only: a request for the council's own carers excludes IFA households."""

from __future__ import annotations

from tests.builders import household, request
from tests.constraints.judge import judge


def test_passes_an_in_house_household_for_an_in_house_request() -> None:
    assert not judge("in_house_only", household(provider="in_house"), request=request(in_house_only=True)).broken


def test_fails_an_ifa_household_for_an_in_house_request() -> None:
    verdict = judge("in_house_only", household(provider="ifa"), request=request(in_house_only=True))
    assert verdict.broken
    assert verdict.reason == "an independent agency (IFA) household; this request is for the council's own carers only"


def test_boundary_an_ifa_household_passes_when_the_request_does_not_ask() -> None:
    assert not judge("in_house_only", household(provider="ifa"), request=request(in_house_only=False)).broken
    assert not judge("in_house_only", household(provider="in_house"), request=request(in_house_only=False)).broken
