"""An upgrade brings new permissions: `migrate` hands them to the roles."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from crisiscell.crisis.roles import ROLES, ensure_roles

pytestmark = pytest.mark.django_db


def test_migrating_gives_each_role_exactly_its_permissions():
    ensure_roles()
    director = Group.objects.get(name="crisis_director")
    director.permissions.clear()
    call_command("migrate", verbosity=0)
    codes = {f"{p.content_type.app_label}.{p.codename}" for p in director.permissions.all()}
    assert codes == set(ROLES["crisis_director"])
