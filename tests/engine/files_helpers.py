"""Helpers of the file importer tests (appointments, census): the real bulk export of the
shared data directory, fuzz settings and strategies, workbooks and NDJSON."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: The shared data directory sits next to the repository.
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
SYNTHEA = SHARED_DATA / "synthea-fhir-r4-10pt"
needs_synthea = pytest.mark.skipif(
    not (SYNTHEA / "Encounter.000.ndjson").is_file(),
    reason="the shared data directory (../shared/data/synthea-fhir-r4-10pt) is not here",
)
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DELIMITERS = st.sampled_from([",", ";"])


def json_values(*samples: str) -> st.SearchStrategy[Any]:
    """Any JSON value, its strings sometimes one of `samples` (values the reader knows)."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats()
        | st.text(max_size=30)
        | st.sampled_from(samples),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=12), children, max_size=5)
        ),
        max_leaves=25,
    )


def cell_rows(cells: list[str], max_width: int) -> st.SearchStrategy[list[list[str]]]:
    """Up to five rows of 1 to `max_width` cells, each one of `cells`."""
    return st.lists(st.lists(st.sampled_from(cells), min_size=1, max_size=max_width), max_size=5)


def fhir_shapes(doc: Any) -> list[Any]:
    """`doc` alone, as the entries of a Bundle, and as the resource of a Bundle's entry."""
    return [
        doc,
        {"resourceType": "Bundle", "entry": doc},
        {"resourceType": "Bundle", "entry": [{"resource": doc}]},
    ]


def only_refused(invalid: type, item: type, call: Callable, *args: Any, **kwargs: Any) -> None:
    """`call` gives `item` values or raises `invalid` with errors, nothing else."""
    try:
        result = call(*args, **kwargs)
    except invalid as exc:
        assert exc.errors and all(isinstance(str(e), str) for e in exc.errors)
    else:
        assert all(isinstance(x, item) for x in result)


def xlsx_bytes(rows: list[list], title: str, *others: str) -> bytes:
    """An XLSX workbook: `rows` in a sheet named `title`, then a sheet for each of
    `others` (one cell: ``not read``)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for other in others:
        wb.create_sheet(other).append(["not read"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ndjson(resources: Iterable[Any]) -> bytes:
    """NDJSON: one resource a line."""
    return "\n".join(json.dumps(r) for r in resources).encode("utf-8")


def ndjson_lines(path: Path) -> list[dict]:
    """The resources of an NDJSON file."""
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]
