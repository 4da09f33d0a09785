"""The web pages through Django's test client: login, the board, the lists, the changes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from crisiscell.inventory import models as m

from .conftest import DOC, import_doc

HTMX = {"HTTP_HX_REQUEST": "true"}


def status_of(html: str, service: str) -> str:
    match = re.search(rf'data-service="{re.escape(service)}" data-status="(\w+)"', html)
    assert match, f"service {service} not on the board"
    return match.group(1)


def zone(code: str) -> m.Zone:
    return m.Zone.objects.get(code=code)


def host(code: str) -> m.Host:
    return m.Host.objects.get(code=code)


def flow(source: str, target: str) -> m.Flow:
    return m.Flow.objects.get(source__code=source, target__code=target)


def get_pages():
    return ["board", "board-content", "zones", "flows", "hosts", "applications"]


def post_routes() -> list[tuple[str, dict]]:
    """Every change route, with a valid body (ids filled in once the map is loaded)."""
    return [
        (reverse("host-state", args=[host("srv-ehr-01").pk]), {"state": "compromised"}),
        (reverse("zone-isolation", args=[zone("DC-SRV").pk]), {"isolated": "1"}),
        (reverse("zone-isolation-any"), {"zone": zone("DC-SRV").pk, "isolated": "1"}),
        (reverse("flow-blocking", args=[flow("ARL-WS", "DC-SRV").pk]), {"blocked": "1"}),
        (reverse("internet"), {"cut": "1"}),
    ]


# --- login ----------------------------------------------------------------


def test_anonymous_is_sent_to_login_from_every_page_and_change(client, group_map):
    for name in get_pages():
        url = reverse(name)
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name
    for url, data in post_routes():
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert not m.Zone.objects.filter(isolated=True).exists()


def test_login_page_and_health_need_no_login(client, db):
    assert client.get(reverse("login")).status_code == 200
    assert client.get("/health").status_code == 200


def test_a_director_logs_in_and_lands_on_the_board(client, cast, group_map):
    page = client.get(reverse("login"))
    assert "Se connecter" in page.content.decode()
    response = client.post(reverse("login"), {"username": "director", "password": cast.password})
    assert response.status_code == 302
    assert response["Location"] == reverse("board")
    board = client.get(reverse("board"))
    assert board.status_code == 200
    assert "Urgences" in board.content.decode()


def test_a_wrong_password_is_refused_with_a_message(client, cast, group_map):
    response = client.post(reverse("login"), {"username": "director", "password": "wrong"})
    assert response.status_code == 200
    assert "Nom d’utilisateur ou mot de passe incorrect" in response.content.decode()


def test_logout_is_a_post(director_client):
    response = director_client.post(reverse("logout"))
    assert response.status_code == 302
    assert director_client.get(reverse("board")).status_code == 302


# --- the board ------------------------------------------------------------


def test_the_board_shows_every_service_with_status_and_criticality(observer_client):
    html = observer_client.get(reverse("board")).content.decode()
    assert status_of(html, "ARL-URG") == "normal"
    assert status_of(html, "ARL-RAD") == "normal"
    assert "Hôpital d'Arlon" in html or "Hôpital d&#x27;Arlon" in html
    assert "Services de soins" in html  # French by default
    assert "vital" in html and "essentiel" in html
    assert "<b>2</b> normaux" in html
    assert "Centre de données" not in html.split('id="board"')[1]  # no care service there


def test_the_board_shows_down_and_degraded_with_reasons_in_french(observer_client, cast):
    from crisiscell.inventory.actions import set_host_state

    set_host_state(cast.director, host("srv-ad-01").pk, "compromised")
    set_host_state(cast.director, host("srv-pacs-01").pk, "off")
    html = observer_client.get(reverse("board")).content.decode()
    assert status_of(html, "ARL-URG") == "down"
    assert status_of(html, "ARL-RAD") == "degraded"
    assert "À l’arrêt" in html and "Dégradé" in html
    # The reason names the chain and the host, in French.
    assert "EHR indisponible depuis ARL-WS" in html
    assert "l’hôte srv-ad-01 est compromis" in html
    assert "l’hôte srv-pacs-01 est éteint" in html
    assert "1</b> service vital non normal" in html or "vitaux non normaux" in html


def test_the_board_filters_one_site_or_only_problems(observer_client, cast):
    from crisiscell.inventory.actions import set_host_state

    set_host_state(cast.director, host("srv-pacs-01").pk, "compromised")
    html = observer_client.get(reverse("board"), {"problems": "1"}).content.decode()
    assert 'data-service="ARL-RAD"' in html
    assert 'data-service="ARL-URG"' not in html
    html = observer_client.get(reverse("board"), {"site": "DC"}).content.decode()
    assert 'data-service="ARL-RAD"' not in html
    # An unknown site shows every site rather than failing.
    html = observer_client.get(reverse("board"), {"site": "NOPE"}).content.decode()
    assert 'data-service="ARL-RAD"' in html


def test_the_board_content_alone_is_a_fragment(observer_client):
    response = observer_client.get(reverse("board-content"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert status_of(html, "ARL-URG") == "normal"


def test_the_board_page_listens_for_changes(observer_client):
    html = observer_client.get(reverse("board")).content.decode()
    assert 'hx-trigger="network-changed from:body, every 15s"' in html
    assert f'hx-get="{reverse("board-content")}"' in html


def test_an_empty_database_shows_how_to_import(client, cast):
    client.force_login(cast.observer)
    html = client.get(reverse("board")).content.decode()
    assert "Aucune carte" in html


def test_the_board_follows_a_reimported_map(observer_client):
    doc = dict(
        DOC,
        services=[*DOC["services"], {**DOC["services"][1], "id": "ARL-RAD2", "name": "Scanner"}],
    )
    observer_client.get(reverse("board"))
    import_doc(doc)
    html = observer_client.get(reverse("board")).content.decode()
    assert status_of(html, "ARL-RAD2") == "normal"


# --- English --------------------------------------------------------------


def test_the_language_switch_gives_english(observer_client):
    response = observer_client.post(
        reverse("set_language"), {"language": "en", "next": reverse("board")}
    )
    assert response.status_code == 302
    html = observer_client.get(reverse("board")).content.decode()
    assert "Care services" in html
    assert "Services de soins" not in html
    assert '<html lang="en">' in html


def test_french_first_whatever_the_browser_asks(observer_client):
    html = observer_client.get(reverse("board"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content
    assert '<html lang="fr">' in html.decode()
    assert "Services de soins" in html.decode()


def test_english_reasons(observer_client, cast):
    from crisiscell.inventory.actions import set_zone_isolated

    set_zone_isolated(cast.director, zone("DC-SRV").pk, True)
    observer_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = observer_client.get(reverse("board")).content.decode()
    assert status_of(html, "ARL-URG") == "down"
    assert "flow ARL-WS → DC-SRV is cut (zone DC-SRV isolated)" in html
    assert ">Down<" in html.replace("</span> ", "</span>").replace("> Down", ">Down")


# --- lists ----------------------------------------------------------------


def test_the_lists_show_the_map(observer_client):
    zones = observer_client.get(reverse("zones")).content.decode()
    assert "ARL-WS" in zones and "postes de travail" in zones
    flows = observer_client.get(reverse("flows")).content.decode()
    assert "443;<wbr>445" in flows and "EHR, PACS" in flows
    hosts = observer_client.get(reverse("hosts")).content.decode()
    assert "srv-ehr-01" in hosts and "10.1.0.1" in hosts
    apps = observer_client.get(reverse("applications")).content.decode()
    assert "Active Directory" in apps and "2 zones sur 3" in apps


def test_observers_see_no_change_controls(observer_client):
    for name in get_pages():
        html = observer_client.get(reverse(name)).content.decode()
        assert "hx-post" not in html, name


def test_directors_see_change_controls(director_client):
    assert "hx-post" in director_client.get(reverse("zones")).content.decode()
    assert "hx-post" in director_client.get(reverse("hosts")).content.decode()
    assert "hx-post" in director_client.get(reverse("flows")).content.decode()
    assert 'name="zone"' in director_client.get(reverse("board")).content.decode()


def test_the_host_list_searches_and_filters(observer_client, cast):
    from crisiscell.inventory.actions import set_host_state

    set_host_state(cast.director, host("srv-pacs-01").pk, "suspected")
    html = observer_client.get(reverse("hosts"), {"q": "pacs"}).content.decode()
    assert "srv-pacs-01" in html and "srv-ehr-01" not in html
    html = observer_client.get(reverse("hosts"), {"q": "ARL"}).content.decode()
    assert "ws-arl-001" in html and "srv-ehr-01" not in html
    html = observer_client.get(reverse("hosts"), {"state": "suspected"}).content.decode()
    assert "srv-pacs-01" in html and "srv-ad-01" not in html
    html = observer_client.get(reverse("hosts"), {"role": "workstation"}).content.decode()
    assert "ws-arl-001" in html and "srv-ad-01" not in html
    html = observer_client.get(reverse("hosts"), {"zone": "ARL-WS"}).content.decode()
    assert "ws-arl-001" in html and "srv-ad-01" not in html
    # A page number out of range shows the last page instead of failing.
    assert observer_client.get(reverse("hosts"), {"page": "999"}).status_code == 200
    assert observer_client.get(reverse("hosts"), {"page": "x"}).status_code == 200


def test_the_host_list_pages_by_hundred(observer_client):
    doc = dict(
        DOC,
        hosts=[
            *DOC["hosts"],
            *({"id": f"ws-{i:04d}", "zone": "ARL-WS", "role": "workstation"} for i in range(250)),
        ],
    )
    import_doc(doc)
    html = observer_client.get(reverse("hosts")).content.decode()
    assert html.count('<tr id="host-') == 100
    assert "page 1 sur 3" in html
    html = observer_client.get(reverse("hosts"), {"page": "3"}).content.decode()
    assert html.count('<tr id="host-') == 54


# --- changes --------------------------------------------------------------


def test_observers_get_403_on_every_change(observer_client):
    for url, data in post_routes():
        assert observer_client.post(url, data).status_code == 403, url
        assert observer_client.post(url, data, **HTMX).status_code == 403, url
    assert not m.Zone.objects.filter(isolated=True).exists()
    assert not m.Flow.objects.filter(blocked=True).exists()
    assert host("srv-ehr-01").state == "ok"
    assert not m.Group.objects.get().internet_cut


def test_a_user_without_role_gets_403(client, cast, group_map):
    client.force_login(cast.nobody)
    for url, data in post_routes():
        assert client.post(url, data).status_code == 403, url


def test_change_routes_refuse_get(director_client):
    for url, _ in post_routes():
        assert director_client.get(url).status_code == 405, url


def test_isolating_a_zone_takes_a_service_down_on_the_board(director_client):
    board = reverse("board-content")
    assert status_of(director_client.get(board).content.decode(), "ARL-URG") == "normal"
    response = director_client.post(
        reverse("zone-isolation", args=[zone("DC-SRV").pk]), {"isolated": "1"}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "network-changed"
    html = response.content.decode()
    assert 'id="zone-' in html and "Rétablir" in html  # the row, re-rendered
    assert 'hx-swap-oob="true"' in html and "2 services de soins se dégradent" in html
    assert zone("DC-SRV").isolated
    after = director_client.get(board).content.decode()
    assert status_of(after, "ARL-URG") == "down"
    assert status_of(after, "ARL-RAD") == "degraded"
    # Reconnected: back to normal.
    director_client.post(
        reverse("zone-isolation", args=[zone("DC-SRV").pk]), {"isolated": "0"}, **HTMX
    )
    assert status_of(director_client.get(board).content.decode(), "ARL-URG") == "normal"


def test_the_boards_zone_form_names_the_zone_in_a_field(director_client):
    response = director_client.post(
        reverse("zone-isolation-any"), {"zone": str(zone("ARL-WS").pk), "isolated": "1"}, **HTMX
    )
    assert response.status_code == 200
    assert zone("ARL-WS").isolated


def test_setting_a_host_state_blocking_a_flow_and_cutting_internet(director_client, cast):
    r = director_client.post(
        reverse("host-state", args=[host("srv-pacs-01").pk]), {"state": "compromised"}, **HTMX
    )
    assert r.status_code == 200 and r["HX-Trigger"] == "network-changed"
    h = host("srv-pacs-01")
    assert h.state == "compromised" and h.state_changed_by == cast.director
    assert "compromis" in r.content.decode()

    r = director_client.post(
        reverse("flow-blocking", args=[flow("ARL-WS", "DC-SRV").pk]), {"blocked": "1"}, **HTMX
    )
    assert r.status_code == 200
    assert flow("ARL-WS", "DC-SRV").blocked
    assert "bloqué" in r.content.decode()

    r = director_client.post(reverse("internet"), {"cut": "1"}, **HTMX)
    assert r.status_code == 200
    assert m.Group.objects.get().internet_cut
    assert "Internet coupé" in r.content.decode()
    assert "Rétablir internet" in r.content.decode()


def test_a_plain_form_post_redirects_back_with_a_message(director_client):
    url = reverse("zone-isolation", args=[zone("DC-SRV").pk])
    response = director_client.post(url, {"isolated": "1", "next": reverse("zones")})
    assert response.status_code == 302
    assert response["Location"] == reverse("zones")
    html = director_client.get(reverse("zones")).content.decode()
    assert "Zone DC-SRV isolée" in html
    # An outside address is not followed.
    response = director_client.post(url, {"isolated": "0", "next": "https://elsewhere.example/"})
    assert response["Location"] == reverse("board")


@pytest.mark.parametrize("htmx", [False, True])
def test_bad_input_is_a_clear_4xx_never_a_500(director_client, htmx):
    extra = HTMX if htmx else {}
    h, z, f = host("srv-ehr-01").pk, zone("DC-SRV").pk, flow("ARL-WS", "DC-SRV").pk
    cases = [
        (reverse("host-state", args=[h]), {"state": "melted"}, 400, "melted"),
        (reverse("host-state", args=[h]), {}, 400, "État d’hôte inconnu"),
        (reverse("host-state", args=[999999]), {"state": "off"}, 404, "999999"),
        (reverse("host-state", args=[10**20]), {"state": "off"}, 404, str(10**20)),
        (reverse("zone-isolation", args=[z]), {"isolated": "maybe"}, 400, "isolated"),
        (reverse("zone-isolation", args=[z]), {}, 400, "isolated"),
        (reverse("zone-isolation", args=[999999]), {"isolated": "1"}, 404, "999999"),
        (reverse("zone-isolation-any"), {"isolated": "1"}, 400, "Choisissez une zone"),
        (reverse("zone-isolation-any"), {"zone": str(10**20), "isolated": "1"}, 404, "zone"),
        (
            reverse("zone-isolation-any"),
            {"zone": "abc", "isolated": "1"},
            400,
            "Choisissez une zone",
        ),
        (reverse("flow-blocking", args=[f]), {"blocked": ""}, 400, "blocked"),
        (reverse("flow-blocking", args=[999999]), {"blocked": "1"}, 404, "999999"),
        (reverse("internet"), {"cut": "yes"}, 400, "cut"),
    ]
    for url, data, status, text in cases:
        response = director_client.post(url, data, **extra)
        assert response.status_code == status, (url, data, response.status_code)
        assert text in response.content.decode(), (url, data)
        if htmx:
            assert response["HX-Retarget"] == "#notice"
    assert director_client.post("/hosts/abc/state", {"state": "off"}).status_code == 404
    assert host("srv-ehr-01").state == "ok"
    assert not zone("DC-SRV").isolated


def test_cutting_internet_without_a_map_is_a_400(client, cast):
    client.force_login(cast.director)
    response = client.post(reverse("internet"), {"cut": "1"}, **HTMX)
    assert response.status_code == 400
    assert "Aucune carte" in response.content.decode()


def test_csrf_is_enforced(cast, group_map):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.director)
    response = strict.post(reverse("zone-isolation", args=[zone("DC-SRV").pk]), {"isolated": "1"})
    assert response.status_code == 403
    assert not zone("DC-SRV").isolated


def test_pages_carry_no_inline_script_or_style(director_client, cast):
    from crisiscell.inventory.actions import set_host_state

    set_host_state(cast.director, host("srv-ad-01").pk, "compromised")
    for name in get_pages():
        html = director_client.get(reverse(name)).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
        assert "style=" not in html, name
        assert not re.search(r"\son[a-z]+=", html), name
        assert "<style" not in html, name
        assert "http://" not in html and "https://" not in html, name


def test_a_missing_page_says_why_in_the_product_page(client, cast):
    client.force_login(cast.observer)
    page = client.get("/nowhere/")
    assert page.status_code == 404
    assert "Introuvable" in page.content.decode()
    assert "Cette page n’existe pas." in page.content.decode()
    plan = client.get("/continuity/plans/999/")
    assert plan.status_code == 404 and "Ce plan n’existe pas." in plan.content.decode()
