"""Census files: the patients present in the care units, for the downtime kits.

`read_census(data, filename, services)` reads a census file into `Inpatient` values
(`crisiscell.engine.kit_content`), each in a care service of `services` (service ids of
the group map), or raises `CensusInvalid` carrying *every* problem found, each naming
where: ``line 12`` (CSV), ``sheet Census, row 4`` (XLSX), ``entry[3].resource.birthDate``
(a FHIR Bundle), ``census.ndjson line 7`` (NDJSON). Nothing is returned when anything is
wrong; a file with a header and no patient (or FHIR with no one present) gives [].

The format is told by the file name: ``.csv``, ``.xlsx``, ``.json`` (a FHIR Bundle or one
resource; NDJSON under that name reads too) or ``.ndjson`` (FHIR resources, one a line).
With another name, by the contents: a ZIP is a workbook, ``{`` or ``[`` starts FHIR JSON,
anything else is CSV.

Options: `service_map` maps other codes to service ids (``value``, or ``system|value`` in
FHIR); `tz` (a zone name or tzinfo) reads a time without offset as a wall-clock time of
that zone. Without `tz`, such a time is an error.

Tables (CSV and XLSX)
    A header row, then one patient a row. Columns: `COLUMNS`, in any order; `patient_id`,
    `name` and `service` are required (the column and a value in every row), the others
    may be left out; any other column is an error. CSV is UTF-8 with or without a
    byte-order mark, separated by ``,`` or ``;`` (whichever the header uses more); an XLSX
    workbook is read from its first sheet.

    - `service`: a service id of `services` (after `service_map`).
    - `room`, `bed`: free text (``214``, ``A``); a spreadsheet number 214 reads ``214``.
    - `birth_date`: ``YYYY-MM-DD`` (or a date cell), from 1880, not after the admission.
    - `sex`: ``F`` or ``M``; ``female``, ``femme``, ``male``, ``homme``, ``H`` (any case)
      read the same; ``other``, ``autre``, ``unknown``, ``inconnu``, ``X``, ``U``, ``O`` or
      empty give "" (unknown); anything else is an error.
    - `admitted`: an ISO 8601 date and time with its offset (``2024-03-05T14:20:00+01:00``,
      ``…Z``) or its zone in brackets (``2024-03-05T14:20[Europe/Brussels]``), kept in UTC.
      Without either it is an error (unless `tz` is given), and so is a date alone.
    - `allergies`, `alerts`: lists in one cell, items separated by ``|`` or ``;`` whatever
      the file's separator (the writer uses ``|``: a ``;``-separated file then needs no
      quotes); blank items and repeats are dropped. An item cannot hold ``|`` or ``;``.

    Across rows: a `patient_id` twice is an error (told as a patient in two beds when the
    rooms or beds differ), and so are two patients in one bed (same service, `room` and
    `bed`). Rows with no `bed` are not compared: a room may hold a mother and her newborn,
    or a file may not track beds.

FHIR R4: see `crisiscell.engine.census_fhir`. The reading of CSV, XLSX and FHIR shared
with the appointment importer is in `crisiscell.engine.table_files` and
`crisiscell.engine.fhir_files`.

`demo_census.to_csv` writes the CSV; `read_census` reads it back equal. No Django here.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import PurePosixPath
from typing import Any

from .file_errors import FileInvalid, Place, short
from .kit_content import Inpatient
from .table_files import (
    NO_ZONE,
    Table,
    blank,
    cell_text,
    csv_table,
    decode_csv,
    line_of,
    localize,
    parse_start,
    table_records,
    xlsx_table,
)

#: Columns of the table formats, in the order the writer writes them.
COLUMNS = (
    "patient_id",
    "name",
    "service",
    "room",
    "bed",
    "birth_date",
    "sex",
    "admitted",
    "allergies",
    "alerts",
)
REQUIRED_COLUMNS = ("patient_id", "name", "service")
_SEXES = {"f": "F", "female": "F", "femme": "F", "m": "M", "male": "M", "h": "M", "homme": "M"}
_SEXES |= dict.fromkeys(("", "o", "other", "autre", "u", "unknown", "inconnu", "x"), "")
_ITEM_SEPARATORS = re.compile(r"[|;]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST_BIRTH = date(1880, 1, 1)


@dataclass(frozen=True)
class CensusError:
    """One problem in a census file: where (``line 12``, ``entry[3].resource.subject``,
    ``sheet Census, row 4``) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class CensusInvalid(ValueError):
    """Raised with every error found (never only the first); nothing is imported."""

    def __init__(self, errors: list[CensusError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def _invalid(errors: Iterable[Any]) -> CensusInvalid:
    """The errors of the shared readers (and of this module) as census errors."""
    return CensusInvalid([CensusError(e.where, e.message) for e in errors])


@dataclass(frozen=True)
class _Census:
    services: frozenset[str]
    service_map: Mapping[str, str]
    tz: tzinfo | None


def read_census(
    data: bytes,
    filename: str,
    services: Collection[str],
    *,
    service_map: Mapping[str, str] | None = None,
    tz: str | tzinfo | None = None,
) -> list[Inpatient]:
    """The patients present of a census file's bytes (see the module docstring)."""
    known = frozenset(services)
    bad = [
        CensusError("service_map", f"{short(k)} → {short(v)}: unknown service")
        for k, v in (service_map or {}).items()
        if v not in known
    ]
    if isinstance(tz, str):
        try:
            tz = zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            bad.append(CensusError("tz", f"unknown time zone {short(tz)}"))
    if bad:
        raise CensusInvalid(bad)
    ctx = _Census(known, dict(service_map or {}), tz if isinstance(tz, tzinfo) else None)
    filename = PurePosixPath(filename.replace("\\", "/")).name
    kind = _format(data, filename)
    try:
        if kind == "xlsx":
            return _parse_table(xlsx_table(data), ctx)
        if kind == "csv":
            return _parse_table(csv_table(decode_csv(data, nul_lines=True)), ctx)
        from .census_fhir import read_fhir

        return read_fhir(data, filename, kind, ctx)
    except FileInvalid as exc:  # raised by the shared readers
        raise _invalid(exc.errors) from None


def _format(data: bytes, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    known = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
    known |= {".ndjson": "ndjson", ".jsonl": "ndjson"}
    if suffix in known:
        return known[suffix]
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    return "csv"


# ---------------------------------------------------------------------------
# Tables: CSV and XLSX
# ---------------------------------------------------------------------------


def _parse_table(table: Table, ctx: _Census) -> list[Inpatient]:
    errors: list[Any] = []
    patients: list[Inpatient] = []
    beds: list[tuple[str, str, str, str, Place]] = []
    for place, values in table_records(table, COLUMNS, REQUIRED_COLUMNS, errors):
        patient = _row(values, place, ctx, errors)
        if patient is not None:
            patients.append(patient)
        if pid := cell_text(values.get("patient_id")):
            code = cell_text(values.get("service"))
            where = (
                ctx.service_map.get(code, code),
                *(cell_text(values.get(c)) for c in ("room", "bed")),
            )
            beds.append((pid, *where, place))
    check_beds(beds, errors)
    if errors:
        raise _invalid(sorted(errors, key=line_of))
    return patients


def _row(
    values: Mapping[str, Any], place: Place, ctx: _Census, errors: list[Any]
) -> Inpatient | None:
    before = len(errors)

    def bad(column: str, message: str) -> None:
        errors.append(place.error(column, message))

    text = {c: cell_text(values.get(c)) for c in COLUMNS}
    for column in REQUIRED_COLUMNS:
        if not text[column]:
            bad(column, "missing")
    service = ctx.service_map.get(text["service"], text["service"])
    if service and service not in ctx.services:
        bad("service", f"unknown service {short(text['service'])} (not a care service of the map)")
    birth = admitted = None
    try:
        birth = _birth_date(values.get("birth_date"))
    except ValueError as exc:
        bad("birth_date", str(exc))
    sex = _SEXES.get(text["sex"].lower())
    if sex is None:
        bad("sex", f"{short(text['sex'])} is not a sex (expected F, M or empty)")
    if not blank(values.get("admitted")):
        try:
            admitted = parse_admitted(values["admitted"], ctx.tz)
        except ValueError as exc:
            bad("admitted", str(exc))
    if birth and admitted and birth > admitted.date() + timedelta(days=1):
        bad("birth_date", f"{birth.isoformat()} is after the admission")
    if len(errors) > before:
        return None
    return Inpatient(
        patient_id=text["patient_id"],
        name=text["name"],
        service=service,
        birth_date=birth,
        sex=sex or "",
        room=text["room"],
        bed=text["bed"],
        admitted=admitted,
        allergies=items(text["allergies"]),
        alerts=items(text["alerts"]),
    )


def _birth_date(value: Any) -> date | None:
    if blank(value):
        return None
    if isinstance(value, datetime):  # a spreadsheet date cell
        if value.time() != datetime.min.time():
            raise ValueError(f"{value.isoformat(sep=' ')} is a date and time, not a date")
        value = value.date()
    if not isinstance(value, date):
        text = cell_text(value)
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError
            value = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{short(text)} is not a date (expected YYYY-MM-DD)") from None
    if value < EARLIEST_BIRTH:
        raise ValueError(f"{value.isoformat()} is before {EARLIEST_BIRTH.year}")
    return value


def parse_admitted(value: Any, tz: tzinfo | None) -> datetime:
    """An admission time (text or a spreadsheet date-time cell) as an aware UTC datetime;
    without an offset or a zone, a wall-clock time of `tz`, or an error when `tz` is None.
    Raises ValueError with the reason."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        if tz is None:
            raise ValueError(f"{value.isoformat(sep=' ', timespec='minutes')} {NO_ZONE}")
        return localize(value, tz).astimezone(UTC)
    if isinstance(value, date):
        raise ValueError(f"{value.isoformat()} is a date without a time")
    return parse_start(cell_text(value), tz)


def items(cell: str) -> tuple[str, ...]:
    """The items of a list cell (``Latex | AINS``), blank ones and repeats dropped."""
    out = (part.strip() for part in _ITEM_SEPARATORS.split(cell))
    return tuple(dict.fromkeys(part for part in out if part))


def check_beds(
    beds: list[tuple[str, str, str, str, Any]],
    errors: list[Any],
    fields: tuple[str, str] = ("patient_id", "bed"),
) -> None:
    """A patient twice, two patients in one bed, over (patient id, service, room, bed,
    place) of every record naming a patient, valid or not; `place.error` makes the error,
    naming the field of the patient or of the bed (`fields`)."""
    first: dict[str, tuple[str, str, str, Any]] = {}
    taken: dict[tuple[str, str, str], tuple[str, Any]] = {}
    for pid, service, room, bed, place in beds:
        if pid in first:
            other = first[pid]
            if other[:3] != (service, room, bed) and (room or bed or other[1] or other[2]):
                label = _bed_label(*other[:3])
                message = f"{short(pid)} is already in {label} at {other[3].where}"
                message += ": a patient in two beds"
            else:
                message = f"{short(pid)} is already at {other[3].where}"
            errors.append(place.error(fields[0], message))
        else:
            first[pid] = (service, room, bed, place)
        if bed:
            key = (service, room, bed)
            if key in taken and taken[key][0] != pid:
                holder, at = taken[key]
                message = f"{_bed_label(*key)} is already taken by {short(holder)} at {at.where}"
                errors.append(place.error(fields[1], message))
            else:
                taken.setdefault(key, (pid, place))


def _bed_label(service: str, room: str, bed: str) -> str:
    parts = [f"room {room}" if room else "", f"bed {bed}" if bed else ""]
    return " ".join(p for p in parts if p) + f" of {service}" if room or bed else service
