"""What a patient is told about a moved appointment, in their language.

French by default; Dutch, German and English too (`LANGUAGES`). The texts are written
here rather than in the translation catalogue: they follow the patient's language, not
the reader's, and the interface itself speaks only French and English.

Every message gives the new date and time (in the group's time zone, worded the way
the language writes dates), the place (the care service and its site) and a direct
number: the service's own line in the directory, else a number of its site, else the
group's switchboard (``CRISISCELL_SWITCHBOARD_PHONE``). An SMS stays within
`SMS_MAX_CHARS`; an e-mail carries the appointment as an iCalendar file (`ical`).

No Django request here: `letter(row)` gathers what a message needs, `sms`, `email` and
`ical` only format it, so the texts are tested on their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import icalendar
from django.conf import settings
from django.utils import timezone

LANGUAGES = ("fr", "nl", "de", "en")
DEFAULT_LANGUAGE = "fr"
#: Two concatenated SMS at most (a text with accents is sent in shorter parts by the
#: gateway; the limit is on characters, what the patient reads).
SMS_MAX_CHARS = 320

_DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
    "de": (
        "Januar", "Februar", "März", "April", "Mai", "Juni",
        "Juli", "August", "September", "Oktober", "November", "Dezember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def language_of(code: str | None) -> str:
    """The language a patient is written to: theirs if we have its texts, else French."""
    code = (code or "").strip().lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def long_date(at: datetime, language: str, tz: tzinfo) -> str:
    """``mardi 21 octobre 2025 à 10h00``, ``dinsdag 21 oktober 2025 om 10.00 uur``,
    ``Dienstag, 21. Oktober 2025, um 10:00 Uhr``, ``Tuesday 21 October 2025 at 10:00``."""
    t = at.astimezone(tz)
    day, month = _DAYS[language][t.weekday()], _MONTHS[language][t.month - 1]
    if language == "fr":
        n = "1er" if t.day == 1 else str(t.day)
        return f"{day} {n} {month} {t.year} à {t:%H}h{t:%M}"
    if language == "nl":
        return f"{day} {t.day} {month} {t.year} om {t:%H}.{t:%M} uur"
    if language == "de":
        return f"{day}, {t.day}. {month} {t.year}, um {t:%H}:{t:%M} Uhr"
    return f"{day} {t.day} {month} {t.year} at {t:%H}:{t:%M}"


def short_date(at: datetime, language: str, tz: tzinfo) -> str:
    """``14/10 à 09h30``, ``14/10 om 09.30 uur``, ``14.10. um 09:30 Uhr``, ``14/10 at 09:30``."""
    t = at.astimezone(tz)
    if language == "fr":
        return f"{t:%d/%m} à {t:%H}h{t:%M}"
    if language == "nl":
        return f"{t:%d/%m} om {t:%H}.{t:%M} uur"
    if language == "de":
        return f"{t:%d.%m.} um {t:%H}:{t:%M} Uhr"
    return f"{t:%d/%m} at {t:%H}:{t:%M}"


# ---------------------------------------------------------------------------
# What a message needs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where the appointment now takes place, and the number the patient calls."""

    service: str  # the care service's name
    site: str  # its site's name
    phone: str  # "" when neither the directory nor the settings give one

    @property
    def label(self) -> str:
        return ", ".join(x for x in (self.service, self.site) if x)


@dataclass(frozen=True)
class Letter:
    """One moved appointment, ready to be worded."""

    language: str
    old_start: datetime
    new_start: datetime
    duration_min: int
    place: Place
    sender: str  # the group's name, who the message comes from ("" if the map has none)
    uid: str  # the calendar event's identifier: the same for every move of one appointment
    sequence: int  # grows with each plan, so a calendar replaces the earlier version
    tz: tzinfo

    @property
    def new(self) -> str:
        return long_date(self.new_start, self.language, self.tz)

    @property
    def old(self) -> str:
        return long_date(self.old_start, self.language, self.tz)

    @property
    def old_short(self) -> str:
        return short_date(self.old_start, self.language, self.tz)


def places(service_codes: Iterable[str]) -> dict[str, Place]:
    """The place and direct number of each care service code (a few queries in all)."""
    from crisiscell.directory.models import Contact
    from crisiscell.inventory.models import CareService

    codes = set(service_codes)
    found = CareService.objects.select_related("site").filter(code__in=codes)
    services = {s.code: s for s in found}
    by_service: dict[int, str] = {}
    by_site: dict[int, str] = {}
    site_ids = {s.site_id for s in services.values()}
    contacts = Contact.objects.filter(kind="internal", site_id__in=site_ids).order_by(
        "position", "name", "id"
    )
    for c in contacts.only("site_id", "service_id", "phone"):
        if c.service_id is not None:
            by_service.setdefault(c.service_id, c.phone)
        else:
            by_site.setdefault(c.site_id, c.phone)
    switchboard = getattr(settings, "SWITCHBOARD_PHONE", "")
    out = {}
    for code in codes:
        svc = services.get(code)
        if svc is None:  # a service no longer on the map: its code is all we have
            out[code] = Place(code, "", switchboard)
            continue
        phone = by_service.get(svc.pk) or by_site.get(svc.site_id) or switchboard
        out[code] = Place(svc.name, svc.site.name, phone)
    return out


def sender_name() -> str:
    from crisiscell.inventory.models import Group

    group = Group.objects.only("name", "code").first()
    return (group.name or group.code) if group else ""


def letter(row, *, place: Place | None = None, sender: str | None = None, tz=None) -> Letter:
    """The `Letter` of one moved plan row (with its appointment loaded)."""
    from crisiscell.inventory.group_time import group_timezone

    a = row.appointment
    if row.new_start is None:
        raise ValueError(f"plan row {row.pk} has no new date: only a moved appointment is told")
    return Letter(
        language=language_of(a.language),
        old_start=row.original_start,
        new_start=row.new_start,
        duration_min=a.duration_min or 30,
        place=place if place is not None else places([a.service])[a.service],
        sender=sender if sender is not None else sender_name(),
        uid=event_uid(a.code),
        sequence=row.plan_id or 0,
        tz=tz or group_timezone(),
    )


def event_uid(appointment_code: str) -> str:
    """A stable calendar identifier that does not show the hospital's own code."""
    digest = hashlib.sha256(f"crisiscell appointment {appointment_code}".encode()).hexdigest()
    return f"{digest[:32]}@crisiscell"


# ---------------------------------------------------------------------------
# SMS
# ---------------------------------------------------------------------------

_SMS = {
    "fr": "{sender}Votre rendez-vous du {old} est déplacé au {new}. Lieu : {place}. "
    "Questions : {phone}.",
    "nl": "{sender}Uw afspraak van {old} is verplaatst naar {new}. Plaats: {place}. "
    "Vragen: {phone}.",
    "de": "{sender}Ihr Termin vom {old} wurde verschoben auf {new}. Ort: {place}. Fragen: {phone}.",
    "en": "{sender}Your appointment of {old} has been moved to {new}. Place: {place}. "
    "Questions: {phone}.",
}
_SMS_NO_PHONE = {
    "fr": "{sender}Votre rendez-vous du {old} est déplacé au {new}. Lieu : {place}.",
    "nl": "{sender}Uw afspraak van {old} is verplaatst naar {new}. Plaats: {place}.",
    "de": "{sender}Ihr Termin vom {old} wurde verschoben auf {new}. Ort: {place}.",
    "en": "{sender}Your appointment of {old} has been moved to {new}. Place: {place}.",
}


def _cut(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    return text[: max(room - 1, 0)].rstrip(" ,") + "…"


def sms(m: Letter) -> str:
    """The SMS, at most `SMS_MAX_CHARS` characters: long names are shortened, never the
    date, the time or the number."""
    template = (_SMS if m.place.phone else _SMS_NO_PHONE)[m.language]
    values = {
        "old": m.old_short,
        "new": m.new,
        "phone": m.place.phone,
    }
    sender = f"{m.sender} – " if m.sender else ""
    fixed = len(template.format(sender="", place="", **values))
    room = SMS_MAX_CHARS - fixed
    place = m.place.label
    if len(sender) + len(place) > room:
        # the sender's name gives up first (down to 24 characters), then the place
        sender = _cut(m.sender, 22) + " – " if m.sender else ""
        place = _cut(place, room - len(sender))
    return template.format(sender=sender, place=place, **values)


# ---------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------

_SUBJECT = {
    "fr": "Votre rendez-vous est déplacé au {new}",
    "nl": "Uw afspraak is verplaatst naar {new}",
    "de": "Ihr Termin wurde verschoben auf {new}",
    "en": "Your appointment has been moved to {new}",
}
_BODY = {
    "fr": """Madame, Monsieur,

En raison d'un incident informatique, votre rendez-vous du {old} ne peut pas avoir lieu.

Il est déplacé au :
    {new}
    {place}
{call}
Le rendez-vous est joint à ce message (fichier .ics) :
ouvrez-le pour l'ajouter à votre agenda.

{sender}
Ce message est envoyé automatiquement : merci de ne pas y répondre.""",
    "nl": """Geachte mevrouw, geachte heer,

Door een computerstoring kan uw afspraak van {old} niet doorgaan.

Ze is verplaatst naar:
    {new}
    {place}
{call}
De afspraak zit als bijlage bij dit bericht (.ics-bestand):
open het om ze aan uw agenda toe te voegen.

{sender}
Dit bericht wordt automatisch verzonden: gelieve er niet op te antwoorden.""",
    "de": """Sehr geehrte Damen und Herren,

wegen einer IT-Störung kann Ihr Termin vom {old} nicht stattfinden.

Er wurde verschoben auf:
    {new}
    {place}
{call}
Der Termin ist dieser Nachricht als Datei (.ics) beigefügt:
Öffnen Sie sie, um ihn in Ihren Kalender zu übernehmen.

{sender}
Diese Nachricht wurde automatisch versandt: Bitte antworten Sie nicht darauf.""",
    "en": """Dear Madam, dear Sir,

Because of a computer incident, your appointment of {old} cannot take place.

It has been moved to:
    {new}
    {place}
{call}
The appointment is attached to this message (.ics file):
open it to add it to your calendar.

{sender}
This message is sent automatically: please do not reply to it.""",
}  # fmt: skip
_CALL = {
    "fr": "\nSi cette date ne vous convient pas, ou pour toute question, appelez directement "
    "le {phone}.\n",
    "nl": "\nPast deze datum u niet, of hebt u een vraag, bel dan rechtstreeks {phone}.\n",
    "de": "\nWenn Ihnen dieser Termin nicht passt oder Sie Fragen haben, rufen Sie direkt "
    "{phone} an.\n",
    "en": "\nIf this date does not suit you, or for any question, call {phone} directly.\n",
}


def email(m: Letter) -> tuple[str, str]:
    """(subject, plain-text body)."""
    subject = _SUBJECT[m.language].format(new=m.new)
    call = _CALL[m.language].format(phone=m.place.phone) if m.place.phone else ""
    body = _BODY[m.language].format(
        old=m.old, new=m.new, place=m.place.label, call=call, sender=m.sender
    )
    return subject, body.replace("\n\n\n", "\n\n").strip() + "\n"


# ---------------------------------------------------------------------------
# iCalendar
# ---------------------------------------------------------------------------

_SUMMARY = {
    "fr": "Rendez-vous : {service}",
    "nl": "Afspraak: {service}",
    "de": "Termin: {service}",
    "en": "Appointment: {service}",
}
_DESCRIPTION = {
    "fr": "Rendez-vous déplacé (il était prévu le {old}). Questions : {phone}",
    "nl": "Verplaatste afspraak (oorspronkelijk {old}). Vragen: {phone}",
    "de": "Verschobener Termin (ursprünglich {old}). Fragen: {phone}",
    "en": "Moved appointment (it was planned on {old}). Questions: {phone}",
}


def calendar(m: Letter, now: datetime | None = None) -> bytes:
    """An iCalendar object (RFC 5545) holding one VEVENT: the appointment at its new time,
    in UTC. The library escapes the texts and folds the long lines."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//crisiscell//care continuity//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    start = m.new_start.astimezone(UTC)
    event.add("uid", m.uid)
    event.add("sequence", m.sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(UTC).replace(microsecond=0))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=m.duration_min))
    event.add("summary", _SUMMARY[m.language].format(service=m.place.service or m.place.label))
    event.add("location", m.place.label)
    event.add(
        "description",
        _DESCRIPTION[m.language].format(old=m.old, phone=m.place.phone or "—"),
    )
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    cal.add_component(event)
    return cal.to_ical()


def ical(row, *, now: datetime | None = None) -> bytes:
    """The iCalendar file of one moved plan row."""
    return calendar(letter(row), now=now)
