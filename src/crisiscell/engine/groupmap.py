"""The group map (FORMATS.md §1) as plain, immutable dataclasses, and its validator.

`parse_map(doc)` turns a document (the dict read from YAML, JSON, or rebuilt from
XLSX/CSV tables) into a `GroupMap`, or raises `MapInvalid` carrying *every* error
found, each naming its path (``services[3].needs[1].app``). `map_to_doc` is the exact
inverse, so import -> export -> import gives the same map.

No Django here: the engines and the command line use this module on a bare file.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SITE_KINDS = (
    "hospital",
    "clinic",
    "polyclinic",
    "nursing_home",
    "psychiatric",
    "childcare",
    "datacenter",
    "office",
    "other",
)
ZONE_KINDS = ("workstations", "servers", "medical", "dmz", "management", "wifi", "internet")
HOST_ROLES = ("server", "workstation", "medical_device", "network")
CRITICALITIES = ("vital", "essential", "deferrable")
WITHOUT = ("down", "degraded")
HOST_STATES = ("ok", "suspected", "compromised", "isolated", "off")
#: A host in one of these states does not serve (FORMATS.md §1).
NOT_SERVING = frozenset({"compromised", "isolated", "off"})
SERVICE_STATUSES = ("normal", "degraded", "down")
DEFAULT_DEGRADED_CAPACITY = 0.5
SECTIONS = ("sites", "zones", "flows", "hosts", "applications", "services")


@dataclass(frozen=True)
class Group:
    id: str = "group"
    name: str = ""
    timezone: str = "Europe/Brussels"
    country: str = "BE"


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    kind: str


@dataclass(frozen=True)
class Zone:
    id: str
    kind: str
    site: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Flow:
    source: str
    target: str
    ports: str = ""
    purpose: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.target)


@dataclass(frozen=True)
class Host:
    id: str
    zone: str
    role: str
    os: str = ""
    ip: str = ""


@dataclass(frozen=True)
class Application:
    id: str
    name: str
    hosts: tuple[str, ...]
    needs: tuple[str, ...] = ()
    rto_hours: float | None = None


@dataclass(frozen=True)
class Need:
    app: str
    without: str  # "down" or "degraded": what the service becomes without the app


@dataclass(frozen=True)
class Service:
    id: str
    site: str
    name: str
    kind: str
    criticality: str
    workstations: tuple[str, ...]
    needs: tuple[Need, ...] = ()
    capacity_minutes_per_day: int | None = None
    degraded_capacity: float = DEFAULT_DEGRADED_CAPACITY


@dataclass(frozen=True)
class GroupMap:
    group: Group
    sites: tuple[Site, ...] = ()
    zones: tuple[Zone, ...] = ()
    flows: tuple[Flow, ...] = ()
    hosts: tuple[Host, ...] = ()
    applications: tuple[Application, ...] = ()
    services: tuple[Service, ...] = ()
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def _by_id(self, section: str) -> dict[str, Any]:
        if section not in self._index:
            self._index[section] = {item.id: item for item in getattr(self, section)}
        return self._index[section]

    def site(self, id: str) -> Site:
        return self._by_id("sites")[id]

    def zone(self, id: str) -> Zone:
        return self._by_id("zones")[id]

    def host(self, id: str) -> Host:
        return self._by_id("hosts")[id]

    def application(self, id: str) -> Application:
        return self._by_id("applications")[id]

    def service(self, id: str) -> Service:
        return self._by_id("services")[id]

    def has(self, section: str, id: str) -> bool:
        return id in self._by_id(section)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in SECTIONS}


@dataclass(frozen=True)
class MapError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class MapInvalid(ValueError):
    """Raised with every error found in a map document."""

    def __init__(self, errors: Iterable[MapError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


# ---------------------------------------------------------------------------
# Field schema, shared by the validator and by the tabular (XLSX/CSV) readers.
# ---------------------------------------------------------------------------

STR, LIST, INT, FLOAT = "str", "list", "int", "float"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()


def _f(name: str, type: str = STR, required: bool = False, choices: tuple[str, ...] = ()):
    return FieldSpec(name, type, required, choices)


GROUP_FIELDS = (
    _f("id", required=True),
    _f("name"),
    _f("timezone"),
    _f("country"),
)

#: Columns of each section, in export order. `service_needs` is the tabular form of
#: `services[].needs`, one row per need.
FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "sites": (
        _f("id", required=True),
        _f("name", required=True),
        _f("kind", required=True, choices=SITE_KINDS),
    ),
    "zones": (
        _f("id", required=True),
        _f("site"),
        _f("kind", required=True, choices=ZONE_KINDS),
        _f("name"),
    ),
    "flows": (_f("from", required=True), _f("to", required=True), _f("ports"), _f("purpose")),
    "hosts": (
        _f("id", required=True),
        _f("zone", required=True),
        _f("role", required=True, choices=HOST_ROLES),
        _f("os"),
        _f("ip"),
    ),
    "applications": (
        _f("id", required=True),
        _f("name", required=True),
        _f("hosts", LIST, required=True),
        _f("needs", LIST),
        _f("rto_hours", FLOAT),
    ),
    "services": (
        _f("id", required=True),
        _f("site", required=True),
        _f("name", required=True),
        _f("kind", required=True),
        _f("criticality", required=True, choices=CRITICALITIES),
        _f("workstations", LIST, required=True),
        _f("capacity_minutes_per_day", INT),
        _f("degraded_capacity", FLOAT),
    ),
    "service_needs": (
        _f("service", required=True),
        _f("app", required=True),
        _f("without", required=True, choices=WITHOUT),
    ),
}
NEED_FIELDS = (_f("app", required=True), _f("without", required=True, choices=WITHOUT))
#: Sections as they appear in a workbook or a folder of CSV files.
TABLES = ("group", *SECTIONS, "service_needs")


def type_error(spec: FieldSpec, value: Any) -> str | None:
    """The error message for `value` in field `spec`, or None when it fits."""
    if spec.type == STR:
        if not isinstance(value, str):
            return f"expected text, got {_kind(value)}"
        if spec.required and not value.strip():
            return "must not be empty"
        if spec.choices and value not in spec.choices:
            return f"unknown value {value!r} (expected one of: {', '.join(spec.choices)})"
    elif spec.type == LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            return f"expected a list of ids, got {_kind(value)}"
        if spec.required and not value:
            return "must list at least one id"
    elif spec.type == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expected a whole number, got {_kind(value)}"
        if value < 0:
            return "must not be negative"
    elif spec.type == FLOAT:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            return f"expected a number, got {_kind(value)}"
        if value < 0:
            return "must not be negative"
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


# ---------------------------------------------------------------------------
# The validator
# ---------------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.errors: list[MapError] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(MapError(path, message))

    def record(self, path: str, value: Any, fields: tuple[FieldSpec, ...]) -> dict | None:
        """Check one mapping against its fields; return the valid values, or None."""
        if not isinstance(value, Mapping):
            self.err(path, f"expected a mapping, got {_kind(value)}")
            return None
        known = {f.name for f in fields}
        ok = True
        for key in value:
            if key not in known and not (fields is FIELDS["services"] and key == "needs"):
                self.err(f"{path}.{key}", "unknown field")
                ok = False
        out: dict[str, Any] = {}
        for spec in fields:
            if spec.name not in value or value[spec.name] is None:
                if spec.required:
                    self.err(f"{path}.{spec.name}", "missing required field")
                    ok = False
                continue
            problem = type_error(spec, value[spec.name])
            if problem:
                self.err(f"{path}.{spec.name}", problem)
                ok = False
            else:
                out[spec.name] = value[spec.name]
        return out if ok else None

    def section(self, doc: Mapping, name: str) -> list[tuple[str, dict]]:
        """The valid records of a top-level list, with their paths."""
        items = doc.get(name)
        if items is None:
            return []
        if not isinstance(items, list):
            self.err(name, f"expected a list, got {_kind(items)}")
            return []
        records = []
        for i, item in enumerate(items):
            rec = self.record(f"{name}[{i}]", item, FIELDS[name])
            if rec is not None:
                records.append((f"{name}[{i}]", rec))
        return records

    def unique(self, records: list[tuple[str, dict]], key: Callable[[dict], Any], what: str):
        seen: dict[Any, str] = {}
        for path, rec in records:
            k = key(rec)
            if k in seen:
                self.err(path, f"duplicate {what} {_show(k)} (first at {seen[k]})")
            else:
                seen[k] = path
        return seen


def _show(key: Any) -> str:
    return " -> ".join(map(repr, key)) if isinstance(key, tuple) else repr(key)


def parse_map(doc: Any) -> GroupMap:
    """Validate a map document fully and build the `GroupMap`.

    Raises `MapInvalid` listing every error (never only the first)."""
    c = _Checker()
    if not isinstance(doc, Mapping):
        raise MapInvalid([MapError("", f"the map must be a mapping, got {_kind(doc)}")])
    for key in doc:
        if key != "group" and key not in SECTIONS:
            c.err(str(key), f"unknown section (expected: group, {', '.join(SECTIONS)})")

    group = Group()
    if doc.get("group") is not None:
        g = c.record("group", doc["group"], GROUP_FIELDS)
        if g is not None:
            group = Group(**{k: v for k, v in g.items()})
            if len(group.country) != 2 or not group.country.isalpha():
                c.err("group.country", f"expected a two-letter ISO code, got {group.country!r}")
            if not _known_timezone(group.timezone):
                c.err(
                    "group.timezone", f"unknown time zone {group.timezone!r} (e.g. Europe/Brussels)"
                )

    sites = c.section(doc, "sites")
    zones = c.section(doc, "zones")
    flows = c.section(doc, "flows")
    hosts = c.section(doc, "hosts")
    apps = c.section(doc, "applications")
    services = c.section(doc, "services")
    c.unique(sites, lambda r: r["id"], "site id")
    c.unique(zones, lambda r: r["id"], "zone id")
    c.unique(flows, lambda r: (r["from"], r["to"]), "flow")
    c.unique(hosts, lambda r: r["id"], "host id")
    c.unique(apps, lambda r: r["id"], "application id")
    c.unique(services, lambda r: r["id"], "service id")
    # References resolve against every id written, even on a record with another error,
    # so that one bad cell gives one error, not one more per row that points at it.
    site_ids, zone_ids, host_ids, app_ids = (
        _declared_ids(doc, name) for name in ("sites", "zones", "hosts", "applications")
    )

    zone_kind = {r["id"]: r["kind"] for _, r in zones}
    for path, r in zones:
        if "site" in r and r["site"] not in site_ids:
            c.err(f"{path}.site", f"unknown site {r['site']!r}")
        elif "site" not in r and r["kind"] != "internet":
            c.err(f"{path}.site", "missing required field (only internet zones may have no site)")
    for path, r in flows:
        for end in ("from", "to"):
            if r[end] not in zone_ids:
                c.err(f"{path}.{end}", f"unknown zone {r[end]!r}")
        if r["from"] == r["to"]:
            c.err(path, f"a flow from zone {r['from']!r} to itself (a zone always reaches itself)")
    for path, r in hosts:
        if r["zone"] not in zone_ids:
            c.err(f"{path}.zone", f"unknown zone {r['zone']!r}")
    for path, r in apps:
        for j, h in enumerate(r["hosts"]):
            if h not in host_ids:
                c.err(f"{path}.hosts[{j}]", f"unknown host {h!r}")
        _no_repeats(c, path, "hosts", r["hosts"])
        for j, a in enumerate(r.get("needs", [])):
            if a not in app_ids:
                c.err(f"{path}.needs[{j}]", f"unknown application {a!r}")
            elif a == r["id"]:
                c.err(f"{path}.needs[{j}]", "an application cannot need itself")
        _no_repeats(c, path, "needs", r.get("needs", []))
    _check_cycles(c, apps)

    built_services = []
    for path, r in services:
        if r["site"] not in site_ids:
            c.err(f"{path}.site", f"unknown site {r['site']!r}")
        for j, z in enumerate(r["workstations"]):
            if z not in zone_ids:
                c.err(f"{path}.workstations[{j}]", f"unknown zone {z!r}")
            elif zone_kind.get(z) == "internet":
                c.err(
                    f"{path}.workstations[{j}]",
                    f"zone {z!r} is the internet, not a place staff work from",
                )
        _no_repeats(c, path, "workstations", r["workstations"])
        share = r.get("degraded_capacity", DEFAULT_DEGRADED_CAPACITY)
        if share > 1:
            c.err(f"{path}.degraded_capacity", f"must be a share between 0 and 1, got {share}")
        needs = _needs(c, path, doc_needs=_raw_needs(doc, path), app_ids=app_ids)
        built_services.append(
            Service(
                id=r["id"],
                site=r["site"],
                name=r["name"],
                kind=r["kind"],
                criticality=r["criticality"],
                workstations=tuple(r["workstations"]),
                needs=tuple(needs),
                capacity_minutes_per_day=r.get("capacity_minutes_per_day"),
                degraded_capacity=float(share),
            )
        )

    if c.errors:
        raise MapInvalid(c.errors)
    return GroupMap(
        group=group,
        sites=tuple(Site(r["id"], r["name"], r["kind"]) for _, r in sites),
        zones=tuple(Zone(r["id"], r["kind"], r.get("site"), r.get("name", "")) for _, r in zones),
        flows=tuple(
            Flow(r["from"], r["to"], r.get("ports", ""), r.get("purpose", "")) for _, r in flows
        ),
        hosts=tuple(
            Host(r["id"], r["zone"], r["role"], r.get("os", ""), r.get("ip", "")) for _, r in hosts
        ),
        applications=tuple(
            Application(
                r["id"],
                r["name"],
                tuple(r["hosts"]),
                tuple(r.get("needs", ())),
                float(r["rto_hours"]) if "rto_hours" in r else None,
            )
            for _, r in apps
        ),
        services=tuple(built_services),
    )


def _declared_ids(doc: Mapping, section: str) -> frozenset[str]:
    items = doc.get(section)
    if not isinstance(items, list):
        return frozenset()
    return frozenset(
        item["id"]
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("id"), str)
    )


def _known_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _raw_needs(doc: Mapping, path: str) -> Any:
    index = int(path[path.index("[") + 1 : -1])
    return doc["services"][index].get("needs")


def _needs(c: _Checker, path: str, doc_needs: Any, app_ids: frozenset[str]) -> list[Need]:
    if doc_needs is None:
        return []
    if not isinstance(doc_needs, list):
        c.err(f"{path}.needs", f"expected a list, got {_kind(doc_needs)}")
        return []
    needs: list[Need] = []
    seen: dict[str, int] = {}
    for j, item in enumerate(doc_needs):
        rec = c.record(f"{path}.needs[{j}]", item, NEED_FIELDS)
        if rec is None:
            continue
        if rec["app"] not in app_ids:
            c.err(f"{path}.needs[{j}].app", f"unknown application {rec['app']!r}")
        elif rec["app"] in seen:
            c.err(
                f"{path}.needs[{j}].app",
                f"application {rec['app']!r} already needed at needs[{seen[rec['app']]}]",
            )
        else:
            seen[rec["app"]] = j
            needs.append(Need(rec["app"], rec["without"]))
    return needs


def _no_repeats(c: _Checker, path: str, key: str, ids: list[str]) -> None:
    first: dict[str, int] = {}
    for j, x in enumerate(ids):
        if x in first:
            c.err(f"{path}.{key}[{j}]", f"{x!r} is listed twice (first at {key}[{first[x]}])")
        else:
            first[x] = j


def _check_cycles(c: _Checker, apps: list[tuple[str, dict]]) -> None:
    """Report each dependency cycle among applications once, with its members."""
    needs = {r["id"]: [a for a in r.get("needs", []) if a != r["id"]] for _, r in apps}
    path_of = {r["id"]: p for p, r in apps}
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(needs, WHITE)
    for start in needs:
        if colour[start] != WHITE:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = [start]
        colour[start] = GREY
        while stack:
            node, i = stack[-1]
            succ = [a for a in needs[node] if a in needs]
            if i < len(succ):
                stack[-1] = (node, i + 1)
                nxt = succ[i]
                if colour[nxt] == GREY:
                    cycle = trail[trail.index(nxt) :] + [nxt]
                    c.err(f"{path_of[nxt]}.needs", "dependency cycle: " + " -> ".join(cycle))
                elif colour[nxt] == WHITE:
                    colour[nxt] = GREY
                    stack.append((nxt, 0))
                    trail.append(nxt)
            else:
                colour[node] = BLACK
                stack.pop()
                trail.pop()


def app_order(gm: GroupMap) -> list[str]:
    """Application ids in dependency order: every app after all the apps it needs."""
    done: set[str] = set()
    order: list[str] = []
    for app in gm.applications:
        stack = [(app.id, iter(gm.application(app.id).needs))]
        if app.id in done:
            continue
        visiting = {app.id}
        while stack:
            node, it = stack[-1]
            nxt = next((a for a in it if a not in done), None)
            if nxt is None:
                stack.pop()
                visiting.discard(node)
                if node not in done:
                    done.add(node)
                    order.append(node)
            elif nxt not in visiting:
                visiting.add(nxt)
                stack.append((nxt, iter(gm.application(nxt).needs)))
    return order


# ---------------------------------------------------------------------------
# Back to a document
# ---------------------------------------------------------------------------


def map_to_doc(gm: GroupMap) -> dict[str, Any]:
    """The document form of a map: what YAML/JSON export writes. Omits empty optionals."""

    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if v not in (None, "", [])}

    return {
        "group": clean(
            {
                "id": gm.group.id,
                "name": gm.group.name,
                "timezone": gm.group.timezone,
                "country": gm.group.country,
            }
        ),
        "sites": [{"id": s.id, "name": s.name, "kind": s.kind} for s in gm.sites],
        "zones": [
            clean({"id": z.id, "site": z.site, "kind": z.kind, "name": z.name}) for z in gm.zones
        ],
        "flows": [
            clean({"from": f.source, "to": f.target, "ports": f.ports, "purpose": f.purpose})
            for f in gm.flows
        ],
        "hosts": [
            clean({"id": h.id, "zone": h.zone, "role": h.role, "os": h.os, "ip": h.ip})
            for h in gm.hosts
        ],
        "applications": [
            clean(
                {
                    "id": a.id,
                    "name": a.name,
                    "hosts": list(a.hosts),
                    "needs": list(a.needs),
                    "rto_hours": _num(a.rto_hours),
                }
            )
            for a in gm.applications
        ],
        "services": [
            clean(
                {
                    "id": s.id,
                    "site": s.site,
                    "name": s.name,
                    "kind": s.kind,
                    "criticality": s.criticality,
                    "workstations": list(s.workstations),
                    "capacity_minutes_per_day": s.capacity_minutes_per_day,
                    "degraded_capacity": _num(s.degraded_capacity),
                    "needs": [{"app": n.app, "without": n.without} for n in s.needs],
                }
            )
            for s in gm.services
        ],
    }


def _num(x: float | None) -> int | float | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x
