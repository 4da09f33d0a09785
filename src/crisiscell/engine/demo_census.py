"""A realistic, deterministic census for a demo group map: the patients present in its units.

`generate(gm, seed=…, today=…)` fills the beds of the map's inpatient care services as at
07:00 of `today` (the group's time zone), when the night shift hands over:

- the units: intensive care, emergencies (patients in a box), maternity, neonatology, the
  wards (internal medicine, surgery, cardiology, geriatrics, paediatrics, told by the
  service's name), the residents of nursing homes and of psychiatric care homes;
- beds by unit and site size: a base count for a large hospital (`UNITS`) scaled by the
  site's workstations in the map (a site of 300 is 1; a nursing home of 14 is 1), then
  filled to a realistic occupancy (90 % in medicine, 65 % in maternity, 96 % in nursing
  homes…): about 1,500 patients on the demo group of 16 sites;
- rooms numbered by floor (``214``: floor 2, room 14; each unit of a site on its own
  floor), single rooms (bed "") or double (beds ``A``, ``B``, one sex a room), four cots a
  room in neonatology (``A`` to ``D``), numbered boxes in emergencies (``Box 7``);
- ages by unit: newborns of a few days in neonatology, women of 18 to 45 in maternity,
  75 and over in geriatrics, children in paediatrics, the old in nursing homes;
- admissions a few hours ago (emergencies) to days (wards) or years (nursing homes) ago;
- about 20 % with allergies and 25 % with alerts, drawn from real, common ones, in French
  (`ALLERGIES`, `ALERTS`), fitting the unit;
- Belgian names, from the lists of `demo_appointments` (French mostly, some Dutch, German,
  English); patient ids ``IP-000001``… in the list's order.

Same (map, seed, today), same list: every choice comes from one `random.Random` seeded
from `seed`; `today` only places the dates. Admission times are aware UTC datetimes, as
the importers give them. `to_csv(patients)` writes the census CSV
(`crisiscell.engine.census`), which `census.read_census` reads back equal.

No Django here.
"""

from __future__ import annotations

import csv
import io
import math
import random
import unicodedata
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from .census import COLUMNS
from .demo_appointments import _FIRST, _LAST, _zone
from .groupmap import GroupMap, Service
from .kit_content import Inpatient

__all__ = ["ALERTS", "ALLERGIES", "CENSUS_HOUR", "UNITS", "generate", "to_csv", "unit_of"]

#: The census is as at this hour of `today` (local time): every admission is before it.
CENSUS_HOUR = 7


@dataclass(frozen=True)
class _Unit:
    beds: int  # in a site of `reference` workstations
    occupancy: float
    ages: tuple[float, float, float]  # years: low, high, mode (triangular)
    female: float  # share of women
    stay: tuple[float, float]  # days since admission: mean (exponential), cap
    allergy: float  # share of patients with allergies
    alert: float  # share of patients with alerts
    alerts: str  # the pool of `ALERTS`
    rooms: tuple[int, int, int] = (40, 60, 0)  # weights of single, double, four-cot rooms
    reference: int = 300  # workstations of a site of scale 1


# fmt: off
#: The inpatient units, their beds in a site of scale 1, and their patients.
UNITS: dict[str, _Unit] = {
    "icu": _Unit(16, 0.85, (25, 92, 68), 0.4, (4, 30), 0.22, 0.6, "icu", (1, 0, 0)),
    "emergency": _Unit(24, 0.7, (1, 97, 58), 0.5, (0, 0), 0.2, 0.22, "general"),
    "maternity": _Unit(26, 0.65, (18, 45, 31), 1.0, (2, 6), 0.18, 0.3, "maternity", (80, 20, 0)),
    "neonatology": _Unit(12, 0.8, (0, 0, 0), 0.48, (0, 0), 0.01, 0.45, "neonatology",
                         (0, 0, 1)),
    "medicine": _Unit(80, 0.9, (18, 98, 76), 0.52, (6, 45), 0.22, 0.26, "general"),
    "surgery": _Unit(55, 0.82, (16, 95, 62), 0.48, (3.5, 30), 0.2, 0.16, "general"),
    "cardiology": _Unit(40, 0.88, (30, 97, 72), 0.42, (5, 30), 0.2, 0.3, "cardiology"),
    "geriatrics": _Unit(45, 0.93, (75, 101, 86), 0.62, (11, 60), 0.22, 0.32, "elderly"),
    "paediatrics": _Unit(24, 0.62, (0, 15, 2), 0.46, (2.5, 20), 0.12, 0.16, "paediatrics",
                         (1, 0, 0)),
    "ward": _Unit(40, 0.85, (18, 95, 65), 0.5, (5, 40), 0.2, 0.22, "general"),
    "residents": _Unit(95, 0.96, (68, 103, 87), 0.7, (900, 4000), 0.2, 0.2, "elderly",
                       (85, 15, 0), 14),
    "psychiatric": _Unit(60, 0.93, (22, 80, 50), 0.45, (700, 4000), 0.2, 0.2, "psychiatric",
                         (1, 0, 0), 22),
}
#: Allergies, in French, with weights: (name, weight for adults, weight for children).
ALLERGIES: tuple[tuple[str, int, int], ...] = (
    ("Pénicilline", 30, 20), ("Amoxicilline", 8, 10), ("Céphalosporines", 4, 2),
    ("Sulfamides", 6, 2), ("Iode (produits de contraste)", 10, 0), ("Latex", 7, 4),
    ("AINS", 8, 6), ("Aspirine", 5, 1), ("Codéine", 4, 1), ("Morphine", 3, 0),
    ("Tramadol", 2, 0), ("Chlorhexidine", 2, 1), ("Sparadrap", 3, 2), ("Arachide", 4, 14),
    ("Fruits à coque", 3, 8), ("Crustacés", 3, 3), ("Œuf", 1, 8),
    ("Protéines de lait de vache", 1, 8), ("Kiwi", 1, 2), ("Macrolides", 2, 3),
    ("Quinolones", 2, 0), ("Métamizole", 1, 0),
)
#: Alerts, in French, with weights, by pool.
ALERTS: dict[str, tuple[tuple[str, int], ...]] = {
    "general": (
        ("Risque de chute", 18), ("Anticoagulé (AVK)", 10), ("Anticoagulé (AOD)", 10),
        ("Isolement contact (BMR)", 9), ("Diabétique insulinodépendant", 12),
        ("Patient sous oxygène", 8), ("Limitation thérapeutique (DNR)", 6),
        ("Insuffisance rénale (adapter les doses)", 5), ("Isolement gouttelettes (grippe)", 3),
        ("Troubles de la déglutition", 3), ("Épilepsie", 2), ("Porteur de pacemaker", 3),
        ("Troubles cognitifs (risque de fugue)", 3),
    ),
    "icu": (
        ("Patient intubé-ventilé", 20), ("Sous amines vasopressives", 12),
        ("Isolement contact (BMR)", 12), ("Anticoagulé (héparine IV)", 10),
        ("Limitation thérapeutique (DNR)", 8), ("Diabétique insulinodépendant", 8),
        ("Risque hémorragique", 5), ("Patient sous oxygène", 5),
    ),
    "cardiology": (
        ("Anticoagulé (AOD)", 18), ("Anticoagulé (AVK)", 14), ("Porteur de pacemaker", 10),
        ("Patient sous oxygène", 6), ("Diabétique insulinodépendant", 8),
        ("Risque de chute", 8), ("Limitation thérapeutique (DNR)", 4),
        ("Insuffisance rénale (adapter les doses)", 5),
    ),
    "elderly": (
        ("Risque de chute", 30), ("Troubles cognitifs (risque de fugue)", 14),
        ("Limitation thérapeutique (DNR)", 12), ("Troubles de la déglutition (eau gélifiée)", 8),
        ("Anticoagulé (AVK)", 8), ("Anticoagulé (AOD)", 8), ("Escarre (soins de plaie)", 6),
        ("Diabétique insulinodépendant", 7), ("Patient sous oxygène", 5),
        ("Isolement contact (BMR)", 5),
    ),
    "maternity": (
        ("Rhésus négatif", 20), ("Streptocoque B positif", 18), ("Diabète gestationnel", 12),
        ("Pré-éclampsie (surveillance TA)", 6), ("Post-césarienne", 22),
        ("Hémorragie du post-partum", 4),
    ),
    "neonatology": (
        ("Prématuré", 35), ("Sous photothérapie", 18), ("Alimentation par sonde", 20),
        ("Sous oxygène", 12), ("Isolement contact (BMR)", 4),
    ),
    "paediatrics": (
        ("Parent accompagnant", 30), ("Isolement gouttelettes (VRS)", 15),
        ("Asthme sévère", 10), ("Diabétique insulinodépendant", 8), ("Épilepsie", 8),
    ),
    "psychiatric": (
        ("Risque suicidaire", 20), ("Risque de fugue", 18),
        ("Traitement par clozapine (surveillance)", 8), ("Diabétique insulinodépendant", 8),
        ("Risque de chute", 6), ("Troubles de la déglutition", 3),
    ),
}
# fmt: on
#: The wards, told by their name: (unit, words of the name, folded).
_WARDS = (
    ("geriatrics", ("geriatr",)),
    ("paediatrics", ("pediatr", "paediatr", "kinder")),
    ("cardiology", ("cardio",)),
    ("surgery", ("chirurg", "surg")),
    ("medicine", ("medecine", "interne", "medicine")),
)
_KINDS = {
    "icu": "icu",
    "emergency": "emergency",
    "maternity": "maternity",
    "neonatology": "neonatology",
    "residents_care": "residents",
    "psychiatric_care": "psychiatric",
    "geriatrics": "geriatrics",
    "paediatrics": "paediatrics",
    "pediatrics": "paediatrics",
}
#: The first man of each list of first names of `demo_appointments`: women come first.
_FIRST_MAN = {"fr": "Jean", "nl": "Jan", "de": "Klaus", "en": "James"}
_GIVEN = {
    lang: {"F": names[: names.index(_FIRST_MAN[lang])], "M": names[names.index(_FIRST_MAN[lang]) :]}
    for lang, names in _FIRST.items()
}
_ROOMS_A_FLOOR = 60
_COTS = "ABCD"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def unit_of(service: Service) -> str | None:
    """The unit (a key of `UNITS`) of a care service, or None if nobody stays there."""
    if service.kind in _KINDS:
        return _KINDS[service.kind]
    if service.kind != "ward":
        return None
    name = _fold(f"{service.name} {service.id}")
    return next((unit for unit, words in _WARDS if any(w in name for w in words)), "ward")


def _workstations(gm: GroupMap) -> dict[str, int]:
    site_of = {z.id: z.site for z in gm.zones}
    count: dict[str, int] = {}
    for h in gm.hosts:
        site = site_of.get(h.zone)
        if h.role == "workstation" and site:
            count[site] = count.get(site, 0) + 1
    return count


def _beds(
    rng: random.Random, unit: _Unit, count: int, floor: int, box: bool
) -> list[tuple[str, str, int]]:
    """(room, bed, room number) of `count` beds on `floor` and the next ones."""
    out: list[tuple[str, str, int]] = []
    if box:
        return [(f"Box {n}", "", n) for n in range(1, count + 1)]
    number = 0
    while len(out) < count:
        number += 1
        room = f"{floor + (number - 1) // _ROOMS_A_FLOOR}{(number - 1) % _ROOMS_A_FLOOR + 1:02d}"
        size = rng.choices((1, 2, 4), weights=unit.rooms)[0]
        beds = ("",) if size == 1 else _COTS[:size]
        out.extend((room, bed, number) for bed in beds)
    return out[:count]


def generate(gm: GroupMap, *, seed: int = 1, today: date) -> list[Inpatient]:
    """The patients present in the map's inpatient units at 07:00 of `today` (see the
    module docstring), by service (map order), then room and bed."""
    rng = random.Random(f"crisiscell-census:{seed}")
    tz = _zone(gm)
    now = datetime(today.year, today.month, today.day, CENSUS_HOUR, tzinfo=tz).astimezone(UTC)
    workstations = _workstations(gm)
    floors: dict[str, int] = {}
    patients: list[Inpatient] = []
    for service in gm.services:
        key = unit_of(service)
        if key is None:
            continue
        unit = UNITS[key]
        scale = workstations.get(service.site, 0) / unit.reference or 0.7
        count = max(2, round(unit.beds * min(1.5, max(0.3, scale))))
        floor = floors.get(service.site, 1)
        beds = _beds(rng, unit, count, floor, key == "emergency")
        if key != "emergency":
            floors[service.site] = floor + math.ceil(beds[-1][2] / _ROOMS_A_FLOOR)
        occupied = min(count, round(count * unit.occupancy * rng.uniform(0.94, 1.05)))
        room_sex: dict[str, str] = {}
        for i in sorted(rng.sample(range(count), occupied)):
            room, bed, _ = beds[i]
            sex = "F" if rng.random() < unit.female else "M"
            if bed and key not in ("neonatology", "paediatrics"):
                sex = room_sex.setdefault(room, sex)  # a shared room holds one sex
            p = _patient(rng, key, unit, sex, today, now, tz)
            pid = f"IP-{len(patients) + 1:06d}"
            patients.append(Inpatient(pid, service=service.id, room=room, bed=bed, **p))
    return patients


def _patient(
    rng: random.Random, key: str, unit: _Unit, sex: str, today: date, now: datetime, tz: tzinfo
) -> dict:
    """The fields of one patient but its id and place."""
    r = rng.random
    roll = r() * 100
    lang = "fr" if roll < 88 else "nl" if roll < 94 else "de" if roll < 97 else "en"
    name = f"{rng.choice(_GIVEN[lang][sex])} {rng.choice(_LAST[lang])}"
    if key == "emergency":
        admitted = now - timedelta(minutes=rng.randint(20, 14 * 60))
    elif key == "neonatology":
        age = int(rng.triangular(1, 40, 4))
        day = today - timedelta(days=age - (0 if r() < 0.8 else rng.randint(0, min(3, age - 1))))
        admitted = _at(day, rng.randrange(24 * 60), tz)
    else:
        mean, cap = unit.stay
        days = min(int(cap), int(rng.expovariate(1 / mean)))
        if key in ("residents", "psychiatric"):
            days = int(rng.triangular(7, cap, mean))
        minute = rng.randrange(CENSUS_HOUR * 60) if days == 0 else int(rng.triangular(0, 1440, 780))
        admitted = _at(today - timedelta(days=days), minute, tz)
    if key == "neonatology":
        birth = today - timedelta(days=age)
    else:
        low, high, mode = unit.ages
        years = rng.triangular(low, high, mode)
        birth = today - timedelta(days=int(years * 365.25))
        birth = min(birth, admitted.astimezone(tz).date())
    child = key in ("paediatrics", "neonatology")
    allergies: tuple[str, ...] = ()
    if r() < unit.allergy:
        weights = [a[2] if child else a[1] for a in ALLERGIES]
        allergies = _some(rng, [a[0] for a in ALLERGIES], weights)
    alerts: tuple[str, ...] = ()
    if r() < unit.alert:
        pool = ALERTS[unit.alerts]
        alerts = _some(rng, [a[0] for a in pool], [a[1] for a in pool])
    return {
        "name": name,
        "birth_date": birth,
        "sex": sex,
        "admitted": admitted.astimezone(UTC),
        "allergies": allergies,
        "alerts": alerts,
    }


def _at(day: date, minute: int, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz)


def _some(rng: random.Random, names: list[str], weights: list[int]) -> tuple[str, ...]:
    """One to three different names: one most often (70 %), two (25 %), three (5 %)."""
    roll = rng.random()
    wanted = 1 if roll < 0.7 else 2 if roll < 0.95 else 3
    out: dict[str, None] = {}
    for _ in range(wanted * 4):
        out[rng.choices(names, weights=weights)[0]] = None
        if len(out) == wanted:
            break
    return tuple(out)


def to_csv(patients: Iterable[Inpatient], tz: str | tzinfo | None = None) -> str:
    """The census CSV of `patients` (``,`` separated, header first, the columns of
    `census.COLUMNS`); `admitted` in `tz` with its offset (by default as the datetime
    holds it), list items joined by ``|``. `census.read_census` reads it back equal."""
    zone = zoneinfo.ZoneInfo(tz) if isinstance(tz, str) else tz
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in patients:
        admitted = ""
        if p.admitted is not None:
            admitted = (p.admitted.astimezone(zone) if zone else p.admitted).isoformat()
        birth = p.birth_date.isoformat() if p.birth_date else ""
        writer.writerow(
            [p.patient_id, p.name, p.service, p.room, p.bed, birth, p.sex, admitted]
            + ["|".join(p.allergies), "|".join(p.alerts)]
        )
    return out.getvalue()
