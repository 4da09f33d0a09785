"""The network picture pages: login, the picture inline, the SVG file, the situation shown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from crisiscell.inventory import models as m

pytestmark = pytest.mark.django_db


def svg_of(html: str) -> str:
    start, end = html.index("<svg xmlns"), html.index("</svg>", html.index("<svg xmlns")) + 6
    return html[start:end]


def test_anonymous_is_sent_to_login(client, group_map):
    for url in ("/network/", "/network/ARL/", "/network/picture.svg", "/network/ARL/picture.svg"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_the_urls_are_named():
    assert reverse("network") == "/network/"
    assert reverse("network-svg") == "/network/picture.svg"
    assert reverse("network-site", args=["ARL"]) == "/network/ARL/"
    assert reverse("network-site-svg", args=["ARL"]) == "/network/ARL/picture.svg"


@pytest.mark.parametrize("url", ["/network/", "/network/ARL/", "/network/DC/"])
def test_an_observer_reads_the_pictures(observer_client, url):
    response = observer_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    root = ET.fromstring(svg_of(html))  # noqa: S314 (our own output)
    assert root.get("role") == "img"
    assert 'href="/network/ARL/"' in html  # the site picker
    assert "<script>" not in html and "unsafe-inline" not in response["Content-Security-Policy"]


def test_the_group_page_offers_the_whole_group_and_its_file(director_client):
    html = director_client.get("/network/").content.decode()
    assert 'href="/network/picture.svg"' in html
    assert "ARL" in svg_of(html) and "DC" in svg_of(html)


def test_an_unknown_site_is_not_found(observer_client):
    assert observer_client.get("/network/NOPE/").status_code == 404
    assert observer_client.get("/network/NOPE/picture.svg").status_code == 404


def test_the_picture_shows_the_situation(director_client):
    m.Flow.objects.filter(source__code="ARL-WS", target__code="DC-SRV").update(blocked=True)
    m.Host.objects.filter(code="ws-arl-001").update(state="compromised")
    html = director_client.get("/network/ARL/").content.decode()
    svg = svg_of(html)
    assert "· 443;445" in svg and 'stroke-dasharray="7 5"' in svg
    assert 'fill="url(#np-hatch)"' in svg
    group = svg_of(director_client.get("/network/").content.decode())
    assert "1/1 " in group  # the one flow from ARL to DC is cut


def test_an_isolated_zone_and_the_internet_cut(director_client):
    m.Zone.objects.filter(code="DC-SRV").update(isolated=True)
    m.Group.objects.update(internet_cut=True)
    svg = svg_of(director_client.get("/network/DC/").content.decode())
    # DC-SRV and the internet zone: thick dashed borders; both flows of DC-SRV cut
    assert svg.count('stroke-width="4" stroke-dasharray="10 5"') == 2
    assert svg.count("<circle") == 2


@pytest.mark.parametrize(
    "url, name",
    [
        ("/network/picture.svg", "network.svg"),
        ("/network/ARL/picture.svg", "network-ARL.svg"),
    ],
)
def test_the_svg_file(observer_client, url, name):
    response = observer_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    body = response.content.decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(body.encode())  # noqa: S314 (our own output)
    assert root.find("{http://www.w3.org/2000/svg}title") is not None


def test_the_pages_refuse_changes(observer_client):
    assert observer_client.post("/network/ARL/").status_code == 405
