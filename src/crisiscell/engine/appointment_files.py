"""Appointment files (FORMATS.md §2): CSV, XLSX, FHIR R4 Bundles and NDJSON bulk exports.

`read_appointments(path, gm, **options)` reads a file (or a folder of NDJSON files) into
`Appointment` values, all checked against the group map `gm`, or raises
`AppointmentsInvalid` carrying *every* problem found, each naming where: ``line 12``
(CSV), ``sheet appointments, row 4`` (XLSX), ``entry[3].resource.start`` (a Bundle),
``Encounter.000.ndjson line 7`` (NDJSON). Nothing is returned when anything is wrong.
`parse_bytes(data, name, gm, **options)` does the same for an upload; `parse_csv_text`,
`parse_xlsx`, `parse_fhir` and `parse_ndjson` are the readers it dispatches to.

Tables (CSV and XLSX)
    A header row, then one appointment a row. Columns: `COLUMNS`; `REQUIRED_COLUMNS` must
    be there, any other is an error. CSV is UTF-8 with or without a byte-order mark,
    separated by ``,`` or ``;``. An XLSX workbook is read from its ``appointments`` sheet,
    or its first sheet when none has that name.

    - `start`: ISO 8601. With an offset (``2022-05-23T08:30:00+02:00``, ``…Z``) it is that
      instant. Without one (``2022-05-23 08:30``, or a date cell of a spreadsheet) it is a
      wall-clock time of the group's time zone; a time that the clocks skip (spring) or
      show twice (autumn) is an error asking for the offset. A zone may also be named in
      brackets (``2022-05-23T08:30[Europe/Brussels]``, RFC 9557): an unknown zone, or an
      offset that disagrees with the zone, is an error. A date without a time is an error.
    - `duration_min`: a whole number of minutes, 1 to `MAX_DURATION_MIN`.
    - `urgency`: 1 (must not slip) to 4 (routine); `max_delay_days`: 0 to `MAX_DELAY_DAYS`,
      empty for the default of the urgency.
    - `service`: a care service id of the map (after `service_map`, if given).
    - `kind`: one of `KINDS`; empty, it follows the service's kind (`KIND_OF_SERVICE`).
    - `surgeon`: may stay empty, even for a surgery: any surgeon of the service may operate
      (hand-kept files rarely name one, and refusing them would refuse the whole file).
    - `depends_on`: the id of another appointment of the same file; the chain may not loop
      (the error names the loop's ids). Whether it comes first in the original schedule is
      the optimiser's business, not an import error.
    - `language`: ``fr``, ``nl``, ``de`` or ``en`` (``FR``, ``nl-BE`` read the same);
      empty means ``fr``.

FHIR R4 (a Bundle, a single resource, or NDJSON: one resource a line, from a bulk export)
    Every resource used (Appointment, Encounter, Patient, Practitioner, PractitionerRole,
    Location, HealthcareService) is validated with ``fhir.resources`` (R4B models, the same
    as R4 for these resources); its errors name the JSON path. Other known resource types
    are ignored; an unknown ``resourceType`` is an error.

    - Appointment: taken unless its status is ``fulfilled``, ``cancelled``, ``noshow`` or
      ``entered-in-error``; a ``proposed``, ``pending`` or ``waitlist`` one with no start
      yet is skipped. Duration: ``minutesDuration``, else ``end - start``. Urgency from
      ``priority`` (`urgency_of_priority`: 0 or none → `default_urgency`; 1-2 → 1;
      3-4 → 2; 5-6 → 3; 7-9 → 4).
    - Encounter (bulk exports rarely carry Appointments): taken when its status is
      ``planned``, ``arrived``, ``triaged``, ``in-progress`` or ``onleave``, or when it
      starts at or after `since` (default: now) and is not ``cancelled`` or
      ``entered-in-error``; never when its class is an emergency, an inpatient stay or a
      home visit (``EMER``, ``IMP``, ``ACUTE``, ``NONAC``, ``HH``: not scheduled at a
      service). Duration: ``length``, else ``period.end - period.start``. Urgency from
      ``priority`` (v3 ActPriority: `URGENCY_OF_ACT_PRIORITY`, else `default_urgency`).
    - The service is the first match, in this order, of: the identifiers of the
      participant / location ``HealthcareService`` or ``Location`` (resolved in the
      document, or given in the reference), then the codes of ``serviceType``,
      ``specialty``, ``appointmentType`` (Appointment) or ``type`` (Encounter). A value
      matches when it is a service id of the map or a key of `service_map` (``value`` or
      ``system|value``). With no match, `default_service`; else an error naming what was
      tried.
    - The patient is the Appointment's ``Patient`` participant, or the Encounter's
      subject: its id, name, phone (mobile first), e-mail and language (its preferred
      communication language among `LANGUAGES`, else ``fr``) come from the Patient
      resource when the document holds it, else from the reference.
    - A surgery's surgeon is its ``Practitioner`` participant (name, else reference).
    - FHIR carries no ``depends_on`` or ``max_delay_days``: they stay empty.
    - A document that names appointments or encounters but yields none is an error saying
      why each was left out, not a silent empty import.

`write_csv` / `write_xlsx` write the table format; reading it back gives equal
appointments. The reading of CSV, XLSX and FHIR shared with the census importer is in
`crisiscell.engine.table_files` and `crisiscell.engine.fhir_files`. No Django here.
"""

from __future__ import annotations

import csv
import io
import re
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import fhir_files as fhir
from . import table_files as tables
from .appointments import (
    KINDS,
    LANGUAGES,
    URGENCIES,
    Appointment,
    AppointmentError,
    AppointmentsInvalid,
)
from .fhir_files import ENCOUNTER_STATUSES, Index, Resource, Target, codes, human_name, record_id
from .file_errors import FileInvalid, Place, short
from .groupmap import GroupMap, Service
from .table_files import Table, blank, cell_text, localize, parse_start

#: Columns of the table formats, in the order the writers write them.
COLUMNS = (
    "appointment_id",
    "patient_id",
    "patient_name",
    "phone",
    "email",
    "service",
    "kind",
    "start",
    "duration_min",
    "urgency",
    "max_delay_days",
    "surgeon",
    "depends_on",
    "language",
)
REQUIRED_COLUMNS = ("appointment_id", "patient_id", "service", "start", "duration_min", "urgency")
#: The appointment kind of a service kind, when a row gives none; any other: consultation.
KIND_OF_SERVICE = {
    "consultation": "consultation",
    "surgery": "surgery",
    "radiology": "imaging",
    "imaging": "imaging",
    "nuclear_medicine": "imaging",
    "lab": "lab",
    "day_hospital": "day_hospital",
    "oncology_day": "day_hospital",
    # treatments and procedures rather than visits
    "endoscopy": "other",
    "cath_lab": "other",
    "dialysis": "other",
    "radiotherapy": "other",
}
MAX_DURATION_MIN = 7 * 24 * 60
MAX_DELAY_DAYS = 3650
DEFAULT_LANGUAGE = "fr"
SHEET = "appointments"

#: FHIR resource types the importer reads (and so validates); others are ignored.
FHIR_USED = (
    "Appointment",
    "Encounter",
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "HealthcareService",
)
APPOINTMENT_STATUSES = (
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
)
APPOINTMENT_SKIPPED = frozenset({"fulfilled", "cancelled", "noshow", "entered-in-error"})
APPOINTMENT_UNSCHEDULED = frozenset({"proposed", "pending", "waitlist"})
ENCOUNTER_OPEN = frozenset({"planned", "arrived", "triaged", "in-progress", "onleave"})
ENCOUNTER_VOID = frozenset({"cancelled", "entered-in-error"})
#: Encounter classes (v3 ActCode) that are not appointments at a care service.
ENCOUNTER_CLASSES_SKIPPED = frozenset({"EMER", "IMP", "ACUTE", "NONAC", "HH"})
#: Encounter.priority (v3 ActPriority) to urgency.
URGENCY_OF_ACT_PRIORITY = {
    "S": 1,  # stat
    "EM": 1,  # emergency
    "A": 1,  # as soon as possible
    "T": 1,  # timing critical
    "UR": 2,  # urgent
    "P": 2,  # pre-op
    "RR": 2,  # rush reporting
    "R": 3,  # routine
    "CR": 3,
    "CS": 3,
    "CSP": 3,
    "CSR": 3,
    "UD": 3,
    "EL": 4,  # elective
    "PRN": 4,  # as needed
}


def urgency_of_priority(priority: int | None, default: int = 3) -> int:
    """Appointment.priority (0-9: 0 undefined, 1 highest) as an urgency 1-4, in even bands:
    1-2 → 1, 3-4 → 2, 5-6 → 3, 7-9 → 4; 0 or none → `default`."""
    if not priority:
        return default
    return min(4, (priority + 1) // 2)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def read_appointments(path: Path, gm: GroupMap, **options: Any) -> list[Appointment]:
    """The appointments of a ``.csv``, ``.xlsx``, ``.json`` (Bundle) or ``.ndjson`` file, or
    of a folder of ``.ndjson`` files (a bulk export: Patients resolve across its files).

    Options: `service_map` (every format), `default_service`, `default_urgency`, `since`
    (FHIR); see `parse_fhir`."""
    path = Path(path)
    if path.is_dir():
        try:
            files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".ndjson")
        except OSError as exc:
            raise AppointmentsInvalid(
                [AppointmentError(path.name, f"cannot list the folder ({exc.strerror or exc})")]
            ) from None
        if not files:
            raise AppointmentsInvalid(
                [AppointmentError(path.name, "no .ndjson file in the folder")]
            )
        return parse_ndjson({p.name: _read_bytes(p) for p in files}, gm, **options)
    return parse_bytes(_read_bytes(path), path.name, gm, **options)


def parse_bytes(data: bytes, name: str, gm: GroupMap, **options: Any) -> list[Appointment]:
    """The appointments of a file's bytes, its format told by the suffix of `name`."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return parse_csv_bytes(data, gm, service_map=options.get("service_map"))
    if suffix == ".xlsx":
        return parse_xlsx(data, gm, service_map=options.get("service_map"))
    if suffix == ".json":
        with _refused():
            doc = fhir.load_json(data, "")
        return parse_fhir(doc, gm, **options)
    if suffix == ".ndjson":
        return parse_ndjson({name: data}, gm, **options)
    raise AppointmentsInvalid(
        [
            AppointmentError(
                name,
                f"unknown appointment format {suffix or '(no extension)'!r}: expected .csv, "
                ".xlsx, .json (a FHIR Bundle) or .ndjson (a FHIR bulk export)",
            )
        ]
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AppointmentsInvalid(
            [AppointmentError(path.name, f"cannot read the file ({exc.strerror or exc})")]
        ) from None


@contextmanager
def _refused() -> Iterator[None]:
    """A file refused by the shared readers (`FileInvalid`), as AppointmentsInvalid."""
    try:
        yield
    except FileInvalid as exc:
        raise _invalid(exc.errors) from None


def _invalid(errors: Iterable[Any]) -> AppointmentsInvalid:
    """The errors of the shared readers (and of this module) as appointment errors."""
    return AppointmentsInvalid([AppointmentError(e.where, e.message) for e in errors])


# ---------------------------------------------------------------------------
# Values shared by every format
# ---------------------------------------------------------------------------


@dataclass
class _Context:
    gm: GroupMap
    tz: tzinfo
    services: Mapping[str, Service]
    service_map: Mapping[str, str]


def _context(gm: GroupMap, service_map: Mapping[str, str] | None) -> _Context:
    try:
        tz: tzinfo = zoneinfo.ZoneInfo(gm.group.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # parse_map refuses these already
        tz = UTC
    services = {s.id: s for s in gm.services}
    mapping = dict(service_map or {})
    bad = [
        AppointmentError("service_map", f"{short(k)} → {short(v)}: unknown service")
        for k, v in mapping.items()
        if not isinstance(v, str) or v not in services
    ]
    if bad:
        raise AppointmentsInvalid(bad)
    return _Context(gm, tz, services, mapping)


_INTEGER = re.compile(r"[+-]?\d{1,12}")


def _integer(value: Any) -> int | None:
    """A whole number from a cell: text digits, an int, or a float with no fraction."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e12 else None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 10**12 else None
    text = str(value).strip()
    return int(text) if _INTEGER.fullmatch(text) else None


def _language(value: str) -> str | None:
    """``fr``, ``FR``, ``fr-BE``, ``nl_BE`` → the language; None when not one of LANGUAGES."""
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else None


_EMAIL = re.compile(r"[^\s@<>(),;:\"\[\]\\]+@[^\s@<>(),;:\"\[\]\\.]+(\.[^\s@<>(),;:\"\[\]\\.]+)+")


def _kind_of(service: Service) -> str:
    return KIND_OF_SERVICE.get(service.kind, "consultation")


# ---------------------------------------------------------------------------
# Links between appointments: duplicate ids, depends_on, cycles
# ---------------------------------------------------------------------------


def _check_links(links: list[tuple[str, str, Place]], id_field: str, errors: list[Any]) -> None:
    """Duplicate ids, unknown `depends_on` and loops, over (id, depends_on, place) of every
    record that has an id, valid or not (a row with a bad date still has its id)."""
    first: dict[str, Place] = {}
    for rid, _, place in links:
        if rid in first:
            errors.append(place.error(id_field, f"{short(rid)} is already at {first[rid].where}"))
        else:
            first[rid] = place
    after = {rid: dep for rid, dep, _ in links}
    for _, dep, place in links:
        if dep and dep not in after:
            errors.append(
                place.error("depends_on", f"{short(dep)} is not an appointment of the file")
            )
    # Each appointment depends on one other at most: a loop is found by walking forward.
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    order = {rid: i for i, (rid, _, _) in reversed(list(enumerate(links)))}
    for rid, _, _ in links:
        if rid in state:
            continue
        walk: list[str] = []
        current: str | None = rid
        while current is not None and current in after and current not in state:
            state[current] = 1
            walk.append(current)
            current = after[current] or None
        if current is not None and state.get(current) == 1:
            loop = walk[walk.index(current) :]
            head = min(range(len(loop)), key=lambda i: order[loop[i]])
            loop = loop[head:] + loop[:head]  # told from its first appointment in the file
            if len(loop) == 1:
                message = f"{short(current)} depends on itself"
            else:
                message = "a loop: " + " → ".join([*loop, loop[0]])
            errors.append(first[loop[0]].error("depends_on", message))
        for a in walk:
            state[a] = 2


# ---------------------------------------------------------------------------
# Tables: CSV and XLSX
# ---------------------------------------------------------------------------


def parse_csv_bytes(
    data: bytes, gm: GroupMap, *, service_map: Mapping[str, str] | None = None
) -> list[Appointment]:
    """The appointments of a CSV file's bytes (UTF-8, with or without a byte-order mark)."""
    with _refused():
        text = tables.decode_csv(data)
    return parse_csv_text(text, gm, service_map=service_map)


def parse_csv_text(
    text: str, gm: GroupMap, *, service_map: Mapping[str, str] | None = None
) -> list[Appointment]:
    """The appointments of a CSV text, separated by ``,`` or ``;`` (whichever the header
    uses more). Raises AppointmentsInvalid with every problem, by line."""
    with _refused():
        table = tables.csv_table(text.removeprefix("\ufeff"))
    return _parse_table(table, gm, service_map)


def parse_xlsx(
    source: bytes | Path, gm: GroupMap, *, service_map: Mapping[str, str] | None = None
) -> list[Appointment]:
    """The appointments of an XLSX workbook: its ``appointments`` sheet, else its first."""
    with _refused():
        table = tables.xlsx_table(source, SHEET)
    return _parse_table(table, gm, service_map)


def _parse_table(
    table: Table, gm: GroupMap, service_map: Mapping[str, str] | None
) -> list[Appointment]:
    ctx = _context(gm, service_map)
    errors: list[Any] = []
    with _refused():
        records = tables.table_records(table, COLUMNS, REQUIRED_COLUMNS, errors)
    items: list[Appointment] = []
    links: list[tuple[str, str, Place]] = []
    for place, values in records:
        appt = _row(values, place, ctx, errors)
        if appt is not None:
            items.append(appt)
        rid = cell_text(values.get("appointment_id"))
        if rid:
            links.append((rid, cell_text(values.get("depends_on")), place))
    _check_links(links, "appointment_id", errors)
    if errors:
        raise _invalid(sorted(errors, key=tables.line_of))
    return items


def _row(
    values: Mapping[str, Any], place: Place, ctx: _Context, errors: list[Any]
) -> Appointment | None:
    before = len(errors)

    def bad(column: str, message: str) -> None:
        errors.append(place.error(column, message))

    text = {c: cell_text(values.get(c)) for c in COLUMNS if not isinstance(values.get(c), datetime)}
    for column in REQUIRED_COLUMNS:
        if blank(values.get(column)):
            bad(column, "missing")

    service: Service | None = None
    code = text.get("service", "")
    if code:
        sid = ctx.service_map.get(code, code)
        service = ctx.services.get(sid)
        if service is None:
            bad("service", f"unknown service {short(code)} (not a care service of the map)")

    start: datetime | None = None
    raw_start = values.get("start")
    if isinstance(raw_start, datetime):  # a spreadsheet date cell: a wall-clock time
        try:
            start = (
                raw_start.astimezone(UTC)
                if raw_start.tzinfo
                else localize(raw_start, ctx.tz).astimezone(UTC)
            )
        except (ValueError, OverflowError) as exc:
            bad("start", str(exc))
    elif isinstance(raw_start, date):
        bad("start", f"{raw_start.isoformat()} is a date without a time")
    elif text.get("start"):
        try:
            start = parse_start(text["start"], ctx.tz)
        except ValueError as exc:
            bad("start", str(exc))

    duration = _bounded(
        values, "duration_min", 1, MAX_DURATION_MIN, "a whole number of minutes", bad
    )
    urgency = _bounded(values, "urgency", URGENCIES[0], URGENCIES[-1], "an urgency", bad)
    max_delay = _bounded(values, "max_delay_days", 0, MAX_DELAY_DAYS, "a number of days", bad)

    kind = re.sub(r"[\s-]+", "_", text.get("kind", "").lower())
    if kind and kind not in KINDS:
        bad("kind", f"unknown kind {short(text['kind'])} (expected: {', '.join(KINDS)})")

    language = DEFAULT_LANGUAGE
    if text.get("language"):
        found = _language(text["language"])
        if found is None:
            bad(
                "language",
                f"unknown language {short(text['language'])} (expected: {', '.join(LANGUAGES)})",
            )
        else:
            language = found

    email = text.get("email", "")
    if email and not _EMAIL.fullmatch(email):
        bad("email", f"{short(email)} is not an e-mail address")

    if len(errors) > before or service is None or start is None:
        return None
    assert duration is not None and urgency is not None
    return Appointment(
        id=text["appointment_id"],
        patient_id=text["patient_id"],
        service=service.id,
        kind=kind or _kind_of(service),
        start=start,
        duration_min=duration,
        urgency=urgency,
        max_delay_days=max_delay,
        surgeon=text.get("surgeon", ""),
        depends_on=text.get("depends_on", ""),
        patient_name=text.get("patient_name", ""),
        phone=text.get("phone", ""),
        email=email,
        language=language,
    )


def _bounded(
    values: Mapping[str, Any],
    column: str,
    low: int,
    high: int,
    what: str,
    bad: Callable[[str, str], None],
) -> int | None:
    raw = values.get(column)
    if blank(raw):
        return None
    number = _integer(raw)
    if number is None or not low <= number <= high:
        bad(column, f"{short(cell_text(raw))} is not {what} from {low} to {high}")
        return None
    return number


# ---------------------------------------------------------------------------
# FHIR R4: Bundles, single resources, NDJSON bulk exports
# ---------------------------------------------------------------------------


def parse_ndjson(
    files: Mapping[str, bytes | str], gm: GroupMap, **options: Any
) -> list[Appointment]:
    """The appointments of NDJSON files (name → content), one FHIR resource a line, as a
    bulk export writes them; references resolve across the files. Errors name the file
    and line: ``Encounter.000.ndjson line 7: period.start: …``."""
    errors: list[Any] = []
    resources = fhir.ndjson_resources(files, FHIR_USED, errors)
    return _parse_resources(resources, gm, errors, **options)


def parse_fhir(
    source: Any,
    gm: GroupMap,
    *,
    service_map: Mapping[str, str] | None = None,
    default_service: str | None = None,
    default_urgency: int = 3,
    since: datetime | None = None,
) -> list[Appointment]:
    """The appointments of a FHIR R4 document: a Bundle, one resource, or a list of
    resources (as read from NDJSON). Errors name the JSON path (``entry[3].resource.start``).

    - `service_map`: codes or identifiers (``value`` or ``system|value``) → service ids of
      the map, for documents coded in another system;
    - `default_service`: the service of a record that matches none;
    - `default_urgency`: the urgency of a record with no (or an undefined) priority;
    - `since`: Encounters starting at or after it are taken whatever their status (but
      cancelled); default: now. Appointments are taken whatever their date.
    """
    errors: list[Any] = []
    resources = fhir.document_resources(source, FHIR_USED, errors)
    return _parse_resources(
        resources,
        gm,
        errors,
        service_map=service_map,
        default_service=default_service,
        default_urgency=default_urgency,
        since=since,
    )


# --- building appointments ------------------------------------------------------------


@dataclass
class _Fhir:
    ctx: _Context
    index: Index
    default_service: Service | None
    default_urgency: int
    since: datetime

    def service(
        self,
        res: Resource,
        places: list[Target],
        coded: list[tuple[str, list[tuple[str, str]]]],
        errors: list[Any],
    ) -> Service | None:
        """The care service a record names (`match_service`), else the default one."""
        ctx = self.ctx
        return fhir.match_service(
            res.place, places, coded, ctx.service_map, ctx.services, self.default_service, errors
        )


def _parse_resources(
    resources: list[Resource],
    gm: GroupMap,
    errors: list[Any],
    *,
    service_map: Mapping[str, str] | None = None,
    default_service: str | None = None,
    default_urgency: int = 3,
    since: datetime | None = None,
) -> list[Appointment]:
    try:
        ctx = _context(gm, service_map)
    except AppointmentsInvalid as exc:
        raise _invalid(errors + exc.errors) from None
    default = None
    wrong: list[AppointmentError] = []  # the options themselves: nothing else makes sense then
    if default_service is not None:
        default = ctx.services.get(default_service)
        if default is None:
            wrong.append(
                AppointmentError("default_service", f"unknown service {short(default_service)}")
            )
    if default_urgency not in URGENCIES:
        wrong.append(AppointmentError("default_urgency", "expected 1, 2, 3 or 4"))
    if wrong:
        raise _invalid(errors + wrong)
    if since is not None and since.tzinfo is None:
        raise TypeError("since must be an aware datetime")
    run = _Fhir(ctx, Index(resources), default, default_urgency, since or datetime.now(UTC))
    items: list[tuple[Appointment, Place]] = []
    skipped: Counter[str] = Counter()
    for res in resources:
        if res.model is None or res.type not in ("Appointment", "Encounter"):
            continue
        build = _from_appointment if res.type == "Appointment" else _from_encounter
        before = len(errors)
        result = build(res, run, errors)
        if isinstance(result, Appointment):
            items.append((result, res.place))
        elif isinstance(result, str):
            skipped[result] += 1
        elif len(errors) == before:  # pragma: no cover - every failure says why
            errors.append(res.place.error("", "not imported"))
    _check_links([(a.id, a.depends_on, place) for a, place in items], "id", errors)
    if not items and skipped and not errors:
        reasons = "; ".join(f"{n} {reason}" for reason, n in sorted(skipped.items()))
        errors.append(AppointmentError("", f"no appointment to import: {reasons}"))
    if errors:
        raise _invalid(errors)
    return [appt for appt, _ in items]


def _aware_utc(value: Any, place: Place, field: str, errors: list[Any]):
    """A FHIR date-time (a model value) as UTC; an error for a date alone or none."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            errors.append(place.error(field, "a time without a time zone"))
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            errors.append(place.error(field, "out of range"))
            return None
    if value is None:
        errors.append(place.error(field, "missing"))
    else:
        errors.append(place.error(field, f"{short(value)} is a date without a time"))
    return None


def _minutes(delta: timedelta) -> int:
    """A positive duration in whole minutes, rounded up (a 20 min 30 s slot takes 21)."""
    seconds = delta.total_seconds()
    return int(-(-seconds // 60)) if seconds > 0 else int(seconds // 60)


def _duration_ok(minutes: int | None, place: Place, field: str, errors: list[Any]) -> int | None:
    if minutes is None:
        return None
    if not 1 <= minutes <= MAX_DURATION_MIN:
        errors.append(
            place.error(
                field, f"a duration of {minutes} minute(s): expected 1 to {MAX_DURATION_MIN}"
            )
        )
        return None
    return minutes


@dataclass
class _Patient:
    id: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    language: str = DEFAULT_LANGUAGE


def _patient(target: Target) -> _Patient:
    p = _Patient(id=target.id, name=target.display)
    if not p.id and target.identifiers:
        p.id = target.identifiers[0][1]
    model = target.resource.model if target.resource is not None else None
    if model is None or target.type != "Patient":
        return p
    p.name = human_name(model.name) or p.name
    telecom = [t for t in (model.telecom or []) if t.value and t.use != "old"]
    telecom.sort(key=lambda t: t.rank or 10**6)
    phones = [t for t in telecom if t.system in ("phone", "sms")]
    phones.sort(key=lambda t: 0 if t.use == "mobile" else 1)  # stable: rank within each
    if phones:
        p.phone = phones[0].value.strip()
    emails = [t for t in telecom if t.system == "email"]
    if emails:
        p.email = emails[0].value.strip()
    comms = list(model.communication or [])
    comms.sort(key=lambda c: 0 if c.preferred else 1)
    for c in comms:
        said = [code for _, code in codes([c.language])]
        if c.language is not None and c.language.text:
            said.append(c.language.text)
        found = next((lang for code in said if (lang := _language(code))), None)
        if found:
            p.language = found
            break
    return p


def _practitioner_name(target: Target) -> str:
    model = target.resource.model if target.resource is not None else None
    if model is not None and target.type == "Practitioner":
        name = human_name(model.name)
        if name:
            return name
    return target.display or target.id or (target.identifiers[0][1] if target.identifiers else "")


def _appointment(
    rid: str,
    patient: _Patient,
    service: Service,
    kind: str,
    start: datetime,
    duration: int,
    urgency: int,
    surgeon: str,
) -> Appointment:
    """An appointment read from FHIR (an Appointment or an Encounter), with its patient."""
    return Appointment(
        id=rid,
        patient_id=patient.id,
        service=service.id,
        kind=kind,
        start=start,
        duration_min=duration,
        urgency=urgency,
        surgeon=surgeon,
        patient_name=patient.name,
        phone=patient.phone,
        email=patient.email,
        language=patient.language,
    )


def _from_appointment(res: Resource, run: _Fhir, errors: list[Any]):
    a, place = res.model, res.place
    status = a.status
    if status not in APPOINTMENT_STATUSES:
        errors.append(
            place.error(
                "status",
                f"unknown status {short(status)} (expected: {', '.join(APPOINTMENT_STATUSES)})",
            )
        )
        return None
    if status in APPOINTMENT_SKIPPED:
        return f"Appointment(s) {status}"
    if a.start is None and status in APPOINTMENT_UNSCHEDULED:
        return f"Appointment(s) {status} with no start yet"
    before = len(errors)
    rid = record_id(res)
    if not rid:
        errors.append(place.error("id", "missing (no id, identifier or fullUrl)"))
    start = _aware_utc(a.start, place, "start", errors)
    duration: int | None = None
    if a.minutesDuration is not None:
        duration = _duration_ok(a.minutesDuration, place, "minutesDuration", errors)
    elif start is not None:
        end = _aware_utc(a.end, place, "end", errors) if a.end is not None else None
        if end is None and a.end is None:
            errors.append(place.error("minutesDuration", "missing (and no end)"))
        elif end is not None:
            duration = _duration_ok(_minutes(end - start), place, "end", errors)
    urgency = run.default_urgency
    if a.priority is not None:
        if a.priority > 9:
            errors.append(place.error("priority", f"{a.priority}: expected 0 to 9"))
        else:
            urgency = urgency_of_priority(a.priority, run.default_urgency)

    patients: list[tuple[int, Target]] = []
    places: list[Target] = []
    practitioners: list[Target] = []
    for i, part in enumerate(a.participant or []):
        target = run.index.resolve(part.actor)
        if target.type == "Patient":
            patients.append((i, target))
        elif target.type in ("HealthcareService", "Location"):
            places.append(target)
        elif target.type in ("Practitioner", "PractitionerRole"):
            practitioners.append(target)
    if not patients:
        errors.append(place.error("participant", "no Patient participant"))
    elif len({t.id or t.identifiers for _, t in patients}) > 1:
        errors.append(place.error(f"participant[{patients[1][0]}]", "a second Patient participant"))
    service = run.service(
        res,
        places,
        [
            ("serviceType", codes(a.serviceType)),
            ("specialty", codes(a.specialty)),
            ("appointmentType", codes([a.appointmentType] if a.appointmentType else [])),
        ],
        errors,
    )
    patient = _patient(patients[0][1]) if patients else _Patient()
    if patients and not patient.id:
        errors.append(place.error(f"participant[{patients[0][0]}].actor", "a patient with no id"))
    if len(errors) > before or service is None or start is None or duration is None:
        return None
    kind = _kind_of(service)
    surgeon = _practitioner_name(practitioners[0]) if kind == "surgery" and practitioners else ""
    return _appointment(rid, patient, service, kind, start, duration, urgency, surgeon)


def _from_encounter(res: Resource, run: _Fhir, errors: list[Any]):
    e, place = res.model, res.place
    status = e.status
    if status not in ENCOUNTER_STATUSES:
        errors.append(
            place.error(
                "status",
                f"unknown status {short(status)} (expected: {', '.join(ENCOUNTER_STATUSES)})",
            )
        )
        return None
    klass = e.class_fhir.code if e.class_fhir is not None else None
    if klass in ENCOUNTER_CLASSES_SKIPPED:
        return f"Encounter(s) of class {klass} (not scheduled at a care service)"
    if status in ENCOUNTER_VOID:
        return f"Encounter(s) {status}"
    raw_start = e.period.start if e.period is not None else None
    if status not in ENCOUNTER_OPEN:
        # finished or unknown: only what is still to come
        if not isinstance(raw_start, datetime) or raw_start.tzinfo is None:
            return f"Encounter(s) {status} with no start date and time"
        try:
            if raw_start < run.since:
                return f"Encounter(s) {status} before {run.since.isoformat()}"
        except OverflowError:
            pass
    before = len(errors)
    rid = record_id(res)
    if not rid:
        errors.append(place.error("id", "missing (no id or identifier)"))
    start = _aware_utc(raw_start, place, "period.start", errors)
    duration: int | None = None
    if e.length is not None and e.length.value is not None:
        duration = _length_minutes(e.length, place, errors)
    elif start is not None:
        raw_end = e.period.end if e.period is not None else None
        if raw_end is None:
            errors.append(place.error("length", "missing (and no period.end)"))
        else:
            end = _aware_utc(raw_end, place, "period.end", errors)
            if end is not None:
                duration = _duration_ok(_minutes(end - start), place, "period.end", errors)
    urgency = run.default_urgency
    for _, code in codes([e.priority] if e.priority is not None else []):
        if code.upper() in URGENCY_OF_ACT_PRIORITY:
            urgency = URGENCY_OF_ACT_PRIORITY[code.upper()]
            break
    subject = run.index.resolve(e.subject)
    if e.subject is None:
        errors.append(place.error("subject", "missing: whose encounter?"))
    elif subject.type and subject.type != "Patient":
        errors.append(place.error("subject", f"a {subject.type}, not a Patient"))
    patient = _patient(subject)
    if e.subject is not None and not patient.id:
        errors.append(place.error("subject", "a patient with no id"))
    places = [run.index.resolve(loc.location) for loc in (e.location or [])]
    service = run.service(
        res,
        places,
        [
            ("serviceType", codes([e.serviceType] if e.serviceType else [])),
            ("type", codes(e.type)),
        ],
        errors,
    )
    if len(errors) > before or service is None or start is None or duration is None:
        return None
    kind = _kind_of(service)
    surgeon = ""
    if kind == "surgery":
        for part in e.participant or []:
            target = run.index.resolve(part.individual)
            if target.type in ("Practitioner", "PractitionerRole", ""):
                surgeon = _practitioner_name(target)
                if surgeon:
                    break
    return _appointment(rid, patient, service, kind, start, duration, urgency, surgeon)


_MINUTES_PER_UNIT = {"s": Decimal(1) / 60, "min": Decimal(1), "h": Decimal(60), "d": Decimal(1440)}
_UNIT_ALIASES = {"minute": "min", "minutes": "min", "hour": "h", "hours": "h", "day": "d"}


def _length_minutes(length: Any, place: Place, errors: list[Any]) -> int | None:
    """Encounter.length (a Duration: s, min, h or d) in whole minutes, rounded up."""
    unit = (length.code or length.unit or "min").strip().lower()
    factor = _MINUTES_PER_UNIT.get(_UNIT_ALIASES.get(unit, unit))
    if factor is None:
        errors.append(
            place.error("length", f"unknown unit {short(unit)} (expected s, min, h or d)")
        )
        return None
    value = Decimal(length.value) * factor
    if not value.is_finite() or abs(value) > MAX_DURATION_MIN * 10:
        return _duration_ok(MAX_DURATION_MIN + 1, place, "length", errors)
    minutes = int(value.to_integral_value(rounding="ROUND_CEILING"))
    return _duration_ok(minutes, place, "length", errors)


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


def _zone(tz: str | tzinfo | None) -> tzinfo | None:
    return zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz


def table_rows(
    appointments: Iterable[Appointment], tz: str | tzinfo | None = None
) -> Iterable[list[Any]]:
    """Each appointment as the cells of `COLUMNS`; `start` in `tz` with its offset (by
    default as the datetime holds it)."""
    zone = _zone(tz)
    for a in appointments:
        start = a.start.astimezone(zone) if zone is not None else a.start
        yield [
            a.id,
            a.patient_id,
            a.patient_name,
            a.phone,
            a.email,
            a.service,
            a.kind,
            start.isoformat(),
            a.duration_min,
            a.urgency,
            "" if a.max_delay_days is None else a.max_delay_days,
            a.surgeon,
            a.depends_on,
            a.language,
        ]


def csv_text(appointments: Iterable[Appointment], tz: str | tzinfo | None = None) -> str:
    """The CSV of FORMATS.md §2 (``,`` separated, header first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(table_rows(appointments, tz))
    return out.getvalue()


def write_csv(
    appointments: Iterable[Appointment], path: Path, tz: str | tzinfo | None = None
) -> None:
    """Write the CSV of `appointments` (UTF-8); `read_appointments` reads it back equal."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(appointments, tz), encoding="utf-8", newline="")


def write_xlsx(
    appointments: Iterable[Appointment], path: Path, tz: str | tzinfo | None = None
) -> None:
    """Write an XLSX workbook with one ``appointments`` sheet; every text cell is text (a
    name starting with ``=`` is not a formula), `start` is ISO text with its offset."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for name in COLUMNS:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in table_rows(appointments, tz):
        out: list[Any] = []
        for value in row:
            if value == "":
                out.append(None)
            elif isinstance(value, str):
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"
                out.append(cell)
            else:
                out.append(value)
        ws.append(out)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_appointments(
    appointments: Iterable[Appointment], path: Path, tz: str | tzinfo | None = None
) -> None:
    """Write ``.csv`` or ``.xlsx``, by the suffix of `path`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        write_xlsx(appointments, path, tz)
    elif suffix == ".csv":
        write_csv(appointments, path, tz)
    else:
        raise ValueError(f"unknown appointment format {suffix!r}: expected .csv or .xlsx")
