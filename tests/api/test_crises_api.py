"""The crises and log API: the same rules as the pages, over JSON, for people and machines."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from crisiscell.api.main import api
from crisiscell.api.models import ApiToken
from crisiscell.crisis.log import verify_crisis
from crisiscell.crisis.models import Crisis, LogEntry, Task
from crisiscell.directory.models import Contact
from crisiscell.engine import ledger

from .conftest import bearer

pytestmark = pytest.mark.django_db


def _routes():
    """Every operation of the OpenAPI document, with sample path values."""
    schema = api.get_openapi_schema()
    for path, ops in schema["paths"].items():
        for method in ops:
            yield method.upper(), re.sub(r"\{\w+\}", "1", path)


ROUTES = sorted(set(_routes()))
CHANGES = [(m, p) for m, p in ROUTES if m != "GET"]


def test_the_document_lists_the_operations():
    assert ("POST", "/api/crises/1/log") in ROUTES
    assert ("GET", "/api/crises/1/log/verify") in ROUTES


@pytest.mark.parametrize("method, path", ROUTES)
def test_anonymous_gets_401(client, method, path):
    response = client.generic(method, path, "{}", content_type="application/json")
    assert response.status_code == 401, (method, path, response.content)
    assert response.json()["detail"]


@pytest.mark.parametrize("method, path", CHANGES)
def test_an_observer_token_changes_nothing(client, tokens, method, path):
    now = timezone.now()
    crisis = Crisis.objects.create(pk=1, title="t", phase="detection", opened_at=now)
    Task.objects.create(
        pk=1, crisis=crisis, title="t", status="todo", created_at=now, updated_at=now
    )
    Contact.objects.create(
        pk=1, code="pol", kind="external", category="police", name="Police", phone="101"
    )
    body = (
        '{"title": "x", "phase": "containment", "kind": "event", "text": "x",'
        ' "site": "ARL", "mode": "degraded", "status": "done", "rationale": "r",'
        ' "name": "n", "phone": "0123456", "code": "c1", "kind_of": "internal"}'
    )
    response = client.generic(
        method, path, body, content_type="application/json", headers=bearer(tokens["observer"])
    )
    assert response.status_code in (403, 422), (method, path, response.content)
    assert LogEntry.objects.count() == 0
    assert Task.objects.get().status == "todo" and Contact.objects.get().name == "Police"


def test_a_machine_writes_in_the_log_with_its_token(client, tokens):
    headers = bearer(tokens["director"])
    opened = client.post(
        "/api/crises", {"title": "Rançongiciel"}, "application/json", headers=headers
    )
    assert opened.status_code == 201
    crisis = opened.json()
    assert crisis["entry_count"] == 1 and crisis["phase"] == "detection"
    cid = crisis["id"]
    for n in range(3):
        r = client.post(
            f"/api/crises/{cid}/log",
            {"kind": "message_in", "text": f"Appel du gouverneur {n}", "links": ["site:ARL"]},
            "application/json",
            headers=headers,
        )
        assert r.status_code == 201, r.content
        assert r.json()["author"] == "director" and r.json()["role"] == "crisis_director"
    page = client.get(f"/api/crises/{cid}/log?after=2&limit=1", headers=headers).json()
    assert [e["seq"] for e in page["entries"]] == [3]
    assert page["count"] == 4
    check = client.get(f"/api/crises/{cid}/log/verify", headers=headers).json()
    assert check["intact"] and check["count"] == 4
    doc = client.get(f"/api/crises/{cid}/log/export", headers=headers).json()
    assert ledger.verify_document(doc).ok


def test_a_correction_points_at_an_entry_of_the_crisis(client, tokens):
    headers = bearer(tokens["director"])
    cid = client.post("/api/crises", {"title": "c"}, "application/json", headers=headers).json()[
        "id"
    ]
    first = LogEntry.objects.get(crisis_id=cid, seq=1)
    ok = client.post(
        f"/api/crises/{cid}/log",
        {"kind": "event", "text": "Correction : 03:10, pas 03:00", "corrects": first.hash},
        "application/json",
        headers=headers,
    )
    assert ok.status_code == 201 and ok.json()["corrects"] == first.hash
    bad = client.post(
        f"/api/crises/{cid}/log",
        {"kind": "event", "text": "x", "corrects": "a" * 64},
        "application/json",
        headers=headers,
    )
    assert bad.status_code == 400 and "not in this crisis" in bad.json()["detail"]
    assert verify_crisis(Crisis.objects.get(pk=cid)).ok


def test_refusals_are_clear_and_change_nothing(client, tokens):
    headers = bearer(tokens["director"])
    cid = client.post("/api/crises", {"title": "c"}, "application/json", headers=headers).json()[
        "id"
    ]
    again = client.post("/api/crises", {"title": "d"}, "application/json", headers=headers)
    assert again.status_code == 400 and str(cid) in again.json()["detail"]
    nul = client.post(
        f"/api/crises/{cid}/log",
        {"kind": "event", "text": "a\x00b"},
        "application/json",
        headers=headers,
    )
    assert nul.status_code == 422
    it = client.post(
        f"/api/crises/{cid}/phase",
        {"phase": "containment"},
        "application/json",
        headers=bearer(tokens["it_lead"]),
    )
    assert it.status_code == 403
    assert client.get("/api/crises/999999", headers=headers).status_code == 404
    assert Crisis.objects.get(pk=cid).entry_count == 1


def test_revoked_and_unknown_tokens_get_401(client, tokens, cast):
    ApiToken.objects.filter(user=cast.director).update(revoked_at=timezone.now())
    assert client.get("/api/crises", headers=bearer(tokens["director"])).status_code == 401
    assert client.get("/api/crises", headers=bearer("cc_" + "x" * 40)).status_code == 401
    cast.it_lead.is_active = False
    cast.it_lead.save()
    assert client.get("/api/crises", headers=bearer(tokens["it_lead"])).status_code == 401


def test_only_a_digest_of_the_token_is_stored(tokens):
    for row in ApiToken.objects.all():
        assert row.digest not in tokens.values()
        assert all(row.digest != t and t not in row.digest for t in tokens.values())


def test_a_session_needs_the_code_and_the_csrf_token(cast, settings):
    settings.TWO_FACTOR = "required"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.director)
    assert browser.get("/api/crises").status_code == 401  # password given, code not yet
    settings.TWO_FACTOR = "optional"
    assert browser.get("/api/crises").status_code == 200
    no_csrf = browser.post("/api/crises", {"title": "x"}, "application/json")
    assert no_csrf.status_code == 403
    assert not Crisis.objects.exists()


def test_the_documentation_is_for_logged_in_people(client, cast):
    assert client.get("/api/docs").status_code == 302
    client.force_login(cast.observer)
    page = client.get("/api/docs")
    # served from the server itself: no asset from a CDN or any other host (the page also
    # holds a random token, so a bare "cdn" could appear in it by chance)
    assert page.status_code == 200
    assert not re.search(rb"""(src|href)=["']?(https?:)?//""", page.content, re.I)
    assert client.get("/api/openapi.json").json()["info"]["title"] == "crisiscell"
