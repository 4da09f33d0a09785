"""Tasks, decisions and the directory over JSON: each change checked, logged, refused clearly."""

from __future__ import annotations

import pytest

from crisiscell.crisis.log import verify_crisis
from crisiscell.crisis.models import Crisis, LogEntry
from crisiscell.directory.models import Contact

from .conftest import bearer

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def crisis_id(client, tokens):
    r = client.post(
        "/api/crises", {"title": "Cyberattaque"}, JSON, headers=bearer(tokens["director"])
    )
    return r.json()["id"]


def test_a_task_goes_from_todo_to_done_and_the_log_says_so(client, tokens, crisis_id):
    h = bearer(tokens["director"])
    r = client.post(
        f"/api/crises/{crisis_id}/tasks",
        {"title": "Appeler le CERT", "role": "it_lead", "due_at": "2026-11-26T08:00:00Z"},
        JSON,
        headers=h,
    )
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["status"] == "todo" and task["role"] == "it_lead"
    r = client.post(f"/api/tasks/{task['id']}/status", {"status": "in_progress"}, JSON, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    stale = client.post(
        f"/api/tasks/{task['id']}/status",
        {"status": "done", "expected_status": "todo"},
        JSON,
        headers=h,
    )
    assert stale.status_code == 400  # someone moved it meanwhile: refused, not overwritten
    listed = client.get(f"/api/crises/{crisis_id}/tasks?status=in_progress", headers=h).json()
    assert [t["id"] for t in listed] == [task["id"]]
    crisis = Crisis.objects.get(pk=crisis_id)
    assert crisis.entry_count == 3 and verify_crisis(crisis).ok


def test_a_decision_needs_its_rationale(client, tokens, crisis_id):
    h = bearer(tokens["director"])
    bad = client.post(
        f"/api/crises/{crisis_id}/decisions",
        {"title": "Couper Internet", "rationale": " "},
        JSON,
        headers=h,
    )
    assert bad.status_code == 400
    ok = client.post(
        f"/api/crises/{crisis_id}/decisions",
        {"title": "Couper Internet", "rationale": "Exfiltration en cours vers l'extérieur"},
        JSON,
        headers=h,
    )
    assert ok.status_code == 201
    entry = LogEntry.objects.get(hash=ok.json()["entry_hash"])
    assert entry.kind == "decision" and "Couper Internet" in entry.text
    it = client.post(
        f"/api/crises/{crisis_id}/decisions",
        {"title": "x", "rationale": "y"},
        JSON,
        headers=bearer(tokens["it_lead"]),
    )
    assert it.status_code == 403


def test_the_directory_over_json(client, tokens):
    h = bearer(tokens["director"])
    body = {
        "kind": "external",
        "category": "police",
        "name": "Zone de police Arlon",
        "function": "Officier de garde",
        "phone": "+32 63 24 22 00",
    }
    r = client.post("/api/directory", body, JSON, headers=h)
    assert r.status_code == 201, r.content
    contact = r.json()
    assert contact["code"]  # made up from the name
    assert [c["id"] for c in client.get("/api/directory?q=police", headers=h).json()] == [
        contact["id"]
    ]
    assert client.get("/api/directory?q=242200", headers=h).json()[0]["id"] == contact["id"]
    bad = client.put(
        f"/api/directory/{contact['id']}", {**body, "phone": "appeler Marc"}, JSON, headers=h
    )
    assert bad.status_code == 400 and "phone" in " ".join(bad.json()["errors"])
    assert Contact.objects.get().phone == "+32 63 24 22 00"
    gone = client.delete(f"/api/directory/{contact['id']}", headers=h)
    assert gone.status_code == 204 and not Contact.objects.exists()
    observer = client.post("/api/directory", body, JSON, headers=bearer(tokens["observer"]))
    assert observer.status_code == 403 and not Contact.objects.exists()
