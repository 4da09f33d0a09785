"""Write a validated group map into the database: all of it, in one transaction.

The import is an upsert by `code` (the map's own id): rows whose code is in the map are
updated in place, new codes are created, codes no longer in the map are deleted. The
network's operational state lives on the rows and survives a re-import: a host keeps its
`state`, a zone stays `isolated`, a flow stays `blocked` (flows are keyed by their pair of
zones), the group keeps `internet_cut`. Ordered link tables (an application's hosts, a
service's workstations and needs) are rebuilt whole on every import, so their ids change
with each import (the web map cache relies on that to notice a new map).

Rows keep their primary key across imports, and a new row comes after the existing
ones: after a re-import that adds ids, the database (and so an export) lists the same
map with the added rows last.

Sized for a region (100,000 hosts, 10,000 services): every table is read once into a
dict code -> pk, writes go in batches, and rows that did not change are not written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, ProtectedError, RestrictedError

from crisiscell.engine.groupmap import SECTIONS, GroupMap, MapError, MapInvalid

from . import models as m

BATCH_SIZE = 2000
#: the largest value a PositiveIntegerField holds on every supported database
MAX_POSITIVE_INT = 2_147_483_647
#: the tables this module writes; a row of another app pointing at one of them makes the
#: delete of a removed row go through Django, which applies that app's on_delete rule
MAP_MODELS = frozenset(
    {
        m.Site,
        m.Zone,
        m.Flow,
        m.Host,
        m.Application,
        m.ApplicationHost,
        m.ApplicationNeed,
        m.CareService,
        m.ServiceWorkstation,
        m.ServiceNeed,
    }
)


def import_map(gm: GroupMap) -> dict[str, int]:
    """Make the database hold exactly `gm` (validated by `parse_map`); counts per section.

    Raises MapInvalid, and writes nothing, when a value does not fit its column (a name
    longer than the database keeps) or when a row the map drops is still referenced
    elsewhere in a way that forbids deleting it."""
    problems = fit_errors(gm)
    if problems:
        raise MapInvalid(problems)
    try:
        with transaction.atomic():
            _import(gm)
            # Whatever changed, the map's version moves on: compiled copies know they are stale.
            m.Group.objects.update(map_version=F("map_version") + 1)
    except (ProtectedError, RestrictedError) as exc:
        used = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        objs = sorted({f"{type(o)._meta.verbose_name} {o}" for o in used})[:10]
        raise MapInvalid(
            [MapError("", f"a row the map no longer has is still in use: {', '.join(objs)}")]
        ) from None
    return {section: len(getattr(gm, section)) for section in SECTIONS}


def _import(gm: GroupMap) -> None:
    _import_group(gm)
    site_pk, old_sites = _upsert(
        m.Site, ["name", "kind"], {s.id: (s.name, s.kind) for s in gm.sites}
    )
    zone_pk, old_zones = _upsert(
        m.Zone,
        ["site_id", "kind", "name"],
        {z.id: (site_pk[z.site] if z.site else None, z.kind, z.name) for z in gm.zones},
    )
    # Links point at hosts, applications and zones that may go: clear them first.
    for link in (m.ServiceNeed, m.ServiceWorkstation, m.ApplicationNeed, m.ApplicationHost):
        link.objects.all().delete()
    old_flows = _upsert_flows(gm, zone_pk)
    host_pk, old_hosts = _upsert(
        m.Host,
        ["zone_id", "role", "os", "ip"],
        {h.id: (zone_pk[h.zone], h.role, h.os, h.ip) for h in gm.hosts},
    )
    app_pk, old_apps = _upsert(
        m.Application, ["name", "rto_hours"], {a.id: (a.name, a.rto_hours) for a in gm.applications}
    )
    service_pk, old_services = _upsert(
        m.CareService,
        ["site_id", "name", "kind", "criticality", "capacity_minutes_per_day", "degraded_capacity"],
        {
            s.id: (
                site_pk[s.site],
                s.name,
                s.kind,
                s.criticality,
                s.capacity_minutes_per_day,
                s.degraded_capacity,
            )
            for s in gm.services
        },
    )
    # What the map no longer has, dependents first (the foreign keys PROTECT).
    _delete(m.Flow, old_flows)
    _delete(m.CareService, old_services)
    _delete(m.Application, old_apps)
    _delete(m.Host, old_hosts)
    _delete(m.Zone, old_zones)
    _delete(m.Site, old_sites)
    _insert(
        m.ApplicationHost,
        ["application_id", "host_id", "position"],
        ((app_pk[a.id], host_pk[h], i) for a in gm.applications for i, h in enumerate(a.hosts)),
    )
    _insert(
        m.ApplicationNeed,
        ["application_id", "needed_id", "position"],
        ((app_pk[a.id], app_pk[n], i) for a in gm.applications for i, n in enumerate(a.needs)),
    )
    _insert(
        m.ServiceWorkstation,
        ["service_id", "zone_id", "position"],
        (
            (service_pk[s.id], zone_pk[z], i)
            for s in gm.services
            for i, z in enumerate(s.workstations)
        ),
    )
    _insert(
        m.ServiceNeed,
        ["service_id", "application_id", "without", "position"],
        (
            (service_pk[s.id], app_pk[n.app], n.without, i)
            for s in gm.services
            for i, n in enumerate(s.needs)
        ),
    )


def _import_group(gm: GroupMap) -> None:
    wanted = {
        "code": gm.group.id,
        "name": gm.group.name,
        "timezone": gm.group.timezone,
        "country": gm.group.country,
    }
    groups = list(m.Group.objects.order_by("id"))
    if not groups:
        m.Group.objects.create(**wanted)
        return
    group, extra = groups[0], groups[1:]
    if extra:  # there is one group: keep the oldest row (and its internet_cut)
        m.Group.objects.filter(pk__in=[g.pk for g in extra]).delete()
    changed = [f for f, v in wanted.items() if getattr(group, f) != v]
    if changed:
        for f in changed:
            setattr(group, f, wanted[f])
        group.save(update_fields=changed)


def _upsert(
    model: type[models.Model], names: list[str], wanted: dict[str, tuple]
) -> tuple[dict[str, int], list[int]]:
    """Create or update the rows of `wanted` (code -> values of the columns `names`),
    leaving the other columns (the state) alone. Returns code -> pk of the map's rows and
    the pks of the rows the map no longer has."""
    existing = {row[1]: row for row in model.objects.values_list("id", "code", *names)}
    created, updated = [], []
    for code, values in wanted.items():
        row = existing.get(code)
        if row is None:
            created.append((code, *values))
        elif row[2:] != values:
            updated.append((*values, row[0]))
    _insert(model, ["code", *names], created)
    _update(model, names, updated)
    if created:
        pk_of = {code: pk for code, pk in model.objects.values_list("code", "id") if code in wanted}
    else:
        pk_of = {code: row[0] for code, row in existing.items() if code in wanted}
    stale = [row[0] for code, row in existing.items() if code not in wanted]
    return pk_of, stale


def _upsert_flows(gm: GroupMap, zone_pk: dict[str, int]) -> list[int]:
    """Flows are keyed by their (from, to) zones; `blocked` survives. Returns stale pks."""
    existing = {
        (s, t): (pk, ports, purpose)
        for pk, s, t, ports, purpose in m.Flow.objects.values_list(
            "id", "source_id", "target_id", "ports", "purpose"
        )
    }
    created, updated, kept = [], [], set()
    for f in gm.flows:
        key = (zone_pk[f.source], zone_pk[f.target])
        row = existing.get(key)
        if row is None:
            created.append((*key, f.ports, f.purpose))
            continue
        kept.add(key)
        if row[1:] != (f.ports, f.purpose):
            updated.append((f.ports, f.purpose, row[0]))
    _insert(m.Flow, ["source_id", "target_id", "ports", "purpose"], created)
    _update(m.Flow, ["ports", "purpose"], updated)
    return [row[0] for key, row in existing.items() if key not in kept]


# The ORM's bulk_create and bulk_update spend most of a region's import building model
# instances and, for updates, one CASE expression per row. Instead: on SQLite one prepared
# statement run with executemany (in-process, no round trips); on PostgreSQL, where
# executemany pays a round trip per row, COPY (into a temporary table for updates).
# Either is an order of magnitude faster. Table and column names come from the models'
# metadata, never from the map.


def _insert(model: type[models.Model], names: Sequence[str], rows: Iterable[tuple]) -> None:
    """INSERT rows holding the columns `names` (attnames); the others get their default."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    rest = [f for name, f in by_attname.items() if name not in names]
    defaults = tuple(f.get_default() for f in rest)
    columns = [by_attname[name].column for name in names] + [f.column for f in rest]
    params = (row + defaults for row in rows) if defaults else rows
    qn = connection.ops.quote_name
    table, column_list = qn(model._meta.db_table), ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in params:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({column_list}) VALUES ({marks})"  # noqa: S608 - see above
        for chunk in _chunks(params, BATCH_SIZE):
            cursor.executemany(sql, chunk)


def _update(model: type[models.Model], names: Sequence[str], rows: list[tuple]) -> None:
    """UPDATE the columns `names` of rows given as (*values, pk)."""
    if not rows:
        return
    column = {f.attname: f.column for f in model._meta.concrete_fields}
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    targets = [qn(column[n]) for n in names]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMPORARY TABLE crisiscell_update AS "  # noqa: S608 - see above
                f"SELECT {', '.join(targets)}, {pk} FROM {table} WITH NO DATA"
            )
            with cursor.cursor.copy("COPY crisiscell_update FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{c} = u.{c}" for c in targets)
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} "  # noqa: S608 - see above
                f"FROM crisiscell_update AS u WHERE t.{pk} = u.{pk}"
            )
            cursor.execute("DROP TABLE crisiscell_update")
            return
        assignments = ", ".join(f"{c} = %s" for c in targets)
        sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 - see above
        for chunk in _chunks(rows, BATCH_SIZE):
            cursor.executemany(sql, chunk)


def _delete(model: type[models.Model], pks: list[int]) -> None:
    """Delete rows the map no longer has (the links pointing at them are already gone)."""
    if not pks:
        return
    reverse = [
        f for f in model._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete
    ]
    if any(rel.related_model not in MAP_MODELS for rel in reverse):
        # Another app keeps rows pointing here: Django applies their on_delete rules.
        for chunk in _chunks(pks, 500):
            model.objects.filter(pk__in=chunk).delete()
        return
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    with connection.cursor() as cursor:
        for chunk in _chunks(pks, 500):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({marks})", chunk)  # noqa: S608


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------------------
# What `parse_map` does not know: the database's column sizes
# ---------------------------------------------------------------------------

_COLUMNS: dict[str, tuple[type[models.Model], dict[str, str]]] = {
    # section: (model, map field -> model field)
    "sites": (m.Site, {"id": "code", "name": "name"}),
    "zones": (m.Zone, {"id": "code", "name": "name"}),
    "flows": (m.Flow, {"ports": "ports", "purpose": "purpose"}),
    "hosts": (m.Host, {"id": "code", "os": "os", "ip": "ip"}),
    "applications": (m.Application, {"id": "code", "name": "name"}),
    "services": (m.CareService, {"id": "code", "name": "name", "kind": "kind"}),
}


def fit_errors(gm: GroupMap) -> list[MapError]:
    """Values of a valid map that the database cannot hold, each with its map path."""
    errors: list[MapError] = []

    def too_long(path: str, value: str, limit: int) -> None:
        errors.append(MapError(path, f"too long: {len(value)} characters (at most {limit})"))

    for key, column in (("id", "code"), ("name", "name"), ("timezone", "timezone")):
        limit = m.Group._meta.get_field(column).max_length
        if len(getattr(gm.group, key)) > limit:
            too_long(f"group.{key}", getattr(gm.group, key), limit)
    for section, (model, columns) in _COLUMNS.items():
        limits = [
            (key, model._meta.get_field(column).max_length) for key, column in columns.items()
        ]
        for i, item in enumerate(getattr(gm, section)):
            for key, limit in limits:
                value = getattr(item, key)
                if len(value) > limit:
                    too_long(f"{section}[{i}].{key}", value, limit)
    for i, service in enumerate(gm.services):
        if (service.capacity_minutes_per_day or 0) > MAX_POSITIVE_INT:
            errors.append(
                MapError(
                    f"services[{i}].capacity_minutes_per_day",
                    f"too large: {service.capacity_minutes_per_day} (at most {MAX_POSITIVE_INT})",
                )
            )
    return errors
