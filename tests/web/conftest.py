"""Fixtures of the web tests: a small group map in the database, and logged-in clients."""

from __future__ import annotations

import copy

import pytest

#: Two sites: an emergency department that stops without the EHR (which needs the AD),
#: and a radiology that goes on, degraded, without its PACS. Everything runs in DC-SRV.
DOC = {
    "group": {
        "id": "test",
        "name": "Groupe de test",
        "timezone": "Europe/Brussels",
        "country": "BE",
    },
    "sites": [
        {"id": "ARL", "name": "Hôpital d'Arlon", "kind": "hospital"},
        {"id": "DC", "name": "Centre de données", "kind": "datacenter"},
    ],
    "zones": [
        {"id": "ARL-WS", "site": "ARL", "kind": "workstations", "name": "Postes d'Arlon"},
        {"id": "DC-SRV", "site": "DC", "kind": "servers", "name": "Serveurs"},
        {"id": "INTERNET", "kind": "internet"},
    ],
    "flows": [
        {"from": "ARL-WS", "to": "DC-SRV", "ports": "443;445", "purpose": "EHR, PACS"},
        {"from": "DC-SRV", "to": "INTERNET", "ports": "443", "purpose": "updates"},
    ],
    "hosts": [
        {"id": "srv-ad-01", "zone": "DC-SRV", "role": "server", "os": "Windows Server 2019"},
        {"id": "srv-ehr-01", "zone": "DC-SRV", "role": "server"},
        {"id": "srv-pacs-01", "zone": "DC-SRV", "role": "server"},
        {"id": "ws-arl-001", "zone": "ARL-WS", "role": "workstation", "ip": "10.1.0.1"},
    ],
    "applications": [
        {"id": "AD", "name": "Active Directory", "hosts": ["srv-ad-01"]},
        {
            "id": "EHR",
            "name": "Dossier patient",
            "hosts": ["srv-ehr-01"],
            "needs": ["AD"],
            "rto_hours": 8,
        },
        {"id": "PACS", "name": "Images", "hosts": ["srv-pacs-01"]},
    ],
    "services": [
        {
            "id": "ARL-URG",
            "site": "ARL",
            "name": "Urgences",
            "kind": "emergency",
            "criticality": "vital",
            "workstations": ["ARL-WS"],
            "needs": [{"app": "EHR", "without": "down"}],
        },
        {
            "id": "ARL-RAD",
            "site": "ARL",
            "name": "Radiologie",
            "kind": "radiology",
            "criticality": "essential",
            "workstations": ["ARL-WS"],
            "needs": [{"app": "PACS", "without": "degraded"}],
        },
    ],
}


def import_doc(doc: dict) -> None:
    from crisiscell.engine.groupmap import parse_map
    from crisiscell.inventory.importer import import_map

    import_map(parse_map(copy.deepcopy(doc)))


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The real hasher takes most of a second per user on purpose; tests need no such cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # force_login gives no one-time code; tests of the code itself ask for "required"
    settings.TWO_FACTOR = "optional"


@pytest.fixture(autouse=True)
def _fresh_map_cache():
    """Each test rolls its database back, so ids repeat: never reuse another test's map."""
    from crisiscell.web import impact_cache

    impact_cache.clear()
    yield
    impact_cache.clear()


@pytest.fixture
def group_map(db) -> dict:
    import_doc(DOC)
    return DOC


@pytest.fixture
def director_client(client, cast, group_map):
    client.force_login(cast.director)
    return client


@pytest.fixture
def observer_client(client, cast, group_map):
    client.force_login(cast.observer)
    return client
