"""Fixtures of the containment tests: the small map of the web tests, a crisis under way,
and logged-in people of each role."""

from __future__ import annotations

import pytest

from tests.web.conftest import DOC, import_doc


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
def crisis(cast, group_map):
    from crisiscell.crisis.actions import open_crisis

    return open_crisis(cast.director, "Rançongiciel")


@pytest.fixture
def director(client, cast, crisis):
    client.force_login(cast.director)
    return client


@pytest.fixture
def it_lead(client, cast, crisis):
    client.force_login(cast.it_lead)
    return client
