"""Any input to the forms of care continuity and downtime kits gets an answer, never a
server error: every status is one the page means (redirect after a change, 400 with the
reason, 404 for what does not exist)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import DOC, import_doc

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANSWERS = {200, 302, 400, 404}
text = st.text(max_size=60)
dates = st.one_of(st.dates().map(str), text)


@pytest.fixture
def director(client, cast, settings):
    from crisiscell.crisis.roles import ensure_roles
    from crisiscell.web import impact_cache

    settings.CONTINUITY_SYNCHRONOUS = True
    ensure_roles()
    impact_cache.clear()
    import_doc(DOC)
    cast.director.groups.add(*cast.scheduler.groups.all())
    client.force_login(cast.director)
    yield client
    impact_cache.clear()


@FUZZ
@given(
    code=text,
    kind=st.one_of(st.sampled_from(["keep", "postpone", "pin"]), text),
    day=dates,
    note=text,
)
def test_scheduler_decisions(director, code, kind, day, note):
    response = director.post(
        "/continuity/decisions/add", {"code": code, "kind": kind, "day": day, "note": note}
    )
    assert response.status_code in ANSWERS


@FUZZ
@given(
    today=dates,
    until=dates,
    numbers=st.lists(st.one_of(st.integers(-5, 100).map(str), text), min_size=4, max_size=4),
    down=st.lists(st.one_of(st.just("ARL-RAD"), text), max_size=3),
)
def test_plan_requests(director, today, until, numbers, down):
    horizon, notice, extra, weeks = numbers
    response = director.post(
        "/continuity/plans/start",
        {
            "today": today,
            "crisis_until": until,
            "horizon_weeks": horizon,
            "notice_days": notice,
            "extra_percent": extra,
            "extra_weeks": weeks,
            "down": down,
        },
    )
    assert response.status_code in ANSWERS


@FUZZ
@given(
    data=st.binary(max_size=400),
    name=st.sampled_from(["c.csv", "c.xlsx", "c.json", "c.ndjson", "c"]),
)
def test_census_uploads(director, data, name):
    upload = SimpleUploadedFile(name, data)
    assert director.post("/kits/census", {"file": upload}).status_code in ANSWERS


@FUZZ
@given(site=st.one_of(st.just("ARL"), text), unit=st.one_of(st.just("ARL-URG"), text))
def test_print_now(director, site, unit):
    assert director.post("/kits/print", {"site": site, "unit": unit}).status_code in ANSWERS


@FUZZ
@given(kind=st.sampled_from(["icu", "ward", "emergency"]), markdown=st.text(max_size=300))
def test_reflex_cards(director, kind, markdown):
    assert director.post(f"/kits/cards/{kind}/save", {"markdown": markdown}).status_code in ANSWERS


def test_control_characters_are_refused_before_any_change(director):
    from crisiscell.continuity.models import SchedulerDecision

    response = director.post("/continuity/decisions/add", {"code": "A\x00", "kind": "keep"})
    assert response.status_code == 400 and "caractères de contrôle" in response.content.decode()
    assert director.post("/kits/print", {"site": "ARL\x00"}).status_code == 400
    assert director.post("/kits/cards/icu/save", {"markdown": "#\x00"}).status_code == 400
    assert not SchedulerDecision.objects.exists()
