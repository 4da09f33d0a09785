"""The optimiser's reasons, written in English in the plan's CSV, read in French on the pages."""

from __future__ import annotations

import pytest
from django.utils import translation

from crisiscell.continuity.reasons import label


@pytest.mark.parametrize(
    ("reason", "french"),
    [
        ("pinned by the scheduler", "épinglé par la programmation"),
        ("service degraded (40% of its capacity)", "service dégradé (40% de sa capacité)"),
        ("depends on A-000012, unplaced", "dépend de A-000012, sans nouvelle date"),
        (
            "no capacity at ARL-RAD from 2026-12-09 to 2027-02-01",
            "pas de capacité à ARL-RAD du 2026-12-09 au 2027-02-01",
        ),
        (
            "surgeon Dr Martin does not operate at ARL-BLOC within the horizon",
            "le chirurgien Dr Martin n’opère pas à ARL-BLOC dans l’horizon",
        ),
        ("something new", "something new"),  # not one of the engine's: shown as it is
    ],
)
def test_reasons_in_french(reason, french):
    with translation.override("fr"):
        assert label(reason) == french
    with translation.override("en"):
        assert label(reason) == reason or reason == "depends_on cycle"
