"""The census from FHIR R4 (see `crisiscell.engine.census`): who is present, from Encounters.

A Bundle (its entries), one resource, a JSON list of resources, or NDJSON (one resource a
line). Every resource used (Encounter, Patient, Location, Organization, HealthcareService,
AllergyIntolerance, Flag) is validated with ``fhir.resources`` (R4B models, the same as R4
for these) by `crisiscell.engine.fhir_files`, as for appointments; its errors name the JSON
path. Other known resource types are ignored; an unknown ``resourceType`` is an error.

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

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from .census import _Census, _invalid, check_beds
from .fhir_files import (
    ENCOUNTER_STATUSES,
    Index,
    Resource,
    Target,
    codes,
    document_resources,
    human_name,
    load_json,
    match_service,
    ndjson_resources,
    record_id,
)
from .file_errors import FileInvalid, Place, short
from .kit_content import Inpatient

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
    resources: list[Resource] = []
    if kind == "json":
        try:
            doc = load_json(data, "")
        except FileInvalid as exc:
            if not exc.errors[0].message.startswith("malformed JSON: Extra data"):
                raise
            kind = "ndjson"  # several documents: one resource a line
        else:
            resources = document_resources(doc, USED, errors)
    if kind == "ndjson":
        resources = ndjson_resources({name or "ndjson": data}, USED, errors)
    return _census(resources, ctx, errors)


class _Resolver:
    """References to resources of the document: literal, full URL, or by identifier."""

    def __init__(self, resources: list[Resource]):
        self.index = Index(resources)
        self.by_identifier: dict[tuple[str, str], Resource] = {}
        for res in resources:
            for ident in getattr(res.model, "identifier", None) or []:
                if isinstance(ident.value, str):
                    self.by_identifier.setdefault((res.type, ident.value), res)

    def __call__(self, ref: Any) -> Target:
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
    return {code for _, code in codes([concept] if concept is not None else [])}


def _order(error: Any) -> int:
    """Errors in the document's order: by entry, or by line (stable within one)."""
    m = _ORDER.search(error.where)
    return int(m.group(1) or m.group(2)) if m else -1


def _patient_of(resolve: _Resolver, ref: Any) -> int | None:
    target = resolve(ref)
    ok = target.resource is not None and target.resource.type == "Patient"
    return id(target.resource) if ok else None


def _census(resources: list[Resource], ctx: _Census, errors: list[Any]) -> list[Inpatient]:
    resolve = _Resolver(resources)
    services = {sid: sid for sid in ctx.services}
    notes: dict[str, dict[int, list[str]]] = {"allergies": {}, "alerts": {}}
    present: list[Resource] = []
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
                message = f"unknown status {short(model.status)} (expected: {expected})"
                errors.append(res.place.error("status", message))
            klass = model.class_fhir.code if model.class_fhir is not None else None
            if model.status in PRESENT and klass not in NOT_A_STAY:
                present.append(res)
    parents = {id(resolve(r.model.partOf).resource) for r in present if r.model.partOf}
    patients: list[Inpatient] = []
    beds: list[tuple[str, str, str, str, Place]] = []
    for res in present:
        if id(res) in parents:
            continue
        patient = _inpatient(res, resolve, ctx.service_map, services, notes, errors)
        if patient is not None:
            patients.append(patient)
            beds.append((patient.patient_id, patient.service, patient.room, patient.bed, res.place))
    check_beds(beds, errors, fields=("subject", "location"))
    if errors:
        raise _invalid(sorted(errors, key=_order))
    return patients


def _inpatient(
    res: Resource,
    resolve: _Resolver,
    service_map: Mapping[str, str],
    services: Mapping[str, str],
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
        errors.append(place.error("subject", f"{short(what)} is not a Patient of the document"))
    model = found.model if found is not None and found.type == "Patient" else None
    pid = name = ""
    if model is not None:
        pid = record_id(found)
        name = human_name(model.name) or subject.display.strip()
        if not pid:
            errors.append(found.place.error("id", "missing (no id, identifier or fullUrl)"))
        if not name:
            errors.append(found.place.error("name", "missing: the census names its patients"))
    places, room, bed = _places(e, resolve)
    if e.serviceProvider is not None:
        places.append(resolve(e.serviceProvider))
    coded = [
        ("serviceType", codes([e.serviceType] if e.serviceType else [])),
        ("type", codes(e.type)),
    ]
    service = match_service(res.place, places, coded, service_map, services, None, errors)
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
        service=service,
        birth_date=model.birthDate if isinstance(model.birthDate, date) else None,
        sex=_GENDER.get(model.gender or "", ""),
        room=room,
        bed=bed,
        admitted=admitted,
        allergies=tuple(dict.fromkeys(notes["allergies"].get(key, ()))),
        alerts=tuple(dict.fromkeys(notes["alerts"].get(key, ()))),
    )


def _places(e: Any, resolve: _Resolver) -> tuple[list[Target], str, str]:
    """The Encounter's current locations and those they are part of; its room and bed."""
    places: list[Target] = []
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
