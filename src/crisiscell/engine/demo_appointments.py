"""A realistic, deterministic appointment load for a demo group map (FORMATS.md §2).

`generate(gm, first_day, days, seed)` fills the planned capacity of the map's care
services over `days` calendar days from `first_day`, on working days only (no weekend,
no public holiday of the group's country):

- consultations in every ``consultation`` service: about 1,500 a working day on the demo
  group of 16 sites (the figure of the real group whose outage the demo replays);
- imaging (``radiology``, ``nuclear_medicine``), blood draws (``lab``), day hospital
  (``day_hospital``, ``oncology_day``) and scheduled surgery (``surgery``);
- each service filled to 85-95 % of its `capacity_minutes_per_day`, in parallel lanes (a
  consultant's day, an imaging room, a theatre) with a lunch break for consultations;
- surgeries by named surgeons, each operating on fixed weekdays in one theatre
  (`surgeons`, `surgeon_days`: the optimiser keeps a surgery on its surgeon's days);
- an urgency mix of about 5 % / 15 % / 40 % / 40 % (urgency 1 to 4), more urgent in
  oncology and surgery; explicit `max_delay_days` for oncology day care;
- chains: a pre-operative consultation before most surgeries (same patient, same site,
  2 to 15 working days earlier) and, for some consultations, an imaging exam first;
- patients with Belgian names, a mobile (``+324…``) for most, a landline for some, no
  phone for a few, an e-mail for about half, and French mostly (some Dutch, German,
  English).

Same (map, first_day, days, seed), same list: every choice comes from one
`random.Random` seeded from `seed`. Times are aware UTC datetimes; the days are days of
the group's time zone. Fast enough for a region: 150,000 appointments in a few seconds.

No Django here.
"""

from __future__ import annotations

import math
import random
import unicodedata
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from .appointments import Appointment
from .groupmap import GroupMap, Service

__all__ = [
    "LANES",
    "SURGEON_THEATRE_DAY",
    "generate",
    "surgeon_days",
    "surgeons",
    "working_days",
]

# ---------------------------------------------------------------------------
# How each kind of service works
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Lane:
    """One kind of parallel lane: when its day starts, how long it is, what it holds."""

    kind: str  # the appointments' kind
    opens: int  # minutes after midnight
    length: int  # minutes of one lane's day
    durations: tuple[int, ...]
    weights: tuple[int, ...]
    urgency: tuple[int, int, int, int]  # weights of urgency 1..4
    lunch: bool = False  # 12:30-13:30 off (consultants)


#: Service kind -> lane. Other kinds (wards, emergencies, dialysis...) get no appointments.
LANES: dict[str, _Lane] = {
    "consultation": _Lane(
        "consultation", 8 * 60 + 30, 480, (20, 30, 45, 60), (35, 35, 20, 10), (3, 12, 40, 45), True
    ),
    "radiology": _Lane(
        "imaging", 8 * 60, 600, (10, 15, 20, 30, 45), (30, 25, 20, 15, 10), (6, 16, 43, 35)
    ),
    "nuclear_medicine": _Lane(
        "imaging", 8 * 60, 540, (30, 45, 60, 90), (20, 40, 30, 10), (8, 20, 45, 27)
    ),
    "lab": _Lane("lab", 7 * 60 + 30, 300, (10, 15), (70, 30), (5, 20, 40, 35)),
    "day_hospital": _Lane(
        "day_hospital", 8 * 60, 540, (120, 180, 240, 360), (30, 30, 25, 15), (5, 20, 45, 30)
    ),
    "oncology_day": _Lane(
        "day_hospital", 8 * 60, 540, (90, 120, 180, 240, 360), (20, 30, 25, 15, 10), (30, 40, 25, 5)
    ),
    "surgery": _Lane("surgery", 8 * 60, 480, (), (), (8, 22, 45, 25)),
}
#: A theatre day of one surgeon, in minutes: a service of C minutes a day runs about
#: C / SURGEON_THEATRE_DAY theatres, each by one surgeon a day.
SURGEON_THEATRE_DAY = 480
_LUNCH = (12 * 60 + 30, 13 * 60 + 30)
_LAST_END = 20 * 60  # nothing ends after 20:00
#: Clinically acceptable delay of oncology day care, by urgency (others: the defaults).
_ONCOLOGY_DELAY = {1: 3, 2: 7, 3: 14, 4: 28}

#: Surgical specialties: (name, weight, durations, weights, consultation code of the map).
_SPECIALTIES = (
    ("orthopédie", 5, (60, 90, 120, 180), (25, 35, 30, 10), "ORTH"),
    ("chirurgie digestive", 4, (60, 90, 120, 180, 240), (15, 30, 30, 15, 10), "GAST"),
    ("gynécologie", 3, (45, 60, 90, 120), (20, 35, 30, 15), "GYN"),
    ("urologie", 3, (45, 60, 90, 120), (25, 35, 25, 15), "URO"),
    ("ORL", 2, (45, 60, 90), (35, 40, 25), "ORL"),
    ("ophtalmologie", 2, (30, 45, 60), (50, 35, 15), "OPH"),
    ("chirurgie vasculaire", 1, (90, 120, 180, 240), (20, 35, 30, 15), "CARD"),
    ("chirurgie plastique", 1, (60, 90, 120), (35, 40, 25), "DERM"),
)
_SPECIALTY_WEIGHTS = tuple(s[1] for s in _SPECIALTIES)
_BY_SPECIALTY = {s[0]: s for s in _SPECIALTIES}

#: Share of surgeries with a pre-operative consultation, and how far before (working days).
_PREOP_SHARE = 0.6
_PREOP_WINDOW = (2, 15)
#: Share of consultations that follow an imaging exam of the same patient, and how far.
_FOLLOW_UP_SHARE = 0.08
_FOLLOW_UP_WINDOW = (2, 10)

# ---------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------

# fmt: off
_FIRST = {
    "fr": ("Jeanne", "Marie", "Louise", "Camille", "Julie", "Sophie", "Nathalie", "Isabelle",
           "Christine", "Françoise", "Monique", "Chantal", "Martine", "Anne", "Claire",
           "Émilie", "Céline", "Aurélie", "Laura", "Manon", "Chloé", "Léa", "Élise", "Josiane",
           "Jean", "Pierre", "Michel", "André", "Philippe", "Alain", "Jacques", "Marc", "Luc",
           "Benoît", "François", "Olivier", "Thierry", "Vincent", "Nicolas", "Julien",
           "Maxime", "Thomas", "Antoine", "Guillaume", "Hugo", "Louis", "Arnaud", "Étienne"),
    "nl": ("An", "Els", "Katrien", "Sofie", "Lotte", "Hilde", "Inge", "Griet", "Marleen",
           "Jan", "Pieter", "Koen", "Bart", "Wim", "Dirk", "Geert", "Joris", "Stijn", "Tom"),
    "de": ("Anna", "Monika", "Ursula", "Sabine", "Petra", "Karin", "Helga",
           "Klaus", "Jürgen", "Stefan", "Andreas", "Werner", "Günter", "Matthias"),
    "en": ("Emma", "Olivia", "Sarah", "Emily", "Hannah", "James", "John", "David", "Daniel",
           "Michael", "Robert", "William"),
}
_LAST = {
    "fr": ("Dupont", "Lambert", "Dubois", "Martin", "Simon", "Laurent", "Leroy", "Lejeune",
           "Renard", "Collignon", "Gérard", "François", "Thiry", "Jacques", "Henrard",
           "Guillaume", "Pirotte", "Lemaire", "Dumont", "Marchal", "Hubert", "Noël", "Lecomte",
           "Goffin", "Poncelet", "Mathieu", "Hardy", "Pierret", "Lhoest", "Gillet", "Lefèvre",
           "Bodart", "Maréchal", "Warnier", "Piron", "Rondeux", "Schmitz", "Kinet", "Collard",
           "Gérardy", "Hansen", "Léonard", "Didier", "Gobert", "Closset", "Dethier", "Remacle",
           "Wagner", "Lamy", "Adam", "Thomas", "Servais", "Delvaux", "Michaux", "Jadot",
           "Evrard", "Jacob", "Graas", "Origer", "Lallemand", "Mertens", "Nicolay", "Toussaint",
           "Bastin", "Gilson", "Paquay", "Wathelet", "Feller", "Antoine", "Burnotte"),
    "nl": ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
           "Wouters", "De Smet", "Dubois", "Vermeulen", "Van den Broeck", "De Clercq",
           "Hermans", "Aerts", "Pauwels", "Van Damme", "Michiels", "Verstraete"),
    "de": ("Schmitz", "Müller", "Kreins", "Hilgers", "Mreyen", "Heinen", "Lentz", "Cremer",
           "Margraff", "Thissen", "Brüll", "Kohnen", "Jost", "Backes"),
    "en": ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
           "Evans", "Walker", "Wright", "Robinson"),
}
# fmt: on
_LANGUAGES = ("fr", "nl", "de", "en")  # 88 %, 6 %, 3 %, 3 % of the patients
_MOBILE_PREFIXES = ("470", "471", "472", "473", "474", "475", "476", "477", "478", "479",
                    "483", "484", "485", "486", "487", "488", "489", "491", "492", "493",
                    "494", "495", "496", "497", "498", "499")  # fmt: skip
#: Landline area codes of the demo sites (province of Luxembourg), by site code.
_AREA_CODES = {"ARL": "63", "VIR": "63", "CSL": "63", "HAB": "63", "MAR": "84", "CHY": "84"}
_DEFAULT_AREA = "61"  # Libramont, Bastogne, Neufchâteau, Bertrix, Bouillon
_MAIL_DOMAINS = ("example.org", "example.net", "example.com")


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


#: (first names, last names), each as (name, its ASCII form for e-mails), by language.
_NAMES = {
    lang: (
        tuple((n, _ascii(n)) for n in _FIRST[lang]),
        tuple((n, _ascii(n)) for n in _LAST[lang]),
    )
    for lang in _LANGUAGES
}

#: A patient: (id, name, phone, email, language). Tuples: a region makes 200,000 of them.
_Person = tuple[str, str, str, str, str]


def _area_code(site: str) -> str:
    return _AREA_CODES.get(site.rsplit("-", 1)[-1], _DEFAULT_AREA)


class _People:
    """Patients, made on demand, each new one from the same random stream."""

    def __init__(self, rng: random.Random):
        self.random = rng.random
        self.count = 0

    def new(self, area: str) -> _Person:
        """A new patient living near a site of landline area code `area`."""
        r = self.random
        self.count += 1
        roll = r() * 100
        lang = "fr" if roll < 88 else "nl" if roll < 94 else "de" if roll < 97 else "en"
        firsts, lasts = _NAMES[lang]
        first, first_ascii = firsts[int(r() * len(firsts))]
        last, last_ascii = lasts[int(r() * len(lasts))]
        roll = r()
        if roll < 0.72:
            prefix = _MOBILE_PREFIXES[int(r() * len(_MOBILE_PREFIXES))]
            phone = f"+32{prefix}{int(r() * 1_000_000):06d}"
            mail_share = 0.55
        elif roll < 0.9:
            phone = f"+32{area}{200_000 + int(r() * 800_000):06d}"
            mail_share = 0.3
        else:
            phone, mail_share = "", 0.3
        email = ""
        if r() < mail_share:
            n = r()
            suffix = str(int(n * 250)) if n < 0.4 else ""
            domain = _MAIL_DOMAINS[int(r() * len(_MAIL_DOMAINS))]
            email = f"{first_ascii}.{last_ascii}{suffix}@{domain}"
        return (f"P-{self.count:06d}", f"{first} {last}", phone, email, lang)


# ---------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------


def working_days(gm: GroupMap, first_day: date, days: int) -> list[date]:
    """The working days among `days` calendar days from `first_day`: Monday to Friday,
    less the public holidays of the group's country (weekends only if it has no known
    calendar)."""
    last = first_day + timedelta(days=max(0, days) - 1)
    if days <= 0:
        return []
    try:
        from .work_calendar import WorkCalendar

        return list(WorkCalendar(gm.group.country).days(first_day, last))
    except (ImportError, ValueError):
        out, day = [], first_day
        while day <= last:
            if day.weekday() < 5:
                out.append(day)
            day += timedelta(days=1)
        return out


def _zone(gm: GroupMap) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(gm.group.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def _midnight_utc(day: date, tz: tzinfo) -> datetime:
    """Midnight of `day` in `tz`, in UTC, with the offset of noon: the clocks change at
    night, and no appointment starts before 7:00."""
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
    offset = noon.utcoffset() or timedelta(0)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - offset


# ---------------------------------------------------------------------------
# Surgeons
# ---------------------------------------------------------------------------


def _theatres(service: Service) -> int:
    return max(1, round((service.capacity_minutes_per_day or 0) / SURGEON_THEATRE_DAY))


def surgeons(gm: GroupMap, seed: int = 1) -> dict[str, dict]:
    """The surgeons of every ``surgery`` service with a capacity, by name:
    ``{"service": id, "site": id, "specialty": str, "weekdays": (0, 3),
    "theatre_minutes": int}``. Weekdays are `date.weekday()` values (0 = Monday); on each
    of them the surgeon has one theatre for `theatre_minutes`. Each weekday of a service
    has as many surgeons as the service has theatres (its capacity / a theatre day), each
    surgeon operates on two weekdays (one, for the odd one out). Deterministic in (gm,
    seed); names are unique across the map."""
    rng = random.Random(f"crisiscell-surgeons:{seed}")
    out: dict[str, dict] = {}
    for service in gm.services:
        if service.kind != "surgery" or not service.capacity_minutes_per_day:
            continue
        rooms = _theatres(service)
        minutes = round(service.capacity_minutes_per_day / rooms)
        count = math.ceil(5 * rooms / 2)
        weekdays: list[list[int]] = [[] for _ in range(count)]
        for slot in range(5 * rooms):  # weekday-major: surgeon j gets slots j and j + count
            weekdays[slot % count].append(slot // rooms)
        for days in weekdays:
            specialty = rng.choices(_SPECIALTIES, weights=_SPECIALTY_WEIGHTS)[0][0]
            name = _surgeon_name(rng, out)
            out[name] = {
                "service": service.id,
                "site": service.site,
                "specialty": specialty,
                "weekdays": tuple(sorted(set(days))),
                "theatre_minutes": minutes,
            }
    return out


def _surgeon_name(rng: random.Random, taken: dict[str, dict]) -> str:
    for attempt in range(50):
        lang = "fr" if rng.random() < 0.85 else rng.choice(("nl", "de"))
        name = f"Dr {rng.choice(_FIRST[lang])} {rng.choice(_LAST[lang])}"
        if attempt > 10:  # a region has thousands: a middle initial tells them apart
            name = f"Dr {rng.choice(_FIRST[lang])} {chr(65 + rng.randrange(26))}. " + rng.choice(
                _LAST[lang]
            )
        if name not in taken:
            return name
    return f"Dr {len(taken) + 1:05d}"


def surgeon_days(gm: GroupMap, first_day: date, days: int, seed: int = 1) -> dict[str, list[date]]:
    """Each surgeon's operating days among the working days of the horizon."""
    open_days = working_days(gm, first_day, days)
    return {
        name: [d for d in open_days if d.weekday() in s["weekdays"]]
        for name, s in surgeons(gm, seed).items()
    }


# ---------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------


class _Row:
    """An appointment being made (mutable: chains set the patient and depends_on later)."""

    __slots__ = (
        "id",
        "person",
        "service",
        "kind",
        "start",
        "duration",
        "urgency",
        "max_delay",
        "surgeon",
        "depends_on",
    )

    def __init__(self, id, person, service, kind, start, duration, urgency, max_delay, surgeon):
        self.id = id
        self.person = person
        self.service = service
        self.kind = kind
        self.start = start
        self.duration = duration
        self.urgency = urgency
        self.max_delay = max_delay
        self.surgeon = surgeon
        self.depends_on = ""


def _cumulative(weights: Iterable[int]) -> list[int]:
    out, total = [], 0
    for w in weights:
        total += w
        out.append(total)
    return out


def generate(gm: GroupMap, first_day: date, days: int, seed: int = 1) -> list[Appointment]:
    """The appointments of the map's services over `days` calendar days from `first_day`
    (see the module docstring). Ids (``A-000001``…) follow the list's order: by day, then
    service (imaging, then lab and day hospital, consultations, surgery; map order within
    each), then time. Patients are ``P-000001``…, one per appointment but for chains."""
    rng = random.Random(f"crisiscell-appointments:{seed}")
    tz = _zone(gm)
    people = _People(rng)
    open_days = working_days(gm, first_day, days)
    team = surgeons(gm, seed)
    by_service: dict[str, list[tuple[str, dict]]] = {}
    for name, s in team.items():
        by_service.setdefault(s["service"], []).append((name, s))

    scheduled = [s for s in gm.services if s.kind in LANES and s.capacity_minutes_per_day]
    consult_by_site: dict[str, dict[str, Service]] = {}
    for s in scheduled:
        if s.kind == "consultation":
            code = s.id.rsplit("-", 1)[-1] if "-CS-" in s.id else ""
            consult_by_site.setdefault(s.site, {})[code] = s
    # Chains look back: consultations per service and imaging per site, by working day.
    consults: dict[str, list[list[_Row]]] = {}
    imaging: dict[str, list[list[_Row]]] = {}

    rows: list[_Row] = []
    urgency_cum = {kind: _cumulative(lane.urgency) for kind, lane in LANES.items()}
    duration_cum = {kind: _cumulative(lane.weights) for kind, lane in LANES.items()}
    spec_cum = {spec[0]: _cumulative(spec[3]) for spec in _SPECIALTIES}
    minutes_cache = [timedelta(minutes=m) for m in range(24 * 60 + 1)]
    counter = 0

    def pick(pools: list[list[_Row]], k: int, window: tuple[int, int]) -> _Row | None:
        low, high = max(0, k - window[1]), min(k - window[0], len(pools) - 1)
        if high < low:
            return None
        for _ in range(3):
            pool = pools[rng.randint(low, high)]
            if pool:
                i = rng.randrange(len(pool))
                pool[i], pool[-1] = pool[-1], pool[i]
                return pool.pop()  # each appointment heads one chain at most
        return None

    # Order within a day: imaging first, consultations (which may follow imaging), then
    # surgeries (which may follow a consultation); chains only look at earlier days.
    order = {"radiology": 0, "nuclear_medicine": 0, "lab": 1, "day_hospital": 1}
    order |= {"oncology_day": 1, "consultation": 2, "surgery": 3}
    scheduled.sort(key=lambda s: order[s.kind])
    for k, day in enumerate(open_days):
        base = _midnight_utc(day, tz)
        for service in scheduled:
            lane = LANES[service.kind]
            area = _area_code(service.site)
            capacity = service.capacity_minutes_per_day or 0
            made: list[_Row] = []
            if service.kind == "surgery":
                slots: list[tuple[int, int, str]] = []
                for name, s in by_service.get(service.id, ()):
                    if day.weekday() in s["weekdays"]:
                        spec = _BY_SPECIALTY[s["specialty"]]
                        slots += _fill(
                            rng, [s["theatre_minutes"]], spec[2], spec_cum[spec[0]], lane, name
                        )
            else:
                count = max(1, round(capacity / lane.length))
                caps = [capacity / count] * count
                slots = _fill(rng, caps, lane.durations, duration_cum[service.kind], lane, "")
            slots.sort()
            u1, u2, u3, u_all = urgency_cum[service.kind]
            random_ = rng.random
            for clock, duration, surgeon in slots:
                roll = random_() * u_all
                urgency = 1 if roll < u1 else 2 if roll < u2 else 3 if roll < u3 else 4
                counter += 1
                made.append(
                    _Row(
                        f"A-{counter:06d}",
                        None,
                        service.id,
                        lane.kind,
                        base + minutes_cache[clock],
                        duration,
                        urgency,
                        _ONCOLOGY_DELAY[urgency] if service.kind == "oncology_day" else None,
                        surgeon,
                    )
                )
            for row in made:
                if service.kind == "consultation" and rng.random() < _FOLLOW_UP_SHARE:
                    first = pick(imaging.get(service.site, []), k, _FOLLOW_UP_WINDOW)
                    if first is not None:
                        row.person = first.person
                        row.depends_on = first.id
                elif service.kind == "surgery" and rng.random() < _PREOP_SHARE:
                    sites = consult_by_site.get(service.site, {})
                    spec = _BY_SPECIALTY.get(_specialty_of(team, row.surgeon))
                    clinic = sites.get(spec[4]) if spec else None
                    clinic = clinic or (sites[min(sites)] if sites else None)
                    if clinic is not None:
                        first = pick(consults.get(clinic.id, []), k, _PREOP_WINDOW)
                        if first is not None:
                            first.urgency = min(first.urgency, row.urgency)
                            row.person = first.person
                            row.depends_on = first.id
                if row.person is None:
                    row.person = people.new(area)
            if service.kind == "consultation":
                consults.setdefault(service.id, []).append(made[:])
            elif lane.kind == "imaging":
                pools = imaging.setdefault(service.site, [])
                if len(pools) == k:
                    pools.append([])
                pools[k].extend(made)
            rows.extend(made)
        for pools in imaging.values():  # a site with no imaging today keeps its days aligned
            while len(pools) <= k:
                pools.append([])

    return [
        Appointment(
            id=r.id,
            patient_id=r.person[0],
            service=r.service,
            kind=r.kind,
            start=r.start,
            duration_min=r.duration,
            urgency=r.urgency,
            max_delay_days=r.max_delay,
            surgeon=r.surgeon,
            depends_on=r.depends_on,
            patient_name=r.person[1],
            phone=r.person[2],
            email=r.person[3],
            language=r.person[4],
        )
        for r in rows
    ]


def _fill(
    rng: random.Random,
    caps: list[float],
    durations: tuple[int, ...],
    cum: list[int],
    lane: _Lane,
    surgeon: str,
) -> list[tuple[int, int, str]]:
    """Slots (start minute of the day, duration, surgeon) filling parallel lanes of `caps`
    minutes to 86-95 % in all: each drawn duration goes to the lane with the most room; a
    few draws that do not fit end the day (long day-hospital stays leave gaps, as in life)."""
    target = sum(caps) * rng.uniform(0.86, 0.95)
    used = [0.0] * len(caps)
    clocks = [lane.opens] * len(caps)
    total = 0.0
    misses = 0
    slots: list[tuple[int, int, str]] = []
    while misses < 6:
        roll = rng.random() * cum[-1]
        duration = durations[-1]
        for d, c in zip(durations, cum, strict=True):
            if roll < c:
                duration = d
                break
        i = 0
        if len(caps) > 1:  # the lane with the most room (lanes are few)
            room = caps[0] - used[0]
            for j in range(1, len(caps)):
                if caps[j] - used[j] > room:
                    i, room = j, caps[j] - used[j]
        if total + duration > target or used[i] + duration > caps[i]:
            misses += 1
            continue
        clock = clocks[i]
        if lane.lunch and clock < _LUNCH[0] < clock + duration:
            clock = _LUNCH[1]
        if clock + duration > _LAST_END:
            misses += 1
            continue
        slots.append((clock, duration, surgeon))
        clocks[i] = clock + duration
        used[i] += duration
        total += duration
    return slots


def _specialty_of(team: dict[str, dict], surgeon: str) -> str:
    s = team.get(surgeon)
    return s["specialty"] if s else ""
