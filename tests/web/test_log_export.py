"""The crisis log handed over: a JSON export that verifies alone, and a PDF that says so."""

from __future__ import annotations

import subprocess

import pytest
from django.db import connection

from crisiscell.crisis import actions
from crisiscell.crisis.models import LogEntry
from crisiscell.engine import ledger

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


@pytest.fixture
def crisis(cast, group_map):
    crisis = actions.open_crisis(cast.director, "Rançongiciel — CH de Test")
    actions.write_entry(
        cast.director,
        kind="message_in",
        text="Appel du gouverneur : cellule à 8 h",
        links=["site:ARL"],
    )
    first = LogEntry.objects.get(crisis=crisis, seq=2)
    actions.write_entry(cast.director, kind="event", text="Heure : 03:10", corrects=first.hash)
    return crisis


def test_the_json_export_verifies_with_no_database(observer_client, crisis):
    response = observer_client.get(f"/timeline/export.json?crisis={crisis.pk}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    doc = response.json()
    result = ledger.verify_document(doc)
    assert result.ok and result.count == 3


def test_the_pdf_prints_every_entry_and_the_verdict(observer_client, crisis):
    response = observer_client.get(f"/timeline/export.pdf?crisis={crisis.pk}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "Rançongiciel — CH de Test" in text
    assert "Appel du gouverneur : cellule à 8 h" in text
    assert "site:ARL" in text
    assert crisis.uid in text
    head = LogEntry.objects.get(crisis=crisis, seq=3).hash
    assert head in text.replace(" ", "") or head[:32] in text
    assert "intact" in text.lower() or "intègre" in text.lower()


def test_a_tampered_log_prints_not_intact(observer_client, crisis):
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE crisis_logentry SET text = %s WHERE crisis_id = %s AND seq = 2",
            ["Appel du gouverneur : cellule à 9 h", crisis.pk],
        )
    text = pdf_text(observer_client.get(f"/timeline/export.pdf?crisis={crisis.pk}").content)
    assert (
        "NOT INTACT" in text.upper()
        or "NON INTÈGRE" in text.upper()
        or "PAS INTACTE" in text.upper()
    )
    assert "#2" in text


def test_no_crisis_no_export(observer_client):
    assert observer_client.get("/timeline/export.pdf").status_code == 404
    assert observer_client.get("/timeline/export.json?crisis=abc").status_code == 404
