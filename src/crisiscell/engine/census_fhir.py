"""The census from FHIR R4 (see `crisiscell.engine.census`): who is present, from Encounters.

A Bundle (its entries), one resource, a JSON list of resources, or NDJSON (one resource a
line). Every resource used (Encounter, Patient, Location, Organization, HealthcareService,
AllergyIntolerance, Flag) is validated with ``fhir.resources`` (R4B models, the same as R4
for these), as the appointment importer does; its errors name the JSON path. Other known
resource types are ignored; an unknown ``resourceType`` is an error.

- Present: an Encounter whose status is ``in-progress``, ``arrived``, ``triaged`` or
  ``onleave`` (on leave, the bed is kept and the unit must know), unless its class is
  ambulatory, virtual, home health or field (``AMB``, ``VR``, ``HH``, ``FLD``: no bed in a
  unit). An Encounter that another present one names as its ``partOf`` is left out: the
  sub-encounter tells the unit. Other statuses are not present; an unknown one is an error.
- The patient: the Encounter's ``subject``, which must be a Patient of the document
  (``Patient/<id>``, its ``fullUrl``, or ``Patient?identifier=system|value``); none, another
  type, or one the document does not hold is an error naming ``subject``. The patient's id
  is the Patient's ``id`` (as for appointments); the name ``given`` + ``family`` of its
  official name first (or the name's ``text``), else the reference's ``display``; the birth
  date ``birthDate`` (a year or a month alone: none); the sex from ``gender`` (``female``
  F, ``male`` M, else "").
- The service: as for appointments (FORMATS.md §2), the first match of the identifiers of
  the Encounter's locations (and of the Locations they are ``partOf``), of its
  ``serviceProvider``, then of the codes of ``serviceType`` and ``type``: a value matches
  when it is a service id of `services` or a key of `service_map`. No match is an error.
- Room and bed: among the Encounter's locations whose ``status`` is not ``planned`` or
  ``completed``, and the Locations they are ``partOf``, the first of physical type ``ro``
  (room) and of type ``bd`` (bed), told by ``location[].physicalType`` or the Location's
  ``physicalType``. The label is the Location's ``name``, else the reference's ``display``
  (so a reference alone, with its physicalType and display, is enough).
- admitted: ``period.start`` (a date alone is an error; none: unknown).
- Allergies: the ``AllergyIntolerance`` of the patient whose ``clinicalStatus`` is
  ``active`` or not given, and whose ``verificationStatus`` is not ``refuted`` or
  ``entered-in-error``: ``code.text``, else the first coding's ``display`` (else its code,
  else "Allergie non précisée": an allergy with no name is still an allergy).
- Alerts: the ``Flag`` of the patient (``subject``) whose ``status`` is ``active``:
  ``code.text``, else the first coding's ``display`` or code.
- A patient present twice, or two patients in one bed, is an error (`census.check_beds`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from .appointment_files import (
    _RESOURCE_TYPE,
    ENCOUNTER_STATUSES,
    _codes,
    _Context,
    _Fhir,
    _human_name,
    _Index,
    _load_json,
    _loc_path,
    _match_service,
    _model_class,
    _Place,
    _pydantic_message,
    _record_id,
    _Resource,
    _short,
    _Target,
)
from .appointments import AppointmentError, AppointmentsInvalid
from .census import CensusError, CensusInvalid, _Census, _invalid, check_beds
from .groupmap import Group, GroupMap, Service
from .kit_content import Inpatient
from .mapfiles import _why

#: FHIR resource types the census reads (and so validates); others are ignored.
USED = (
    "Encounter",
    "Patient",
    "Location",
    "Organization",
    "HealthcareService",
    "AllergyIntolerance",
    "Flag",
)
PRESENT = frozenset({"in-progress", "arrived", "triaged", "onleave"})
#: Encounter classes (v3 ActCode) with no bed in a unit.
NOT_A_STAY = frozenset({"AMB", "VR", "HH", "FLD"})
_GENDER = {"female": "F", "male": "M"}
_LOCATION_DONE = frozenset({"planned", "completed"})
_ALLERGY_VOID = frozenset({"refuted", "entered-in-error"})
_ORDER = re.compile(r"^(?:entry)?\[(\d+)\]| line (\d+)$")
_PART_OF_DEPTH = 6  # bed, room, ward, wing, building, site


def read_fhir(data: bytes, name: str, kind: str, ctx: _Census) -> list[Inpatient]:
    """The patients present of a ``json`` (a Bundle, a resource or a list of them; NDJSON
    too) or ``ndjson`` document; errors of NDJSON name `name` and the line."""
    errors: list[Any] = []
    resources: list[_Resource] = []
    if kind == "json":
        try:
            doc = _load_json(data, "")
        except AppointmentsInvalid as exc:
            if not exc.errors[0].message.startswith("malformed JSON: Extra data"):
                raise
            kind = "ndjson"  # several documents: one resource a line
        else:
            resources = _document(doc, errors)
    if kind == "ndjson":
        resources = _lines(data, name or "ndjson", errors)
    return _census(resources, ctx, errors)


def _document(doc: Any, errors: list[Any]) -> list[_Resource]:
    resources: list[_Resource] = []
    if isinstance(doc, list):
        for i, raw in enumerate(doc):
            if res := _resource(raw, _Place(f"[{i}]", nested=True), errors):
                resources.append(res)
    elif isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        entries = doc.get("entry", [])
        if not isinstance(entries, list):
            errors.append(AppointmentError("entry", "expected a list of entries"))
            entries = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                errors.append(AppointmentError(f"entry[{i}]", "an entry with no resource"))
                continue
            res = _resource(entry["resource"], _Place(f"entry[{i}].resource", nested=True), errors)
            if res is not None:
                full_url = entry.get("fullUrl")
                res.full_url = full_url if isinstance(full_url, str) else ""
                resources.append(res)
    elif isinstance(doc, dict):
        if res := _resource(doc, _Place("", nested=True), errors):
            resources.append(res)
    else:
        message = "not a FHIR document: expected a Bundle or a resource (object)"
        errors.append(AppointmentError("", message))
    return resources


def _lines(data: bytes, name: str, errors: list[Any]) -> list[_Resource]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CensusInvalid(
            [CensusError(f"{name} line {line}", f"not UTF-8 text ({exc.reason})")]
        ) from None
    resources: list[_Resource] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        place = _Place(f"{name} line {number}")
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(place.error("", f"malformed JSON: {exc.msg} (column {exc.colno})"))
            continue
        except RecursionError:
            errors.append(place.error("", "JSON nested too deeply"))
            continue
        if res := _resource(raw, place, errors):
            resources.append(res)
    return resources


def _resource(raw: Any, place: _Place, errors: list[Any]) -> _Resource | None:
    """A resource of the document, validated when the census uses its type."""
    if not isinstance(raw, dict):
        errors.append(place.error("", "not a FHIR resource (expected an object)"))
        return None
    type_name = raw.get("resourceType")
    if not isinstance(type_name, str) or not _RESOURCE_TYPE.fullmatch(type_name):
        errors.append(place.error("resourceType", "missing or not a resource type"))
        return None
    cls = _model_class(type_name)
    if cls is None:
        errors.append(place.error("resourceType", f"unknown resource type {_short(type_name)}"))
        return None
    res = _Resource(raw, place, type_name)
    if type_name not in USED:
        return res
    import pydantic

    try:
        res.model = cls.model_validate(raw)
    except pydantic.ValidationError as exc:
        for e in exc.errors()[:50]:
            errors.append(place.error(_loc_path(e.get("loc", ())), _pydantic_message(e)))
        return None
    except RecursionError:
        errors.append(place.error("", "nested too deeply"))
        return None
    except Exception as exc:  # a validator of the library may fail on odd input in many ways
        errors.append(place.error("", f"invalid {type_name} ({_why(exc)})"))
        return None
    return res


class _Resolver:
    """References to resources of the document: literal, full URL, or by identifier."""

    def __init__(self, resources: list[_Resource]):
        self.index = _Index(resources)
        self.by_identifier: dict[tuple[str, str], _Resource] = {}
        for res in resources:
            for ident in getattr(res.model, "identifier", None) or []:
                if isinstance(ident.value, str):
                    self.by_identifier.setdefault((res.type, ident.value), res)

    def __call__(self, ref: Any) -> _Target:
        target = self.index.resolve(ref)
        if target.resource is None and target.type:
            for _, value in target.identifiers:
                res = self.by_identifier.get((target.type, value))
                if res is not None:
                    target.resource = res
                    target.id = res.raw["id"] if isinstance(res.raw.get("id"), str) else ""
                    break
        return target


def _label(concept: Any) -> str:
    if concept is None:
        return ""
    if concept.text and concept.text.strip():
        return concept.text.strip()
    for coding in concept.coding or []:
        for value in (coding.display, coding.code):
            if value and value.strip():
                return value.strip()
    return ""


def _code_set(concept: Any) -> set[str]:
    return {code for _, code in _codes([concept] if concept is not None else [])}


def _order(error: Any) -> int:
    """Errors in the document's order: by entry, or by line (stable within one)."""
    m = _ORDER.search(error.where)
    return int(m.group(1) or m.group(2)) if m else -1


def _patient_of(resolve: _Resolver, ref: Any) -> int | None:
    target = resolve(ref)
    ok = target.resource is not None and target.resource.type == "Patient"
    return id(target.resource) if ok else None


def _census(resources: list[_Resource], ctx: _Census, errors: list[Any]) -> list[Inpatient]:
    resolve = _Resolver(resources)
    services = {sid: Service(sid, "", sid, "", "essential", ()) for sid in ctx.services}
    context = _Context(GroupMap(Group()), UTC, services, ctx.service_map)
    run = _Fhir(context, resolve.index, None, 3, datetime.min.replace(tzinfo=UTC))
    notes: dict[str, dict[int, list[str]]] = {"allergies": {}, "alerts": {}}
    present: list[_Resource] = []
    for res in resources:
        model = res.model
        if model is None:
            continue
        if res.type == "AllergyIntolerance":
            clinical = _code_set(model.clinicalStatus)
            if (not clinical or "active" in clinical) and not (
                _code_set(model.verificationStatus) & _ALLERGY_VOID
            ):
                if (who := _patient_of(resolve, model.patient)) is not None:
                    text = _label(model.code) or "Allergie non précisée"
                    notes["allergies"].setdefault(who, []).append(text)
        elif res.type == "Flag" and model.status == "active":
            if (who := _patient_of(resolve, model.subject)) is not None:
                notes["alerts"].setdefault(who, []).append(_label(model.code) or "Alerte")
        elif res.type == "Encounter":
            if model.status not in ENCOUNTER_STATUSES:
                expected = ", ".join(ENCOUNTER_STATUSES)
                message = f"unknown status {_short(model.status)} (expected: {expected})"
                errors.append(res.place.error("status", message))
            klass = model.class_fhir.code if model.class_fhir is not None else None
            if model.status in PRESENT and klass not in NOT_A_STAY:
                present.append(res)
    parents = {id(resolve(r.model.partOf).resource) for r in present if r.model.partOf}
    patients: list[Inpatient] = []
    beds: list[tuple[str, str, str, str, _Place]] = []
    for res in present:
        if id(res) in parents:
            continue
        patient = _inpatient(res, resolve, run, notes, errors)
        if patient is not None:
            patients.append(patient)
            beds.append((patient.patient_id, patient.service, patient.room, patient.bed, res.place))
    check_beds(beds, errors, fields=("subject", "location"))
    if errors:
        raise _invalid(sorted(errors, key=_order))
    return patients


def _inpatient(
    res: _Resource,
    resolve: _Resolver,
    run: _Fhir,
    notes: dict[str, dict[int, list[str]]],
    errors: list[Any],
) -> Inpatient | None:
    e, place = res.model, res.place
    before = len(errors)
    subject = resolve(e.subject)
    found = subject.resource
    if e.subject is None:
        errors.append(place.error("subject", "missing: whose encounter?"))
    elif subject.type and subject.type != "Patient":
        errors.append(place.error("subject", f"a {subject.type}, not a Patient"))
    elif found is None or found.type != "Patient":
        what = e.subject.reference or e.subject.display or "the reference"
        errors.append(place.error("subject", f"{_short(what)} is not a Patient of the document"))
    model = found.model if found is not None and found.type == "Patient" else None
    pid = name = ""
    if model is not None:
        pid = _record_id(found)
        name = _human_name(model.name) or subject.display.strip()
        if not pid:
            errors.append(found.place.error("id", "missing (no id, identifier or fullUrl)"))
        if not name:
            errors.append(found.place.error("name", "missing: the census names its patients"))
    places, room, bed = _places(e, resolve)
    if e.serviceProvider is not None:
        places.append(resolve(e.serviceProvider))
    coded = [
        ("serviceType", _codes([e.serviceType] if e.serviceType else [])),
        ("type", _codes(e.type)),
    ]
    service = _match_service(run, res, places, coded, errors)
    start = e.period.start if e.period is not None else None
    admitted = None
    if isinstance(start, datetime):
        try:  # the model refuses a time without a zone already
            admitted = start.astimezone(UTC)
        except OverflowError:
            errors.append(place.error("period.start", "out of range"))
    elif isinstance(start, date):
        errors.append(place.error("period.start", f"{start.isoformat()} is a date without a time"))
    if len(errors) > before or model is None or service is None:
        return None
    key = id(found)
    return Inpatient(
        patient_id=pid,
        name=name,
        service=service.id,
        birth_date=model.birthDate if isinstance(model.birthDate, date) else None,
        sex=_GENDER.get(model.gender or "", ""),
        room=room,
        bed=bed,
        admitted=admitted,
        allergies=tuple(dict.fromkeys(notes["allergies"].get(key, ()))),
        alerts=tuple(dict.fromkeys(notes["alerts"].get(key, ()))),
    )


def _places(e: Any, resolve: _Resolver) -> tuple[list[_Target], str, str]:
    """The Encounter's current locations and those they are part of; its room and bed."""
    places: list[_Target] = []
    room = bed = ""
    for entry in e.location or []:
        if entry.status in _LOCATION_DONE:
            continue
        target = resolve(entry.location)
        given = _code_set(entry.physicalType)
        for _ in range(_PART_OF_DEPTH):
            places.append(target)
            found = target.resource
            loc = found.model if found is not None and found.type == "Location" else None
            kinds = given | (_code_set(loc.physicalType) if loc is not None else set())
            label = ((loc.name if loc is not None else "") or target.display or "").strip()
            if "bd" in kinds and not bed:
                bed = label
            if "ro" in kinds and not room:
                room = label
            if loc is None or loc.partOf is None:
                break
            target, given = resolve(loc.partOf), set()
    return places, room, bed
