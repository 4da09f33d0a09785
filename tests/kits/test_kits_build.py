"""Downtime kits from the database: every unit's kit written to the export folders with its
manifest, encrypted under the site's password when it names a patient, never half-written;
the census imported all or nothing; the schedule's lease; print now; the password sheet."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import timedelta

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crisiscell.engine.census import CensusInvalid
from crisiscell.kits import build, census, schedule
from crisiscell.kits.models import Inpatient, Kit, KitRound, SitePassword
from tests.web.conftest import DOC, import_doc

pytestmark = pytest.mark.django_db

CENSUS = (
    "patient_id,name,service,room,bed,birth_date,sex,admitted,allergies,alerts\n"
    "IP-1,Jeanne Dupont,ARL-URG,Box 3,,1950-04-02,F,2026-12-01T22:10:00+01:00,"
    "Pénicilline|Latex,Anticoagulé (AVK)\n"
    "IP-2,Marc Lambert,ARL-URG,Box 4,,1982-11-20,M,2026-12-02T01:40:00+01:00,,\n"
)


def text(pdf: bytes, password: str = "") -> str:
    args = ["pdftotext", "-layout"] + (["-upw", password] if password else []) + ["-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.fixture(autouse=True)
def _map(db):
    from crisiscell.web import impact_cache

    impact_cache.clear()
    import_doc(DOC)
    census.store(
        None, census.read_census(CENSUS.encode(), "c.csv", ["ARL-URG", "ARL-RAD"]), "c.csv"
    )
    yield
    impact_cache.clear()


def test_every_unit_gets_its_kit_with_a_manifest(tmp_path):
    a, b = tmp_path / "pc1", tmp_path / "usb"
    result = build.build([a, b])
    assert sorted(m.unit for m in result.made) == ["ARL-RAD", "ARL-URG"]
    password = SitePassword.objects.get(site="ARL").password
    for folder in (a, b):
        manifest = json.loads((folder / "manifest.json").read_text())
        assert {e["unit"]: e["encrypted"] for e in manifest["files"]} == {
            "ARL-URG": True,  # names patients
            "ARL-RAD": False,  # no patient present, no appointment: nothing to hide
        }
        for entry in manifest["files"]:
            data = (folder / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert entry["site"] == "ARL"
        assert not list(folder.rglob(".part-*"))  # no temporary file left behind
    urg = (a / "ARL/ARL_ARL-URG.pdf").read_bytes()
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(a / "ARL/ARL_ARL-URG.pdf")  # no password: nothing readable
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(a / "ARL/ARL_ARL-URG.pdf", password="wrong-password")
    assert b"Dupont" not in urg
    words = text(urg, password)
    assert "Jeanne Dupont" in words and "Pénicilline" in words and "Anticoagulé" in words
    assert "Urgences" in words
    assert "Radiologie" in text((a / "ARL/ARL_ARL-RAD.pdf").read_bytes())
    kit = Kit.objects.get(unit="ARL-URG")
    assert (kit.patients, kit.encrypted, kit.pages) == (2, True, result.made[1].pages)


def test_the_password_stays_until_renewed(tmp_path):
    build.build([tmp_path])
    first = SitePassword.objects.get(site="ARL").password
    build.build([tmp_path])
    assert SitePassword.objects.get(site="ARL").password == first
    from crisiscell.kits import passwords

    new = passwords.renew("ARL")
    assert new != first
    build.build([tmp_path])
    assert "Jeanne Dupont" in text((tmp_path / "ARL/ARL_ARL-URG.pdf").read_bytes(), new)


def test_a_failed_write_leaves_the_old_kits_whole(tmp_path, monkeypatch):
    build.build([tmp_path])
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    calls = {"n": 0}
    real = build.os.replace

    def failing(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(build.os, "replace", failing)
    with pytest.raises(build.KitError, match="No space left"):
        build.build([tmp_path])
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    # the first file was replaced whole, the manifest was not rewritten, nothing is torn
    assert set(after) == set(before)
    assert after[tmp_path / "manifest.json"] == before[tmp_path / "manifest.json"]
    for path in after:
        if path.suffix == ".pdf":
            password = SitePassword.objects.get().password if "URG" in path.name else ""
            pikepdf.open(path, password=password).close()


def test_only_some_sites_and_unknown_ones(tmp_path):
    with pytest.raises(build.KitError, match="NOPE"):
        build.build([tmp_path], sites=["NOPE"])
    assert not list(tmp_path.iterdir())
    result = build.build([tmp_path], sites=["DC"])
    assert result.made == []  # a datacenter has no care unit


def test_a_bad_census_changes_nothing(client, cast):
    from crisiscell.crisis.roles import ensure_roles

    ensure_roles()
    cast.director.refresh_from_db()
    bad = CENSUS + "IP-3,X,NOWHERE,1,,1990-01-01,F,,,\nIP-1,Y,ARL-URG,2,,19900101,F,,,\n"
    with pytest.raises(CensusInvalid) as info:
        census.import_census(cast.director, bad.encode(), "c.csv")
    where = " ".join(str(e) for e in info.value.errors)
    assert "line 4" in where and "NOWHERE" in where and "line 5" in where
    assert Inpatient.objects.count() == 2  # the census before the file is still there
    client.force_login(cast.director)
    upload = SimpleUploadedFile("c.csv", bad.encode(), content_type="text/csv")
    response = client.post("/kits/census", {"file": upload})
    assert response.status_code == 400 and "NOWHERE" in response.content.decode()
    assert Inpatient.objects.count() == 2
    good = SimpleUploadedFile("c.csv", CENSUS.replace("IP-2", "IP-9").encode())
    assert client.post("/kits/census", {"file": good}).status_code == 302
    assert sorted(Inpatient.objects.values_list("patient_id", flat=True)) == ["IP-1", "IP-9"]


def test_one_round_at_a_time_and_freshness(settings, tmp_path):
    settings.KIT_FOLDERS = [tmp_path]
    settings.KIT_EVERY_MINUTES = 15
    assert all(f.stale for f in schedule.freshness())  # never made
    assert "2 kits written" in schedule.run_if_due(holder="a")
    assert schedule.run_if_due(holder="b") is None  # not due yet
    assert not any(f.stale for f in schedule.freshness())
    # an hour later the kits are stale (older than twice 15 minutes) and a round is due
    Kit.objects.update(generated_at=timezone.now() - timedelta(hours=1))
    KitRound.objects.update(started_at=timezone.now() - timedelta(hours=1))
    assert all(f.stale for f in schedule.freshness())
    # someone else holds the lease: no second round at the same time
    KitRound.objects.update(lease_until=timezone.now() + timedelta(minutes=5))
    assert schedule.run_if_due(holder="c") is None
    KitRound.objects.update(lease_until=None)
    assert schedule.run_if_due(holder="c") is not None
    assert KitRound.objects.get().error == ""


def test_print_now_and_the_password_sheet(client, cast):
    from crisiscell.crisis.roles import ensure_roles

    ensure_roles()
    client.force_login(cast.observer)
    assert client.get("/kits/").status_code == 200
    assert client.post("/kits/print", {"site": "ARL", "unit": "ARL-URG"}).status_code == 403
    assert client.get("/kits/passwords.pdf").status_code == 403
    client.force_login(cast.director)
    page = client.post("/kits/print", {"site": "ARL", "unit": "ARL-URG"})
    assert page.status_code == 200
    password = page.context["password"]
    link = page.context["download"]
    pdf = client.get(link)
    assert pdf.status_code == 200 and pdf["Cache-Control"] == "no-store"
    assert "Jeanne Dupont" in text(pdf.content, password)
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(__import__("io").BytesIO(pdf.content))
    assert client.get(link).status_code == 410  # the link works once
    site = client.post("/kits/print", {"site": "ARL"})
    whole = client.get(site.context["download"])
    words = text(whole.content, site.context["password"])
    assert "Urgences" in words and "Radiologie" in words
    assert client.post("/kits/print", {"site": "ARL", "unit": "NOPE"}).status_code == 400
    sheet = client.get("/kits/passwords.pdf")
    assert sheet.status_code == 200
    assert SitePassword.objects.get(site="ARL").password in text(sheet.content)


def test_the_board_says_when_kits_are_stale(client, cast, tmp_path):
    client.force_login(cast.observer)
    assert "2 services n’ont pas de kit à jour" in client.get("/").content.decode()
    build.build([tmp_path])
    assert "les 2 kits sont à jour" in client.get("/").content.decode()


def test_reflex_cards_are_edited_per_kind_and_printed(client, cast, tmp_path):
    from crisiscell.crisis.roles import ensure_roles
    from crisiscell.kits.models import ReflexCard

    ensure_roles()
    client.force_login(cast.observer)
    assert client.get("/kits/cards/emergency").status_code == 200
    assert client.post("/kits/cards/emergency/save", {"markdown": "# X"}).status_code == 403
    client.force_login(cast.director)
    assert client.get("/kits/cards/nothing").status_code == 404
    assert client.post("/kits/cards/emergency/save", {"markdown": "  "}).status_code == 400
    card = "# Urgences — mode dégradé\n\n- [ ] Appeler le **bip 4412** #panic $x$\n"
    assert client.post("/kits/cards/emergency/save", {"markdown": card}).status_code == 302
    build.build([tmp_path])
    words = text(
        (tmp_path / "ARL/ARL_ARL-URG.pdf").read_bytes(), SitePassword.objects.get().password
    )
    assert "bip 4412" in words and "#panic $x$" in words  # printed as written, never run
    assert client.post("/kits/cards/emergency/save", {"reset": "1"}).status_code == 302
    assert not ReflexCard.objects.exists()


def test_the_schedule_follows_the_approved_plan(client, cast, settings):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from crisiscell.continuity.models import PlanRow
    from crisiscell.inventory.snapshot import load_map
    from crisiscell.kits import gather
    from tests.continuity.test_plans import appointments_csv, start, upload

    settings.CONTINUITY_SYNCHRONOUS = True
    client.force_login(cast.scheduler)
    upload(client, appointments_csv())  # radiology, Monday 7 and Tuesday 8 December
    monday = datetime(2026, 12, 7, 7, 0, tzinfo=ZoneInfo("Europe/Brussels"))

    def planned(now):
        (kit,) = gather.kits(load_map(), now, units=["ARL-RAD"])
        return {(i.patient_id, i.start.date().isoformat()) for i in kit.schedule}

    before = planned(monday)
    assert len(before) == 24  # as the services had planned them
    start(client)  # radiology down on both days: everything moves
    plan_id = client.get("/continuity/").context["plan"].pk
    assert planned(monday) == before  # a plan not approved changes nothing on paper
    client.post(f"/continuity/plans/{plan_id}/approve", {"expected_status": "ready"})
    moved = {
        (r.appointment.patient_id, r.new_start.astimezone(ZoneInfo("Europe/Brussels")).date())
        for r in PlanRow.objects.filter(decision="moved").select_related("appointment")
    }
    after = planned(monday)  # Monday to Thursday
    assert after and not any(day in ("2026-12-07", "2026-12-08") for _, day in after)
    assert after == {(p, d.isoformat()) for p, d in moved if d.isoformat() <= "2026-12-10"}


def test_a_round_failing_while_making_its_kits_changes_no_file(tmp_path, monkeypatch):
    from crisiscell.documents import DocumentError

    build.build([tmp_path])
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    real = build.render_pdf
    calls = {"n": 0}

    def failing(template, data, **options):
        calls["n"] += 1
        if calls["n"] == 2:
            raise DocumentError("kit: layout failed")
        return real(template, data, **options)

    monkeypatch.setattr(build, "render_pdf", failing)
    with pytest.raises(DocumentError):
        build.build([tmp_path])
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before  # the first kit, made, was not put in place: no mixed round
