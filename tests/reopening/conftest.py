"""Fixtures of the reopening tests: the small map of the web tests, a crisis under way, and
that map in the state of a ransomware night (the urgences cut off from the EHR)."""

from __future__ import annotations

import pytest

from tests.web import conftest as web

# The web tests' fixtures, found by pytest under these names.
_fast_passwords = web._fast_passwords
_fresh_map_cache = web._fresh_map_cache
group_map = web.group_map
director_client = web.director_client
observer_client = web.observer_client


@pytest.fixture
def crisis(cast, group_map):
    from crisiscell.crisis import actions

    return actions.open_crisis(cast.director, "Rançongiciel — nuit du 23 au 24 mai")


@pytest.fixture
def night(cast, crisis):
    """The flow from Arlon's workstations to the servers blocked, the EHR's host
    compromised: the urgences (ARL-URG) are down, the radiology degraded."""
    from crisiscell.inventory import actions
    from crisiscell.inventory.models import Flow, Host

    flow = Flow.objects.get(source__code="ARL-WS", target__code="DC-SRV")
    actions.set_flow_blocked(cast.it_lead, flow.pk, True)
    host = Host.objects.get(code="srv-ehr-01")
    actions.set_host_state(cast.it_lead, host.pk, "compromised")
    return crisis


@pytest.fixture
def english(client, settings):
    """Pages in English (the product speaks French unless the user picks English)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def it_client(client, cast, group_map, english):
    client.force_login(cast.it_lead)
    return client
