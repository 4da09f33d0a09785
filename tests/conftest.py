"""Shared fixtures: a named cast of people in their roles, so permission tests read like
sentences."""

from __future__ import annotations

import pytest


class Cast:
    """The people of a crisis cell, each with one role."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        from crisiscell.inventory.roles import ensure_roles

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
        self.nobody = person("nobody", None)


@pytest.fixture
def cast(db) -> Cast:
    return Cast()
