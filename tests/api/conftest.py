"""Fixtures of the API tests: tokens for the cast, and a client that sends them."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TWO_FACTOR = "optional"


@pytest.fixture
def tokens(cast) -> dict[str, str]:
    from crisiscell.api.models import ApiToken

    return {
        name: ApiToken.issue(getattr(cast, name), f"{name} script")[1]
        for name in ("director", "it_lead", "observer", "nobody")
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
