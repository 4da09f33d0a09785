"""The directory pages through Django's test client: who may do what, search, the forms,
the upload, the export and the printout (read back with poppler's pdftotext)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from crisiscell.crisis import actions as crisis_actions
from crisiscell.crisis.models import LogEntry
from crisiscell.directory.models import Contact
from crisiscell.engine.contacts_csv import parse_contacts
from crisiscell.inventory import models as m

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}

FORM = {
    "kind": "internal",
    "category": "",
    "site": "ARL",
    "service": "ARL-URG",
    "name": "Garde de réanimation",
    "function": "Médecin intensiviste",
    "phone": "063 55 41 20",
    "phone_alt": "4512",
    "email": "",
    "available": "24/7",
    "notes": "",
    "code": "",
    "position": "",
}


def snapshot() -> list[tuple]:
    return list(Contact.objects.order_by("code").values_list())


def post_routes(pk: int) -> list[tuple[str, dict]]:
    return [
        (reverse("directory-new"), FORM),
        (reverse("directory-edit", args=[pk]), FORM),
        (reverse("directory-delete", args=[pk]), {}),
        (reverse("directory-import"), {}),
    ]


def codes(html: str) -> list[str]:
    """The contacts a page lists, by their row ids, mapped back to codes."""
    pks = [int(pk) for pk in re.findall(r'<tr id="contact-(\d+)"', html)]
    by_pk = dict(Contact.objects.filter(pk__in=pks).values_list("pk", "code"))
    return [by_pk[pk] for pk in pks]


# --- who may do what ---------------------------------------------------------


def test_anonymous_is_sent_to_login_everywhere(client, loaded):
    pk = Contact.objects.first().pk
    pages = [
        reverse("directory"),
        reverse("directory-new"),
        reverse("directory-edit", args=[pk]),
        reverse("directory-delete", args=[pk]),
        reverse("directory-import"),
        reverse("directory-export"),
        reverse("directory-print"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    for url, data in post_routes(pk):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_an_observer_reads_without_edit_buttons_and_every_post_is_refused(
    observer_client, loaded, example
):
    html = observer_client.get(reverse("directory")).content.decode()
    assert "063 23 14 20" in html
    assert reverse("directory-new") not in html and reverse("directory-import") not in html
    assert "/edit" not in html
    before = snapshot()
    pk = Contact.objects.get(code="ARL-URG-POSTE").pk
    for url, data in post_routes(pk):
        response = observer_client.post(url, data)
        assert response.status_code == 403, url
    upload = _upload(example.replace(b"063 23 14 20", b"063 23 14 21"))
    assert observer_client.post(reverse("directory-import"), {"file": upload}).status_code == 403
    for url in (reverse("directory-new"), reverse("directory-edit", args=[pk])):
        assert observer_client.get(url).status_code == 403, url
    assert snapshot() == before
    # reading, exporting and printing are for everyone
    assert observer_client.get(reverse("directory-export")).status_code == 200
    assert observer_client.get(reverse("directory-print")).status_code == 200


def test_communication_keeps_the_directory(client, communication, group_map):
    client.force_login(communication)
    response = client.post(reverse("directory-new"), FORM)
    assert response.status_code == 302
    assert Contact.objects.count() == 1
    html = client.get(reverse("directory")).content.decode()
    assert reverse("directory-new") in html and "/edit" in html


# --- the page and its search ---------------------------------------------------


def test_the_page_groups_by_site_then_service_with_the_cell_first_and_externals_last(
    director_client, loaded
):
    html = director_client.get(reverse("directory")).content.decode()
    listed = codes(html)
    assert listed[:3] == ["CELL-SALLE", "CELL-DIRECTEUR", "CELL-COM"]
    # Arlon: the whole site's numbers, then each care service in map order
    assert listed[3:9] == [
        "ARL-DIR",
        "ARL-ACC",
        "ARL-URG-POSTE",
        "ARL-URG-GARDE",
        "ARL-RAD-SEC",
        "DC-NOC",
    ]
    assert listed[9:11] == ["EXT-GOUV", "EXT-APD"]
    assert listed[-1] == "EXT-BELGA"
    results = html.split('id="directory-results"', 1)[1]
    assert results.index("Urgences") < results.index("Radiologie") < results.index("Centre de")
    assert 'href="tel:063231420"' in html and 'href="tel:+3225010500"' in html
    assert reverse("directory-edit", args=[Contact.objects.get(code="DC-NOC").pk]) in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=nobody", []),
        # names, services and notes ("la nuit : passer par le poste infirmier des urgences")
        ("q=urgences", ["ARL-URG-POSTE", "ARL-URG-GARDE", "ARL-RAD-SEC"]),
        ("q=POSTE+infirmier", ["ARL-URG-POSTE", "ARL-RAD-SEC"]),
        ("q=063%2F23.14", ["ARL-URG-POSTE"]),  # the digits, whatever the punctuation
        ("q=4512", ["ARL-URG-POSTE"]),  # the other number too
        ("q=cert", ["EXT-CERTBE", "EXT-CERTFR"]),
        ("q=editeur", ["EXT-DPI"]),  # accents ignored: Éditeur
        ("q=arlon+police", ["EXT-ZP"]),  # every word must match
        ("site=DC", ["DC-NOC"]),
        ("kind=crisis_cell", ["CELL-SALLE", "CELL-DIRECTEUR", "CELL-COM"]),
        ("kind=police", ["EXT-FCCU", "EXT-ZP"]),
        ("kind=internal&site=ARL&q=garde", ["ARL-DIR", "ARL-URG-GARDE"]),
    ],
)
def test_search(director_client, loaded, query, expected):
    html = director_client.get(f"{reverse('directory')}?{query}").content.decode()
    assert codes(html) == expected


def test_search_finds_a_site_by_name_and_a_service_by_name(director_client, loaded):
    html = director_client.get(reverse("directory") + "?q=radiologie").content.decode()
    assert codes(html) == ["ARL-RAD-SEC"]
    html = director_client.get(reverse("directory") + "?q=hopital+d%27arlon").content.decode()
    assert "ARL-URG-POSTE" in codes(html) and "DC-NOC" not in codes(html)


def test_unknown_filters_are_ignored_never_an_error(director_client, loaded):
    # PostgreSQL refuses a NUL byte in a query: it must never reach one.
    queries = ("site=NOPE", "kind=robot", "q=" + "x" * 5000, "q=%00%ff", "site=A%00", "kind=%00")
    for query in queries:
        response = director_client.get(f"{reverse('directory')}?{query}")
        assert response.status_code == 200, query
    assert (
        director_client.get(reverse("directory-new") + "?site=%00&service=%00").status_code == 200
    )
    assert director_client.get(reverse("directory-print") + "?site=%00").status_code == 200


def test_control_characters_in_a_form_are_refused_before_any_query(director_client, loaded):
    before = snapshot()
    for field in ("code", "site", "service", "name", "category"):
        response = director_client.post(reverse("directory-new"), dict(FORM, **{field: "A\x00B"}))
        assert response.status_code == 400, field
        assert f'id="e-{field}"' in response.content.decode(), field
    assert snapshot() == before


def test_htmx_gets_the_results_alone(director_client, loaded):
    response = director_client.get(reverse("directory") + "?q=garde&site=ARL", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="directory-results"')
    assert "<header" not in html
    assert codes(html) == ["ARL-DIR", "ARL-URG-GARDE"]


def test_the_page_has_the_nav_link_no_inline_script_and_csrf_in_forms(director_client, loaded):
    html = director_client.get(reverse("directory")).content.decode()
    assert 'aria-current="page">' in html and reverse("directory") in html
    assert "<script>" not in html and "style=" not in html and "onclick" not in html
    html = director_client.get(reverse("directory-new")).content.decode()
    assert "csrfmiddlewaretoken" in html
    html = director_client.get(reverse("directory-import")).content.decode()
    assert "csrfmiddlewaretoken" in html and 'enctype="multipart/form-data"' in html


# --- the form ------------------------------------------------------------------


def test_adding_a_contact_makes_up_its_code_and_puts_it_last(director_client, loaded):
    response = director_client.post(reverse("directory-new"), FORM)
    contact = Contact.objects.get(name="Garde de réanimation")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('directory')}#contact-{contact.pk}"
    assert contact.code == "ARL-garde-de-reanimation"
    assert contact.service.code == "ARL-URG" and contact.position == 3
    director_client.post(reverse("directory-new"), FORM)
    assert Contact.objects.filter(code="ARL-garde-de-reanimation-2").exists()


def test_a_refused_form_comes_back_with_each_error_by_its_field(director_client, loaded):
    before = snapshot()
    bad = dict(FORM, phone="appelez-moi", email="nope", site="", code="ARL-URG-POSTE")
    response = director_client.post(reverse("directory-new"), bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="e-phone"' in html and 'id="e-email"' in html and 'id="e-site"' in html
    assert 'id="e-code"' in html  # the code of another contact
    assert 'value="appelez-moi"' in html  # what was typed stays
    assert snapshot() == before
    # a service of another site
    response = director_client.post(reverse("directory-new"), dict(FORM, site="DC"))
    assert response.status_code == 400 and 'id="e-service"' in response.content.decode()
    response = director_client.post(reverse("directory-new"), dict(FORM, position="x"))
    assert response.status_code == 400 and 'id="e-position"' in response.content.decode()
    response = director_client.post(reverse("directory-new"), dict(FORM, kind="robot"))
    assert response.status_code == 400 and 'id="e-kind"' in response.content.decode()
    assert snapshot() == before


def test_editing_and_deleting_write_in_the_log_of_the_crisis_under_way(
    cast, director_client, loaded
):
    crisis = crisis_actions.open_crisis(cast.director, "Cyberattaque")
    contact = Contact.objects.get(code="ARL-URG-POSTE")
    data = dict(contact.as_record().__dict__, phone="063 23 14 29", position="1")
    data.pop("line")
    response = director_client.post(reverse("directory-edit", args=[contact.pk]), data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.phone == "063 23 14 29"
    entry = LogEntry.objects.filter(crisis=crisis).order_by("-seq").first()
    assert "ARL-URG-POSTE" in entry.text and "phone" in entry.text
    assert entry.links == ["contact:ARL-URG-POSTE", "site:ARL"]
    assert entry.author == "director"
    # saving again with no change writes nothing
    count = LogEntry.objects.filter(crisis=crisis).count()
    director_client.post(reverse("directory-edit", args=[contact.pk]), data)
    assert LogEntry.objects.filter(crisis=crisis).count() == count
    # delete: a confirmation page, then the post
    page = director_client.get(reverse("directory-delete", args=[contact.pk]))
    assert page.status_code == 200 and "063 23 14 29" in page.content.decode()
    response = director_client.post(reverse("directory-delete", args=[contact.pk]))
    assert response.status_code == 302
    assert not Contact.objects.filter(code="ARL-URG-POSTE").exists()
    entry = LogEntry.objects.filter(crisis=crisis).order_by("-seq").first()
    assert "ARL-URG-POSTE" in entry.text


def test_no_crisis_no_log_entry(director_client, loaded):
    director_client.post(reverse("directory-new"), FORM)
    assert LogEntry.objects.count() == 0


def test_a_contact_that_is_not_there_is_a_404(director_client, loaded):
    for url in (
        reverse("directory-edit", args=[999999]),
        reverse("directory-delete", args=[999999]),
    ):
        assert director_client.get(url).status_code == 404
        assert director_client.post(url, FORM).status_code == 404


# --- upload, export, print -----------------------------------------------------


def _upload(data: bytes, name: str = "annuaire.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_uploading_a_good_file(director_client, group_map, example):
    response = director_client.post(reverse("directory-import"), {"file": _upload(example)})
    assert response.status_code == 302
    assert Contact.objects.count() == 18
    html = director_client.get(response["Location"]).content.decode()
    assert "annuaire.csv" in html and "18" in html


def test_uploading_a_bad_file_lists_every_error_by_line_and_writes_nothing(
    director_client, loaded, example
):
    before = snapshot()
    bad = example.replace(b"063 23 14 20", b"063 23 14 2O").replace(b"+32 2 743 74 00", b"police")
    response = director_client.post(
        reverse("directory-import"),
        {"file": _upload(bad, "../../etc/annuaire.csv"), "replace": "1"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    # French first: the page names the file, line and column in French
    assert "annuaire.csv ligne 7, colonne phone" in html
    assert "annuaire.csv ligne 13, colonne phone" in html
    assert "../" not in html.split("<main", 1)[1]
    assert 'name="replace" value="1" checked' in html
    assert snapshot() == before


def test_uploading_nothing_or_not_utf8_is_a_clear_400(director_client, loaded):
    before = snapshot()
    response = director_client.post(reverse("directory-import"), {})
    assert response.status_code == 400
    latin1 = "code;kind;name;phone\nX;crisis_cell;Réanimation;4512\n".encode("cp1252")
    response = director_client.post(reverse("directory-import"), {"file": _upload(latin1)})
    assert response.status_code == 400 and "UTF-8" in response.content.decode()
    response = director_client.post(reverse("directory-import"), {"file": _upload(b"\x00" * 100)})
    assert response.status_code == 400
    assert snapshot() == before


def test_export_is_the_file_that_was_imported(director_client, loaded):
    response = director_client.get(reverse("directory-export"))
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="contacts.csv"' in response["Content-Disposition"]
    assert parse_contacts(response.content) == parse_contacts(loaded)


pdftotext = shutil.which("pdftotext")
needs_poppler = pytest.mark.skipif(pdftotext is None, reason="poppler-utils is not installed")


def pdf_pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "directory.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        [pdftotext, str(path), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode()
    # one form feed after each page; lines joined, as a wrapped name reads on one line
    return [" ".join(page.split()) for page in text.split("\f")[:-1]]


@needs_poppler
def test_the_printout_has_a_page_per_site_and_one_for_the_cell_and_externals(
    director_client, loaded, tmp_path
):
    response = director_client.get(reverse("directory-print"))
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content, tmp_path)
    sites = m.Site.objects.filter(contacts__kind="internal").distinct()
    assert len(pages) == sites.count() + 1 == 3
    arlon, dc, last = pages
    assert "Hôpital d'Arlon" in arlon and "Centre de données" in dc
    for text in (
        "Urgences",
        "Poste infirmier des urgences",
        "063 23 14 20",
        "4512",
        "Médecin de garde",
        "0477 11 22 33",
        "Radiologie",
        "063/23.15.40",
        "Salle de crise",
        "063 23 90 01",
    ):
        assert text in arlon, text
    assert "063 23 19 99" in dc and "Salle de crise" in dc
    assert "Police fédérale" not in arlon
    for text in (
        "CERT.be",
        "+32 2 501 05 00",
        "cert@cert.be",
        "Zone de police",
        "101",
        "Directeur de crise",
        "0475 12 34 56",
    ):
        assert text in last, text


@needs_poppler
def test_printing_one_site_gives_its_page_alone(director_client, loaded, tmp_path):
    response = director_client.get(reverse("directory-print") + "?site=DC")
    (page,) = pdf_pages(response.content, tmp_path)
    assert "Salle informatique" in page and "063 23 19 99" in page and "Urgences" not in page
    assert 'filename="directory-DC.pdf"' in response["Content-Disposition"]


def test_the_printout_shows_the_time_in_the_groups_time_zone(director_client, loaded, tmp_path):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from crisiscell.directory import printout

    at = datetime(2026, 5, 24, 1, 30, tzinfo=UTC)
    data = printout.build(tz=ZoneInfo("Europe/Brussels"), at=at)
    assert "24/05/2026 03:30" in data["generated"] and "Europe/Brussels" in data["generated"]


def test_printing_an_unknown_site_is_a_404(director_client, loaded):
    assert director_client.get(reverse("directory-print") + "?site=NOPE").status_code == 404


@needs_poppler
def test_an_empty_directory_still_prints(director_client, group_map, tmp_path):
    pages = pdf_pages(director_client.get(reverse("directory-print")).content, tmp_path)
    assert len(pages) == 1
