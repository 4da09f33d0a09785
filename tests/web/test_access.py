"""Every URL of the product, enumerated: login everywhere, and no change for a read-only role."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

#: Open without login on purpose: the login page itself, the health check, static files.
PUBLIC = {"login", "health"}
#: Django's own admin and language switch; the JSON API answers 401 and 403 itself and has
#: its own enumeration, from its OpenAPI document (tests/api/test_crises_api.py).
SKIPPED_PREFIXES = ("admin/", "i18n/", "api/")


def _routes(resolver=None, prefix: str = ""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name, prefix + str(entry.pattern)


def _concrete(pattern: str) -> str:
    path = pattern.replace("<int:pk>", "1").replace("<str:site>", "ARL")
    path = path.replace("^", "").replace("$", "")
    path = (
        path.replace("<str:service>", "ARL-RAD")
        .replace("<str:token>", "t0ken")
        .replace("<str:kind>", "icu")
    )
    assert "<" not in path, f"give a sample value for {pattern}"
    return "/" + path


ROUTES = sorted(
    (name, _concrete(p))
    for name, p in _routes()
    if name not in PUBLIC and not p.startswith(SKIPPED_PREFIXES)
)


def test_the_enumeration_finds_the_product():
    names = {name for name, _ in ROUTES}
    assert {"board", "hosts", "zone-isolation", "timeline-write", "crisis-open"} <= names


@pytest.mark.parametrize("name, path", ROUTES)
def test_anonymous_is_sent_to_login(client, name, path):
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 302, (name, method.__name__)
        assert response["Location"].startswith("/login/"), name


#: A user's own account: anyone logged in may log out or enrol their authenticator app.
OWN_ACCOUNT = {"logout", "two-factor", "two-factor-setup"}


@pytest.mark.parametrize("name, path", [(n, p) for n, p in ROUTES if n not in OWN_ACCOUNT])
def test_an_observer_changes_nothing(client, cast, name, path):
    client.force_login(cast.observer)
    response = client.post(path, {"state": "off", "isolated": "1", "text": "x", "kind": "event"})
    # a read-only page refuses POST (405); a change route refuses the role (403)
    assert response.status_code in (403, 405), (name, response.status_code)


def test_every_page_carries_the_security_headers(client, cast):
    client.force_login(cast.observer)
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
