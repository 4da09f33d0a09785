"""Fixtures of the directory tests: the small map of the web tests, the documented example
file, and people who may or may not change the directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import DOC, import_doc

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "contacts.csv"


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
def example() -> bytes:
    return EXAMPLE.read_bytes()


@pytest.fixture
def communication(cast):
    """Communication keeps the directory (with the crisis director and logistics)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username="com", password=cast.password)
    user.groups.add(Group.objects.get(name="communication"))
    return user


@pytest.fixture
def loaded(group_map, example):
    """The example directory, imported."""
    from crisiscell.directory.actions import import_file

    import_file(None, example, name="contacts.csv")
    return example


@pytest.fixture
def director_client(client, cast, group_map):
    client.force_login(cast.director)
    return client


@pytest.fixture
def observer_client(client, cast, group_map):
    client.force_login(cast.observer)
    return client
