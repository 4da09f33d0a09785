"""The downtime kit's PDF, read back with poppler's pdftotext: the patients, their
allergies, the numbers, the unit and the time on every page, "page x / y"; an empty kit
says so; a reflex card prints as written, whatever it holds."""

from __future__ import annotations

import re
import shutil
import string
import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisiscell.engine.kit_content import FORMS, Inpatient, KitContent, Phone, ScheduleItem
from crisiscell.engine.reflex_cards import KINDS_WITH_CARDS, card_kind, default_card
from crisiscell.kits import document as kit_document

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2025, 10, 21, 3, 12, tzinfo=BRUSSELS)
DAYS = tuple(NOW.date() + timedelta(days=k) for k in range(4))

pdftotext = shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(pdftotext is None, reason="poppler-utils is not installed")


def pdf_pages(pdf: bytes) -> list[str]:
    """The text of each page, whitespace (no-break spaces too) made single spaces."""
    out = subprocess.run(
        [pdftotext, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return [" ".join(page.split()) for page in out.stdout.decode().split("\f")[:-1]]


def patient(pid, name, room, bed, born, sex="F", allergies=(), alerts=()):
    return Inpatient(
        patient_id=pid,
        name=name,
        service="ARL-SI",
        birth_date=born,
        sex=sex,
        room=room,
        bed=bed,
        admitted=NOW - timedelta(days=3),
        allergies=allergies,
        alerts=alerts,
    )


PATIENTS = (
    patient("P102", "PEETERS Jan", "12", "B", date(1941, 5, 3), "M", ("Pénicilline",)),
    patient("P101", "DUBOIS Marie", "12", "A", date(1958, 11, 21), "F", (), ("Anticoagulé",)),
    patient("P103", "LAMBERT Jean-Pierre", "2", "", date(1990, 1, 2), "M", ("Iode", "Latex")),
    patient("P104", "MAES Thomas", "", "", date(2025, 9, 30), "M", (), ("Isolement contact",)),
)
SCHEDULE = tuple(
    ScheduleItem(
        start=datetime(d.year, d.month, d.day, 8 + k, 30, tzinfo=BRUSSELS),
        duration_min=45,
        patient_id=f"P2{i}{k}",
        patient_name=f"OPÉRÉ{i}{k} Paul",
        kind="surgery",
        urgency=1 + k,
        surgeon="Dr Renard",
        phone="0471 23 45 67",
    )
    for i, d in enumerate(DAYS)
    for k in range(2)
)
DIRECTORY = (
    Phone("Garde de réanimation", "063 55 41 20", "médecin intensiviste"),
    Phone("Dépôt de sang", "063 55 40 18", "24/7", "Arlon"),
    Phone("Garde de chirurgie", "+32 477 11 22 33", "GSM"),
)
CRISIS = (Phone("Salle de crise", "063 23 90 01", "24/7"),)


def kit(**changes) -> KitContent:
    fields = {
        "site_id": "ARL",
        "site_name": "Hôpital d'Arlon",
        "unit_id": "ARL-SI",
        "unit_name": "Soins intensifs",
        "unit_kind": "icu",
        "generated_at": NOW,
        "patients": PATIENTS,
        "schedule": SCHEDULE,
        "days": DAYS,
        "directory": DIRECTORY,
        "crisis_contacts": CRISIS,
        "reflex_card": default_card("icu", "en"),
    }
    return KitContent(**(fields | changes))


@needs_poppler
def test_the_kit_shows_the_patients_numbers_unit_and_time_on_every_page():
    pages = pdf_pages(kit_document.render(kit(), "en", BRUSSELS))
    n = len(pages)
    assert n == 6 + len(FORMS)  # cover, 5 sections, a page per form
    for k, page in enumerate(pages, start=1):
        assert "Soins intensifs" in page and "Hôpital d'Arlon" in page, k
        assert "21/10/2025 03:12" in page, k
        assert f"Page {k} / {n}" in page, k
    cover, census, schedule, directory, crisis, card = pages[:6]
    assert "03:12" in cover and "Tuesday 21 October 2025" in cover
    assert "063 23 90 01" in cover  # the crisis cell's numbers on the cover too
    for text in ("PEETERS Jan", "DUBOIS Marie", "LAMBERT", "MAES Thomas"):
        assert text in census
    for text in ("⚠ Pénicilline", "⚠ Iode", "⚠ Latex", "No known allergy", "Anticoagulé"):
        assert text in census, text
    for text in ("03/05/1941", "(84 years)", "30/09/2025", "(21 days)", "bed A"):
        assert text in census, text
    for day in ("Tuesday 21 October 2025", "Friday 24 October 2025"):
        assert day in schedule
    assert "OPÉRÉ00 Paul" in schedule and "OPÉRÉ31 Paul" in schedule
    assert "0471 23 45 67" in schedule and "Dr Renard" in schedule
    for number in ("063 55 41 20", "063 55 40 18", "+32 477 11 22 33"):
        assert number in directory
    assert "Salle de crise 24/7" in crisis and "063 23 90 01" in crisis
    assert "Intensive care — downtime" in card and "The first 10 minutes" in card
    assert "Admission" in pages[6] and "Medication administration record" in pages[7]


def test_the_census_is_sorted_by_room_then_bed_and_the_schedule_by_day():
    data = kit_document.document(kit(), "en", BRUSSELS)
    assert [(p["room"], p["bed"]) for p in data["patients"]] == [
        ("2", ""),
        ("12", "A"),
        ("12", "B"),
        ("", ""),
    ]
    assert [p["allergies"] for p in data["patients"]][:2] == [["Iode", "Latex"], []]
    assert [d["day"] for d in data["schedule"]] == [
        "Tuesday 21 October 2025",
        "Wednesday 22 October 2025",
        "Thursday 23 October 2025",
        "Friday 24 October 2025",
    ]
    assert [i["time"] for i in data["schedule"][0]["items"]] == ["08:30", "09:30"]
    assert data["schedule_columns"] == ["time", "patient", "kind", "urgency", "surgeon", "phone"]
    assert [c["value"] for c in data["counts"]] == ["4", "2", "8", "3", "5"]


def test_times_are_written_in_the_time_zone_given():
    data = kit_document.document(kit(), "en", ZoneInfo("UTC"))
    assert data["as_of_time"] == "01:12"
    assert data["schedule"][0]["items"][0]["time"] == "06:30"


@needs_poppler
def test_an_empty_kit_says_there_is_no_patient_and_nothing_scheduled():
    empty = kit(patients=(), schedule=(), directory=(), crisis_contacts=(), reflex_card="")
    assert not empty.holds_patient_data
    pages = pdf_pages(kit_document.render(empty, "en", BRUSSELS))
    census, schedule, directory, crisis, card = pages[1:6]
    assert "No patient present in the unit when this kit was generated." in census
    assert "Room / bed" not in census  # no empty table
    assert "Nothing scheduled from Tuesday 21 October 2025 to Friday 24 October 2025." in schedule
    assert "No direct number recorded." in directory
    assert "No crisis cell number recorded." in crisis
    assert "Intensive care — downtime" in card  # no card given: the kind's default
    assert all("Internal use: keep in the unit." in page for page in pages)


@needs_poppler
def test_a_french_kit_writes_its_dates_in_french():
    pages = pdf_pages(kit_document.render(kit(reflex_card=""), "fr", BRUSSELS))
    assert "mardi 21 octobre 2025" in pages[0] and "vendredi 24 octobre 2025" in pages[2]
    assert "Soins intensifs — mode dégradé" in pages[5]
    assert "Les 10 premières minutes" in pages[5]


def test_the_kit_carries_only_the_forms_asked_for():
    data = kit_document.document(kit(forms=("transfer", "lab_request", "nope")), "en", BRUSSELS)
    assert [f["kind"] for f in data["forms"]] == ["transfer", "lab_request"]
    none = kit_document.document(kit(forms=()), "en", BRUSSELS)
    assert none["forms"] == [] and "forms" not in [s["key"] for s in none["sections"]]


def test_notes_go_to_their_section_or_the_cover():
    data = kit_document.document(
        kit(notes={"patients": "Recensement de 02:50", "other": "Kit de test"}), "en", BRUSSELS
    )
    assert data["notes"] == {"patients": ["Recensement de 02:50"], "cover": ["Kit de test"]}


@pytest.mark.django_db
def test_the_group_time_zone_is_the_default():
    data = kit_document.document(kit(), "en")
    assert data["generated"].endswith(")")  # the zone is named, whatever it is


@needs_poppler
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", [*KINDS_WITH_CARDS, "geriatrics"])
def test_every_default_reflex_card_fits_on_one_page(kind, lang):
    card = default_card(kind, lang)
    assert card.startswith("# ") and "- [ ] " in card
    bare = kit(
        patients=(),
        schedule=(),
        directory=(),
        crisis_contacts=(),
        forms=(),
        unit_kind=kind,
        reflex_card="",
    )
    pages = pdf_pages(kit_document.render(bare, lang, BRUSSELS))
    assert len(pages) == 6  # cover, census, schedule, directory, crisis cell, card
    title = card.splitlines()[0].removeprefix("# ")
    assert title in pages[5]


def test_kinds_without_a_card_get_the_ward_card_and_unknown_languages_french():
    assert card_kind("geriatrics") == card_kind("ward") == "ward"
    assert card_kind("transfusion") == "lab"
    assert default_card("maternity", "de") == default_card("maternity", "fr")
    assert default_card("nope", "en").startswith("# Ward — downtime")


_WORD = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*")
_MARKS = string.punctuation + string.whitespace


def visible_words(source: str) -> list[str]:
    """The plain ASCII words of a text, as a reader would copy them out."""
    return [w for w in (t.strip(_MARKS) for t in source.split()) if _WORD.fullmatch(w)]


def card_pdf_text(card: str) -> str:
    bare = kit(
        patients=(), schedule=(), directory=(), crisis_contacts=(), forms=(), reflex_card=card
    )
    return "".join(pdf_pages(kit_document.render(bare, "en", BRUSSELS))[5].split())


@needs_poppler
@settings(max_examples=25, deadline=None)
@given(st.text() | st.text(alphabet=st.sampled_from(list("#*-+_[]x1. )\\\n`$<>@=/~'\"ab"))))
def test_any_reflex_card_compiles_and_its_words_are_printed(card):
    shown = card_pdf_text(card)
    for word in visible_words(card):
        assert word in shown, word


@settings(max_examples=25, deadline=None)
@given(st.text(), st.text(), st.text(max_size=40))
def test_any_text_in_any_field_compiles(name, free, number):
    someone = patient("P1", name, free, free, None, free, (free, name), (free,))
    phone = Phone(name, number, free, free)
    odd = kit(
        site_name=free,
        unit_name=name,
        unit_kind=free,
        patients=(someone,),
        schedule=(replace(SCHEDULE[0], patient_name=name, surgeon=free, phone=number, kind=free),),
        directory=(phone,),
        crisis_contacts=(phone,),
        notes={free: name, "patients": free},
        forms=("transfer",),
    )
    assert kit_document.render(odd, "en", BRUSSELS).startswith(b"%PDF")


@needs_poppler
def test_typst_syntax_in_a_reflex_card_prints_as_written():
    lines = [
        "#let x = 1",
        "$x^2$ and #x",
        '#import "/etc/passwd": *',
        "<label> @ref #{1 + 1} #set page(width: 1pt)",
        '#panic("no") \\ ] [ ~ _u_ = + / \' `c`',
    ]
    shown = card_pdf_text("\n\n".join(lines))
    for line in lines:
        assert "".join(line.split()) in shown, line
