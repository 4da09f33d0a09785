"""What each unit's kit holds, read from the database in a few queries for all units at once:
the census, the schedule of today and the next three days (as the approved reprogramming
plan has it, if there is one), the site's direct numbers, the crisis cell's contacts and
the unit's reflex card.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from crisiscell.continuity.models import Appointment, Plan, PlanRow
from crisiscell.directory.models import Contact
from crisiscell.engine import reflex_cards
from crisiscell.engine.groupmap import GroupMap
from crisiscell.engine.kit_content import Inpatient, KitContent, Phone, ScheduleItem

from . import census as census_rows
from .models import Inpatient as InpatientRow
from .models import ReflexCard

SCHEDULE_DAYS = 4  # today and the next three


def census(service_ids: Collection[str] | None = None) -> dict[str, list[Inpatient]]:
    """The patients present, by care service."""
    rows = InpatientRow.objects.all()
    if service_ids is not None:
        rows = rows.filter(service__in=list(service_ids))
    out: dict[str, list[Inpatient]] = defaultdict(list)
    for r in rows.iterator(chunk_size=2000):
        out[r.service].append(census_rows.to_item(r))
    return out


def schedule(
    days: tuple[date, ...], tz: ZoneInfo, service_ids: Collection[str] | None = None
) -> dict[str, list[ScheduleItem]]:
    """The appointments on ``days``, by care service, in time order. Under an approved plan a
    moved appointment is on its new day and an unplaced one on none."""
    start = datetime.combine(days[0], time.min, tz)
    end = datetime.combine(days[-1] + timedelta(days=1), time.min, tz)
    moved: dict[int, datetime | None] = {}
    plan = Plan.objects.filter(status="approved").first()
    if plan is not None:
        rows = PlanRow.objects.filter(plan=plan).exclude(decision="kept")
        moved = dict(rows.values_list("appointment_id", "new_start"))
    in_days = Q(start__gte=start, start__lt=end)
    if moved:
        in_days |= Q(pk__in=[pk for pk, when in moved.items() if when and start <= when < end])
    qs = Appointment.objects.filter(in_days)
    if service_ids is not None:
        qs = qs.filter(service__in=list(service_ids))
    out: dict[str, list[ScheduleItem]] = defaultdict(list)
    for a in qs.iterator(chunk_size=2000):
        when = moved.get(a.pk, a.start) if a.pk in moved else a.start
        if when is None or not start <= when < end:
            continue
        out[a.service].append(
            ScheduleItem(
                start=when.astimezone(tz),
                duration_min=a.duration_min,
                patient_id=a.patient_id,
                patient_name=a.patient_name,
                kind=a.kind,
                urgency=a.urgency,
                surgeon=a.surgeon,
                phone=a.phone,
            )
        )
    for items in out.values():
        items.sort(key=lambda i: (i.start, i.patient_name))
    return out


def _phone(c: Contact) -> Phone:
    role = " · ".join(x for x in (c.function, c.available) if x)
    name = f"{c.name} — {c.service.name}" if c.service else c.name
    return Phone(name=name, number=c.phone, role=role, site=c.site.code if c.site else "")


def directory(
    site_ids: Collection[str],
) -> tuple[dict[str, list[tuple[str, Phone]]], list[Phone]]:
    """The internal numbers of each site (with the care service each belongs to, or ""),
    and the crisis cell's contacts."""
    by_site: dict[str, list[tuple[str, Phone]]] = defaultdict(list)
    cell: list[Phone] = []
    qs = Contact.objects.filter(Q(kind="crisis_cell") | Q(site__code__in=list(site_ids)))
    for c in qs.select_related("site", "service").order_by("position", "name"):
        if c.kind == "crisis_cell":
            cell.append(_phone(c))
        elif c.kind == "internal" and c.site is not None:
            by_site[c.site.code].append((c.service.code if c.service else "", _phone(c)))
    return by_site, cell


def _own_first(phones: Iterable[tuple[str, Phone]], unit: str) -> tuple[Phone, ...]:
    """The unit's own numbers first, then the rest of the site's, in directory order."""
    phones = list(phones)
    return tuple(p for s, p in phones if s == unit) + tuple(p for s, p in phones if s != unit)


def cards() -> dict[str, str]:
    """The reflex cards the group edited, by card kind (`reflex_cards.card_kind`; the
    defaults fill the rest)."""
    return dict(ReflexCard.objects.values_list("kind", "markdown"))


def kits(
    gm: GroupMap,
    now: datetime,
    *,
    sites: Collection[str] | None = None,
    units: Collection[str] | None = None,
    lang: str = "fr",
) -> list[KitContent]:
    """One `KitContent` per care service of the chosen sites (all sites by default), or only
    the chosen ``units``."""
    tz = ZoneInfo(gm.group.timezone)
    today = now.astimezone(tz).date()
    days = tuple(today + timedelta(days=k) for k in range(SCHEDULE_DAYS))
    services = [
        s
        for s in gm.services
        if (sites is None or s.site in sites) and (units is None or s.id in units)
    ]
    ids = [s.id for s in services]
    site_ids = sorted({s.site for s in services})
    present = census(ids)
    planned = schedule(days, tz, ids)
    phones, cell = directory(site_ids)
    edited = cards()
    names = {s.id: s.name for s in gm.sites}
    out = []
    for s in sorted(services, key=lambda s: (s.site, s.id)):
        out.append(
            KitContent(
                site_id=s.site,
                site_name=names.get(s.site, s.site),
                unit_id=s.id,
                unit_name=s.name,
                unit_kind=s.kind,
                generated_at=now.astimezone(tz),
                patients=tuple(present.get(s.id, ())),
                schedule=tuple(planned.get(s.id, ())),
                days=days,
                directory=_own_first(phones.get(s.site, ()), s.id),
                crisis_contacts=tuple(cell),
                reflex_card=edited.get(reflex_cards.card_kind(s.kind))
                or reflex_cards.default_card(s.kind, lang),
            )
        )
    return out
