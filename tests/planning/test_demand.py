"""Duration curves (Kaplan-Meier with censoring and delayed entry) and their inverse-transform sampling."""

from __future__ import annotations

import numpy as np
import pytest

from planning.demand import age_band, collection_year, kaplan_meier, parameter_model


def test_kaplan_meier_counts_censored_spells_as_at_risk_not_ended() -> None:
    # 4 spells: ended at 10 and 30, open (censored) at 20 and 40.
    curve = kaplan_meier([10, 20, 30, 40], [True, False, True, False], 365.0)
    assert curve.days == [10.0, 30.0]
    # S(10) = 3/4; at 30 two are at risk (30 and 40), one ends: S(30) = 3/4 * 1/2.
    assert curve.survival == pytest.approx([0.75, 0.375])
    assert curve.ended == 2 and curve.spells == 4


def test_delayed_entry_keeps_a_spell_out_of_the_risk_set_until_it_is_seen() -> None:
    # The second spell was already 50 days old when observation began: it is not at risk at day 10.
    curve = kaplan_meier([10, 100], [True, True], 365.0, entered=[0, 50])
    assert curve.survival == pytest.approx([0.0, 0.0])
    curve = kaplan_meier([10, 100, 120], [True, True, False], 365.0, entered=[0, 50, 0])
    assert curve.survival[0] == pytest.approx(0.5)  # at day 10: spells 1 and 3 at risk, one ends


def test_sampling_inverts_the_curve_and_extends_it_with_the_tail() -> None:
    curve = kaplan_meier([10, 20, 30, 40], [True, True, True, False], 365.0)
    draws = curve.sample(np.array([0.9, 0.6, 0.4, 0.1]))
    assert draws[0] == 10.0  # S falls to 0.75 at 10: u = 0.9 lands there
    assert draws[1] == 20.0
    assert draws[2] == 30.0
    assert draws[3] > 30.0  # beyond the last event: the exponential tail
    assert np.all(np.diff(curve.sample(np.linspace(0.99, 0.01, 50))) >= 0)  # smaller u, longer stay


def test_parameter_model_and_helpers() -> None:
    model = parameter_model(200.0, mean_duration_days=400.0)
    assert model.total_entries_per_year() == pytest.approx(200.0)
    assert model.curve("in_house", "5-9").mean_days() == pytest.approx(400.0)
    assert age_band(0) == "0" and age_band(4) == "1-4" and age_band(15) == "10-15" and age_band(19) == "16-17"
    assert collection_year(__import__("datetime").date(2023, 3, 31)) == 2023
    assert collection_year(__import__("datetime").date(2023, 4, 1)) == 2024


def test_one_draw_at_a_time_is_the_same_number_as_sample() -> None:
    rng = np.random.default_rng(5)
    durations = rng.exponential(300, size=200).round() + 1
    fitted = kaplan_meier(durations.tolist(), (rng.random(200) < 0.8).tolist(), 365.0)
    empty = kaplan_meier([], [], 365.0)
    for curve in (fitted, empty):
        arrays = curve.arrays()
        survival = np.asarray(curve.survival)
        # Random uniforms, the curve's own steps and their neighbours (ties), and the far tail.
        us = np.concatenate([rng.random(2000), survival, np.nextafter(survival, 0), np.nextafter(survival, 1)])
        for u in [*us.tolist(), 1e-13, 0.0]:
            assert arrays.sample_one(u) == float(curve.sample(u)[0])
