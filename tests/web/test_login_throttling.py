"""Failed-login throttling: after five wrong passwords, even the right one is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def attempt(client, password: str):
    return client.post(reverse("login"), {"username": "director", "password": password})


def test_five_failures_lock_the_user_name_out(client, cast):
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200  # the form again, with its error
    response = attempt(client, "wrong")
    assert response.status_code == 429
    assert "Trop de connexions" in response.content.decode()
    locked = attempt(client, cast.password)
    assert locked.status_code == 429  # the right password does not open a locked name
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, cast):
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, cast.password).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200
