"""Shared fixtures: a named cast of people in their roles, so permission tests read like
sentences."""

from __future__ import annotations

import pytest


class Cast:
    """The people of a crisis cell, each with one role."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        from crisiscell.crisis.roles import ensure_roles

        groups = ensure_roles()
        User = get_user_model()
        self.password = "a-long-test-password"

        def person(username: str, role: str | None):
            user = User.objects.create_user(username=username, password=self.password)
            if role:
                user.groups.add(groups[role])
            return user

        self.director = person("director", "crisis_director")
        self.it_lead = person("it_lead", "it_lead")
        self.observer = person("observer", "observer")
        self.scheduler = person("scheduler", "scheduler")
        self.nobody = person("nobody", None)


@pytest.fixture
def cast(db) -> Cast:
    return Cast()


@pytest.fixture(autouse=True)
def _fast_passwords(request):
    """The real hasher takes most of a second per user on purpose; tests need no such cost."""
    if "django_db_setup" not in request.fixturenames and "db" not in request.fixturenames:
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # force_login gives no one-time code; tests of the code itself ask for "required"
    settings.TWO_FACTOR = "optional"
    yield
