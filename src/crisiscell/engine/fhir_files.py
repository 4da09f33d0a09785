"""FHIR R4 documents of the file importers (appointments, census): loading, references, codes.

- `load_json`: a JSON document, its errors naming the line.
- `document_resources`: the resources of a Bundle (its entries, ``entry[3].resource``), of
  one resource, or of a JSON list of them (``[3]``); `ndjson_resources`: those of NDJSON
  files, one resource a line (``Encounter.000.ndjson line 7``). Each resource of a type the
  importer uses is validated with ``fhir.resources`` (R4B models, the same as R4 for these
  resources), its errors naming the JSON path; other known types are kept unvalidated; an
  unknown ``resourceType`` is an error.
- `Index`: what a Reference names in the document (literal ``Type/id``, a ``fullUrl``, or
  a conditional ``Type?identifier=system|value``).
- `match_service`: the care service a record names, by the identifiers of its places and
  the codes of its concepts, directly or through a `service_map`.

Problems are `FileError` values (`file_errors`), gathered in the caller's list. No Django
here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .file_errors import FileError, FileInvalid, Place, short
from .mapfiles import _why

#: Encounter.status (R4).
ENCOUNTER_STATUSES = (
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
)

_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")
_LITERAL_REF = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]*)?$")
_CONDITIONAL_REF = re.compile(r"^([A-Z][A-Za-z]+)\?(.*)$", re.DOTALL)

S = TypeVar("S")


@dataclass
class Resource:
    raw: dict
    place: Place
    type: str
    full_url: str = ""
    model: Any = None  # the validated fhir.resources model, for the types used


# ---------------------------------------------------------------------------
# Loading: JSON, Bundles, NDJSON
# ---------------------------------------------------------------------------


def load_json(data: bytes | str, where: str) -> Any:
    """A JSON document (UTF-8, with or without a byte-order mark); FileInvalid naming
    `where` and the line."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise FileInvalid([FileError(where, f"not UTF-8 text ({exc.reason})")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = f"{where} line {exc.lineno}" if where else f"line {exc.lineno}"
        raise FileInvalid(
            [FileError(at, f"malformed JSON: {exc.msg} (column {exc.colno})")]
        ) from None
    except RecursionError:
        raise FileInvalid([FileError(where, "JSON nested too deeply")]) from None


def document_resources(doc: Any, used: Collection[str], errors: list[Any]) -> list[Resource]:
    """The resources of a Bundle, of one resource or of a list of resources, validated
    when their type is `used`; the problems go to `errors`."""
    resources: list[Resource] = []
    if isinstance(doc, list):
        for i, raw in enumerate(doc):
            if res := read_resource(raw, Place(f"[{i}]", nested=True), used, errors):
                resources.append(res)
    elif isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        entries = doc.get("entry", [])
        if not isinstance(entries, list):
            errors.append(FileError("entry", "expected a list of entries"))
            entries = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                errors.append(FileError(f"entry[{i}]", "an entry with no resource"))
                continue
            place = Place(f"entry[{i}].resource", nested=True)
            if res := read_resource(entry["resource"], place, used, errors):
                full_url = entry.get("fullUrl")
                res.full_url = full_url if isinstance(full_url, str) else ""
                resources.append(res)
    elif isinstance(doc, dict):
        if res := read_resource(doc, Place("", nested=True), used, errors):
            resources.append(res)
    else:
        message = "not a FHIR document: expected a Bundle or a resource (object)"
        errors.append(FileError("", message))
    return resources


def ndjson_resources(
    files: Mapping[str, bytes | str], used: Collection[str], errors: list[Any]
) -> list[Resource]:
    """The resources of NDJSON files (name → content), one a line, validated when their
    type is `used`; the problems go to `errors`, naming the file and the line."""
    resources: list[Resource] = []
    for name, data in files.items():
        try:
            text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1 if isinstance(data, bytes) else 1
            errors.append(FileError(f"{name} line {line}", f"not UTF-8 text ({exc.reason})"))
            continue
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            place = Place(f"{name} line {number}")
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(place.error("", f"malformed JSON: {exc.msg} (column {exc.colno})"))
                continue
            except RecursionError:
                errors.append(place.error("", "JSON nested too deeply"))
                continue
            if res := read_resource(raw, place, used, errors):
                resources.append(res)
    return resources


def _model_class(type_name: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(type_name)
    except (ValueError, KeyError, ImportError, AttributeError):
        return None


def read_resource(
    raw: Any, place: Place, used: Collection[str], errors: list[Any]
) -> Resource | None:
    """A resource of the document, validated when its type is `used`; None (and the
    problems in `errors`) when it is not a resource, of an unknown type, or invalid."""
    if not isinstance(raw, dict):
        errors.append(place.error("", "not a FHIR resource (expected an object)"))
        return None
    type_name = raw.get("resourceType")
    if not isinstance(type_name, str) or not _RESOURCE_TYPE.fullmatch(type_name):
        errors.append(place.error("resourceType", "missing or not a resource type"))
        return None
    cls = _model_class(type_name)
    if cls is None:
        errors.append(place.error("resourceType", f"unknown resource type {short(type_name)}"))
        return None
    res = Resource(raw, place, type_name)
    if type_name not in used:
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


def _loc_path(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _pydantic_message(e: Mapping[str, Any]) -> str:
    message = str(e.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if "input" in e and e.get("type") not in ("missing", "extra_forbidden"):
        value = e["input"]
        if isinstance(value, (str, int, float, bool)) or value is None:
            message += f" (got {short(value)})"
    return message


# ---------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------


@dataclass
class Target:
    """What a reference names, as far as the document tells."""

    type: str = ""
    id: str = ""
    resource: Resource | None = None
    identifiers: tuple[tuple[str, str], ...] = ()  # (system, value)
    display: str = ""


class Index:
    """The resources of a document by ``Type/id`` and by ``fullUrl``."""

    def __init__(self, resources: list[Resource]):
        self.by_ref: dict[tuple[str, str], Resource] = {}
        self.by_url: dict[str, Resource] = {}
        for res in resources:
            rid = res.raw.get("id")
            if isinstance(rid, str):
                self.by_ref.setdefault((res.type, rid), res)
            if res.full_url:
                self.by_url.setdefault(res.full_url, res)

    def resolve(self, ref: Any) -> Target:
        """The target of a Reference model (or None)."""
        if ref is None:
            return Target()
        target = Target(type=ref.type or "", display=ref.display or "")
        if ref.identifier is not None and ref.identifier.value:
            target.identifiers = ((ref.identifier.system or "", ref.identifier.value),)
        text = ref.reference or ""
        res = self.by_url.get(text) if text else None
        if res is None and text:
            m = _LITERAL_REF.search(text)
            if m:
                target.type, target.id = m.group(1), m.group(2)
                res = self.by_ref.get((target.type, target.id))
            else:
                c = _CONDITIONAL_REF.match(text)
                if c:
                    target.type = c.group(1)
                    for part in c.group(2).split("&"):
                        key, _, value = part.partition("=")
                        if key == "identifier" and value:
                            system, bar, val = value.rpartition("|")
                            target.identifiers += ((system if bar else "", val),)
        if res is not None:
            target.resource = res
            target.type = res.type
            target.id = res.raw.get("id") if isinstance(res.raw.get("id"), str) else target.id
            if res.model is not None:
                ids = tuple(
                    (i.system or "", i.value)
                    for i in (getattr(res.model, "identifier", None) or [])
                    if i.value
                )
                target.identifiers = ids + target.identifiers
        return target


# ---------------------------------------------------------------------------
# Values of the models
# ---------------------------------------------------------------------------


def codes(concepts: Iterable[Any] | None) -> list[tuple[str, str]]:
    """(system, code) of every coding of CodeableConcept models that has a code."""
    out: list[tuple[str, str]] = []
    for concept in concepts or []:
        for coding in getattr(concept, "coding", None) or []:
            if coding.code:
                out.append((coding.system or "", coding.code))
    return out


def human_name(names: Iterable[Any] | None) -> str:
    """The official name first, then the usual one, then any: its text, else its given
    names and family name."""
    names = list(names or [])
    names.sort(key=lambda n: {"official": 0, "usual": 1}.get(n.use or "", 2))
    for n in names:
        if n.text:
            return n.text.strip()
        parts = [*(n.given or []), n.family or ""]
        text = " ".join(p.strip() for p in parts if p and p.strip())
        if text:
            return text
    return ""


def record_id(res: Resource) -> str:
    """A resource's id, else its first identifier, else the uuid of its ``urn:uuid:``
    fullUrl; "" when none."""
    model = res.model
    if model.id:
        return model.id
    for ident in model.identifier or []:
        if ident.value:
            return ident.value
    if res.full_url.startswith("urn:uuid:"):
        return res.full_url[len("urn:uuid:") :]
    return ""


def match_service(
    place: Place,
    places: list[Target],
    coded: list[tuple[str, list[tuple[str, str]]]],
    service_map: Mapping[str, str],
    services: Mapping[str, S],
    default: S | None,
    errors: list[Any],
) -> S | None:
    """The first service of `services` (by id) that the identifiers of `places`, then the
    codes of `coded` ((label, codes) in order) name, directly or through `service_map`
    (``value`` or ``system|value``); else `default`; else None and an error naming what
    was tried."""
    tried: list[str] = []
    candidates: list[tuple[str, str]] = []
    for target in places:
        for system, value in target.identifiers:
            candidates.append((system, value))
            tried.append(f"{target.type or 'location'} {short(value)}")
    for label, found in coded:
        for system, code in found:
            candidates.append((system, code))
            tried.append(f"{label} {short(code)}")
    for system, value in candidates:
        for key in (f"{system}|{value}" if system else None, value):
            if key is None:
                continue
            if key in service_map:
                return services[service_map[key]]
            if key in services:
                return services[key]
    if default is not None:
        return default
    what = ", ".join(tried[:6]) + (f" and {len(tried) - 6} more" if len(tried) > 6 else "")
    errors.append(
        place.error(
            "",
            "no care service of the map matches "
            + (f"({what})" if tried else "(no serviceType, specialty or location given)")
            + ": name a service id of the map there, or map these codes to services",
        )
    )
    return None
