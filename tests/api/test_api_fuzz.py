"""Schemathesis over the OpenAPI document: whatever a client sends, never a 500.

Generated requests go through Django's test client with a crisis director's token (the
role that may do most), on a database with a crisis under way, so that the generated
calls reach the actions and not only the 404 of an unknown crisis.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings

from crisiscell.api.main import api

from .conftest import bearer

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.fixture
def director_token(tokens):
    from crisiscell.crisis.models import Crisis

    Crisis.objects.create(pk=1, title="Crise de test", phase="detection", opened_at=timezone.now())
    return tokens["director"]


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_makes_a_server_error(case, client, director_token):
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=bearer(director_token))
    path = case.formatted_path
    query = urlencode(kwargs.get("params") or {}, doseq=True)
    if "json" in kwargs:
        body = json.dumps(kwargs["json"])
    else:
        body = kwargs.get("data") or ""
    response = client.generic(
        case.method,
        path + (f"?{query}" if query else ""),
        body,
        content_type=kwargs.get("headers", {}).get("Content-Type", "application/json"),
        headers=bearer(director_token),
    )
    assert response.status_code < 500, (case.method, path, body, response.content[:500])
    if response.status_code != 405:  # a method the path does not have: Django's bare 405
        response.json()  # every other answer is JSON, errors included
