"""Tests of the planners' sufficiency simulation."""
