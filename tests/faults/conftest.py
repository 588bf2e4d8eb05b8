"""Fault tests run the real app on both databases (the API fixtures) and end with the invariant checker."""

from __future__ import annotations

from tests.api.conftest import api, api_url, app, database, loaded  # noqa: F401  (fixtures, re-exported)
