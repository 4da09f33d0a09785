"""The downtime kit as a PDF (Typst template ``documents/typst/kit.typ``).

`document` turns a `KitContent` into the template's data: every word translated in the
kit's language, every date and time written out in the group's time zone, the reflex
card's Markdown made into plain blocks (`markdown_typst`), so the template only lays
out strings. `render` makes the PDF. Encrypting a kit that names patients
(`KitContent.holds_patient_data`) is the caller's business.

The data::

    {"lang", "labels": {...}, "site", "unit", "unit_id", "generated", "as_of_day",
     "as_of_time", "holds_patient_data", "counts": [{"label", "value"}],
     "sections": [{"key", "title"}], "how": [str], "notes": {section key: [str]},
     "patients": [{"room", "bed", "name", "patient_id", "birth", "age", "sex",
                   "admitted", "allergies": [str], "alerts": [str]}],
     "schedule": [{"day", "count", "items": [{"time", "end", "duration", "patient",
                   "patient_id", "kind", "urgency", "surgeon", "phone"}]}],
     "schedule_columns": [key], "schedule_empty": str,
     "directory": [{"name", "number", "role", "site"}], "crisis": [same],
     "card": [block], "forms": [{"kind", "title", ...}]}
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from crisiscell.documents import render_pdf
from crisiscell.engine.kit_content import FORMS, Inpatient, KitContent, Phone, ScheduleItem
from crisiscell.engine.markdown_typst import blocks
from crisiscell.engine.reflex_cards import default_card

#: The kit's sections, in print order; notes of `KitContent.notes` under one of these keys
#: are printed at the head of that section, any other note on the cover.
SECTIONS = ("patients", "schedule", "directory", "crisis", "card", "forms")


def _natural(s: str) -> tuple:
    """``"12b"`` after ``"2"``: numbers compared as numbers."""
    return tuple(
        (0, int(p), "") if p.isdecimal() else (1, 0, p.casefold())
        for p in re.split(r"(\d+)", s.strip())
        if p
    )


def _place_key(p: Inpatient) -> tuple:
    return (not p.room, _natural(p.room), not p.bed, _natural(p.bed), p.name.casefold())


def _age(born: date, on: date) -> str:
    """``84 years``; a baby's age in months, a newborn's in days."""
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if years >= 2:
        return ngettext("%(n)d year", "%(n)d years", years) % {"n": years}
    months = (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
    if months >= 1:
        return ngettext("%(n)d month", "%(n)d months", months) % {"n": months}
    days = max((on - born).days, 0)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def _day(d: date) -> str:
    """``mardi 21 octobre 2025``: the weekday matters when the screens are dark."""
    return date_format(d, "l j F Y")


def _patient(p: Inpatient, today: date, tz: tzinfo) -> dict:
    sex = {"F": pgettext("sex", "F"), "M": pgettext("sex", "M")}.get(p.sex.strip().upper(), "")
    admitted = p.admitted.astimezone(tz).strftime("%d/%m/%Y %H:%M") if p.admitted else ""
    return {
        "room": p.room.strip(),
        "bed": p.bed.strip(),
        "name": p.name.strip() or "—",
        "patient_id": p.patient_id,
        "birth": p.birth_date.strftime("%d/%m/%Y") if p.birth_date else "—",
        "age": _age(p.birth_date, today) if p.birth_date else "",
        "sex": sex,
        "admitted": _("admitted %(when)s") % {"when": admitted} if admitted else "",
        "allergies": [a.strip() for a in p.allergies if a.strip()],
        "alerts": [a.strip() for a in p.alerts if a.strip()],
    }


def _kinds() -> dict[str, str]:
    return {
        "consultation": pgettext("appointment kind", "Consultation"),
        "imaging": pgettext("appointment kind", "Imaging"),
        "lab": pgettext("appointment kind", "Laboratory"),
        "day_hospital": pgettext("appointment kind", "Day hospital"),
        "surgery": pgettext("appointment kind", "Surgery"),
        "other": pgettext("appointment kind", "Other"),
    }


def _item(s: ScheduleItem, tz: tzinfo, kinds: dict[str, str]) -> dict:
    start = s.start.astimezone(tz)
    return {
        "time": start.strftime("%H:%M"),
        "end": (start + timedelta(minutes=s.duration_min)).strftime("%H:%M"),
        "duration": _("%(n)d min") % {"n": s.duration_min},
        "patient": s.patient_name.strip() or "—",
        "patient_id": s.patient_id,
        "kind": kinds.get(s.kind, s.kind),
        "urgency": str(s.urgency),
        "surgeon": s.surgeon,
        "phone": s.phone,
    }


def _schedule(kit: KitContent, tz: tzinfo) -> list[dict]:
    """The schedule by day: every day of the kit, and any other day an item falls on."""
    kinds = _kinds()
    by_day: dict[date, list[ScheduleItem]] = {d: [] for d in kit.days}
    for s in kit.schedule:
        by_day.setdefault(s.start.astimezone(tz).date(), []).append(s)
    days = []
    for d in sorted(by_day):
        items = sorted(by_day[d], key=lambda s: (s.start, s.patient_name, s.patient_id))
        days.append(
            {
                "day": _day(d),
                "count": ngettext("%(n)d appointment", "%(n)d appointments", len(items))
                % {"n": len(items)},
                "items": [_item(s, tz, kinds) for s in items],
            }
        )
    return days


def _phone(p: Phone) -> dict:
    return {"name": p.name, "number": p.number, "role": p.role, "site": p.site}


def _identity() -> dict:
    """The labels of the patient identity block every form starts with."""
    return {
        "title": _("Patient"),
        "sticker": _("Stick the wristband or identity label here"),
        "name": _("Name"),
        "first_name": _("First name"),
        "birth": _("Birth date"),
        "sex": _("Sex"),
        "female": pgettext("sex", "F"),
        "male": pgettext("sex", "M"),
        "number": _("Patient no."),
    }


def _forms(kit: KitContent) -> list[dict]:
    """The blank forms the kit carries, each with its own words."""
    common = {
        "unit": _("Unit:"),
        "date": _("Date"),
        "time": _("Time"),
        "signature": _("Name and signature"),
        "prescriber": _("Prescriber"),
        "phone": _("Phone / pager"),
        "urgent": _("Urgent"),
        "routine": _("Routine"),
        "other": _("Other:"),
        "allergies": _("Allergies"),
        "no_allergy": _("None known"),
        "yes": _("Yes:"),
        "entered": _("Back on the network: entered in the record on"),
        "entered_by": _("by"),
        "downtime": _("Downtime form"),
    }
    vitals = [
        _("BP"),
        _("Pulse"),
        _("Temp."),
        _("SpO₂"),
        _("Resp. rate"),
        _("Pain /10"),
        _("Glucose"),
        _("Consciousness"),
    ]
    made = {
        "admission": {
            "title": _("Admission"),
            "arrived": _("Arrived on"),
            "from": _("From:"),
            "origins": [
                pgettext("admitted from", "Home"),
                _("Emergency dept."),
                _("Other unit"),
                _("Other hospital"),
            ],
            "reason": _("Reason for admission"),
            "doctor": _("Doctor in charge"),
            "medicines": _("Medicines taken at home (brought: yes / no)"),
            "vitals_title": _("Observations on arrival"),
            "vitals": [*vitals[:6], _("Weight"), _("Height")],
            "isolation": _("Isolation:"),
            "isolations": [
                pgettext("isolation", "None"),
                _("Contact"),
                _("Droplet"),
                _("Airborne"),
            ],
            "contact": _("Person to contact and phone"),
            "belongings": _("Belongings and valuables"),
            "aids": [_("Glasses"), _("Dentures"), _("Hearing aids")],
            "checks": [_("Identity checked on an ID document"), _("Wristband put on")],
            "nurse": _("Admitting nurse"),
        },
        "medication": {
            "title": _("Medication administration record"),
            "sheet": _("Sheet no."),
            "weight": _("Weight"),
            "medicine": _("Medicine, dose, route, frequency"),
            "start": _("Start date, prescriber's initials"),
            "stop": _("Stopped (date, initials)"),
            "day": _("Date:"),
            "hour": pgettext("hour column", "time"),
            "days": 3,
            "slots": 6,
            "rows": 9,
            "legend": _(
                "In each box: the time given and your initials. Not given: circle the box and "
                "write why: R refused, A absent, F nil by mouth, S stopped, O other (see notes)."
            ),
            "check": _("Before every dose: identity on the wristband, allergies, dose, route."),
        },
        "lab_request": {
            "title": _("Laboratory request"),
            "sampled": _("Sampled on"),
            "sampler": _("Sampled by"),
            "fasting": _("Fasting"),
            "groups": [
                {
                    "title": _("Haematology"),
                    "items": [_("Full blood count"), _("Reticulocytes"), _("ESR")],
                },
                {
                    "title": _("Coagulation"),
                    "items": [_("PT / INR"), _("aPTT"), _("Fibrinogen"), _("D-dimers")],
                },
                {
                    "title": _("Chemistry"),
                    "items": [
                        _("Na, K, Cl"),
                        _("Urea, creatinine"),
                        _("Glucose"),
                        _("CRP"),
                        _("Liver tests"),
                        _("Lipase"),
                        _("Troponin"),
                        _("NT-proBNP"),
                        _("Ca, Mg, P"),
                        _("CK"),
                        _("Lactate"),
                    ],
                },
                {
                    "title": _("Blood gases"),
                    "items": [_("Arterial"), _("Venous")],
                },
                {
                    "title": _("Blood bank"),
                    "items": [_("Blood group"), _("Antibody screen"), _("Cross-match: … units")],
                },
                {
                    "title": _("Microbiology"),
                    "items": [_("Blood cultures: … sets"), _("Urinalysis"), _("Urine culture")],
                },
            ],
            "clinical": _("Clinical information, treatment (anticoagulant, antibiotics…)"),
            "call": _("Phone the result to"),
            "label_check": _(
                "Every tube labelled by hand at the bedside: name, first name, birth date, "
                "date, time, initials"
            ),
        },
        "imaging_request": {
            "title": _("Imaging request"),
            "groups": [
                {
                    "title": _("X-ray"),
                    "items": [_("Chest"), _("Abdomen"), _("Bones, joints: …")],
                },
                {
                    "title": _("CT"),
                    "items": [
                        _("Head"),
                        _("Chest"),
                        _("Abdomen and pelvis"),
                        _("Angiography: …"),
                    ],
                },
                {
                    "title": _("Ultrasound"),
                    "items": [_("Abdomen"), _("Doppler: …"), _("Other: …")],
                },
                {"title": _("MRI"), "items": [_("Region: …")]},
            ],
            "contrast": _("Contrast:"),
            "contrast_options": [_("Without"), _("With")],
            "where": _("Where:"),
            "where_options": [_("In the department"), _("At the bedside")],
            "transport": _("Patient:"),
            "transport_options": [
                _("Walks"),
                _("Wheelchair"),
                _("Bed"),
                _("Oxygen"),
                _("Isolation"),
            ],
            "clinical": _("Clinical information and the question asked"),
            "safety": _("Safety"),
            "safety_items": [
                _("Possible pregnancy"),
                _("Kidney failure, creatinine: …"),
                _("Contrast allergy"),
                _("Diabetic on metformin"),
                _("Pacemaker, metal implant (MRI)"),
            ],
            "call": _("Phone the report to"),
        },
        "transfer": {
            "title": _("Transfer sheet"),
            "to": _("To (unit, hospital)"),
            "mode": _("Transport:"),
            "modes": [_("Bed"), _("Wheelchair"), _("Walking"), _("Ambulance")],
            "escort": _("Escort:"),
            "escorts": [_("Nurse"), _("Doctor"), pgettext("escort", "None")],
            "limits": _("Resuscitation status, limits of care"),
            "isolation": _("Isolation"),
            "situation": _("S — Situation, reason for transfer"),
            "background": _("B — Background (history, treatments)"),
            "assessment": _("A — Assessment: last observations at"),
            "vitals": vitals,
            "recommendation": _("R — Recommendations, what to watch"),
            "devices": _("Devices:"),
            "device_items": [
                _("Peripheral line"),
                _("Central line"),
                _("Urinary catheter"),
                _("Drain"),
                _("Oxygen … L/min"),
                _("Pump, syringe driver"),
            ],
            "last_doses": _("Last medicines given (which, when)"),
            "sent": _("Sent with the patient:"),
            "sent_items": [
                _("Medication record"),
                _("Observation chart"),
                _("Lab results"),
                _("Imaging"),
                _("Letter"),
                _("Own medicines"),
                _("Belongings"),
            ],
            "handed": _("Handed over by"),
            "received": _("Received by"),
        },
    }
    return [{"kind": k, **common, **made[k]} for k in kit.forms if k in FORMS]


def document(kit: KitContent, lang: str = "fr", tz: tzinfo | None = None) -> dict:
    """The data of the kit's PDF: every word in ``lang``, every time in ``tz`` (the group's
    time zone if not given)."""
    if tz is None:
        from crisiscell.inventory.group_time import group_timezone

        tz = group_timezone()
    at: datetime = kit.generated_at.astimezone(tz)
    with translation.override(lang):
        patients = sorted(kit.patients, key=_place_key)
        schedule = _schedule(kit, tz)
        n_scheduled = sum(len(d["items"]) for d in schedule)
        columns = ["time", "patient", "kind", "urgency"]
        if any(s.surgeon for s in kit.schedule):
            columns.append("surgeon")
        columns.append("phone")
        if kit.days:
            first, last = _day(min(kit.days)), _day(max(kit.days))
            empty = _("Nothing scheduled from %(first)s to %(last)s.") % {
                "first": first,
                "last": last,
            }
        else:
            empty = _("Nothing scheduled.")
        card = kit.reflex_card if kit.reflex_card.strip() else default_card(kit.unit_kind, lang)
        notes: dict[str, list[str]] = {}
        for key, text in kit.notes.items():
            if text.strip():
                notes.setdefault(key if key in SECTIONS else "cover", []).append(text.strip())
        tz_name = getattr(tz, "key", str(tz))
        labels = {
            "title": _("Downtime kit"),
            "page": _("Page"),
            "confidential": (
                _("Confidential: patient data. Keep in the unit, shred when no longer needed.")
                if kit.holds_patient_data
                else _("Internal use: keep in the unit.")
            ),
            "as_of": _("Situation as of"),
            "contents": _("In this kit"),
            "page_short": _("p."),
            "how_title": _("How to use this kit"),
            "census": {
                "headers": [
                    _("Room / bed"),
                    _("Patient"),
                    _("Born (age)"),
                    _("Allergies"),
                    _("Alerts"),
                ],
                "bed": _("bed"),
                "no_allergy": _("No known allergy"),
                "empty": _("No patient present in the unit when this kit was generated."),
                "count": _("Patients present:"),
                "check": _(
                    "Check every patient against this list and their wristband; write any "
                    "admission, discharge or transfer since the time above by hand."
                ),
            },
            "schedule": {
                "headers": {
                    "time": _("Time"),
                    "patient": _("Patient"),
                    "kind": _("Kind"),
                    "urgency": pgettext("urgency, short", "Urg."),
                    "surgeon": _("Surgeon"),
                    "phone": _("Patient's phone"),
                },
                "nothing": _("Nothing scheduled this day."),
                "legend": _(
                    "Urgency: 1 must not be postponed, 2 within two weeks, 3 within four "
                    "weeks, 4 routine follow-up."
                ),
            },
            "directory": {
                "empty": _("No direct number recorded."),
                "note": _("Direct numbers: the switchboard may be down."),
            },
            "crisis": {
                "empty": _("No crisis cell number recorded."),
                "note": _(
                    "Call the crisis cell for anything you cannot solve in the unit: beds, "
                    "transfers, supplies, staff, a patient at risk."
                ),
            },
            "identity": _identity(),
        }
        sections = [
            {"key": "patients", "title": _("Patients present")},
            {"key": "schedule", "title": _("Schedule")},
            {"key": "directory", "title": _("Direct phone numbers")},
            {"key": "crisis", "title": _("Crisis cell")},
            {"key": "card", "title": _("Reflex card")},
        ]
        forms = _forms(kit)
        if forms:
            sections.append({"key": "forms", "title": _("Blank forms")})
        return {
            "lang": lang,
            "labels": labels,
            "site": kit.site_name,
            "unit": kit.unit_name,
            "unit_id": kit.unit_id,
            "generated": _("Generated %(when)s (%(tz)s)")
            % {"when": at.strftime("%d/%m/%Y %H:%M"), "tz": tz_name},
            "as_of_day": _day(at.date()),
            "as_of_time": at.strftime("%H:%M"),
            "holds_patient_data": kit.holds_patient_data,
            "counts": [
                {"label": _("Patients present"), "value": str(len(patients))},
                {
                    "label": _("of whom with an allergy"),
                    "value": str(sum(1 for p in patients if any(a.strip() for a in p.allergies))),
                },
                {
                    "label": ngettext(
                        "Appointments over %(n)d day", "Appointments over %(n)d days", len(schedule)
                    )
                    % {"n": len(schedule)},
                    "value": str(n_scheduled),
                },
                {"label": _("Direct numbers"), "value": str(len(kit.directory))},
                {"label": _("Blank forms"), "value": str(len(forms))},
            ],
            "sections": sections,
            "how": [
                _(
                    "This kit shows the unit as it was at the time above. Anything that "
                    "happened since is not in it: write it by hand."
                ),
                _(
                    "Before any care, medicine or sample: check the name and birth date on "
                    "the patient's wristband."
                ),
                _(
                    "Photocopy a blank form before filling it in: keep one blank copy of "
                    "each in the kit."
                ),
                _(
                    "The switchboard may be down: use the direct numbers. The crisis cell "
                    "answers day and night."
                ),
                _(
                    "When the network is back, give every filled-in sheet to the charge nurse "
                    "for entry in the record. Throw nothing away."
                ),
            ],
            "notes": notes,
            "patients": [_patient(p, at.date(), tz) for p in patients],
            "schedule": schedule,
            "schedule_columns": columns,
            "schedule_empty": empty if n_scheduled == 0 else "",
            "directory": [_phone(p) for p in kit.directory],
            "crisis": [_phone(p) for p in kit.crisis_contacts],
            "card": blocks(card),
            "forms": forms,
        }


def render(kit: KitContent, lang: str = "fr", tz: tzinfo | None = None) -> bytes:
    """The kit as a PDF (not encrypted), without structure tags: it is made to be printed."""
    return render_pdf("kit", document(kit, lang, tz), tagged=False)
