"""The directory in the database: the import is an all-or-nothing upsert by code, the
export gives the same file back, and a bad file changes nothing, not one row.

Files go through the real command (`crisiscell directory import`) too, which must exit 2,
print every error with its line and column, and leave the directory as it was.
"""

from __future__ import annotations

import copy

import pytest

from crisiscell.cli import main
from crisiscell.crisis import actions as crisis_actions
from crisiscell.crisis.models import LogEntry
from crisiscell.directory.actions import import_file
from crisiscell.directory.importer import export_contacts, import_contacts
from crisiscell.directory.models import Contact
from crisiscell.engine.contacts_csv import ContactsInvalid, parse_contacts
from crisiscell.engine.groupmap import MapInvalid, parse_map
from crisiscell.inventory import models as m
from crisiscell.inventory.importer import import_map
from tests.web.conftest import DOC

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    """Every contact, every column: what 'nothing changed' compares."""
    return list(Contact.objects.order_by("code").values_list())


def edit(data: bytes, old: str, new: str) -> bytes:
    text = data.decode()
    assert old in text, old
    return text.replace(old, new, 1).encode()


def test_the_example_imports_into_the_map(group_map, example):
    counts = import_file(None, example, name="contacts.csv")
    assert (counts.created, counts.updated, counts.unchanged, counts.deleted) == (18, 0, 0, 0)
    urg = Contact.objects.get(code="ARL-URG-POSTE")
    assert urg.site.code == "ARL" and urg.service.code == "ARL-URG"
    assert urg.phone == "063 23 14 20" and urg.phone_alt == "4512"
    assert Contact.objects.get(code="EXT-ZP").site.code == "ARL"
    assert Contact.objects.get(code="CELL-DIRECTEUR").site is None


def test_export_then_import_changes_nothing(loaded):
    before = snapshot()
    exported = export_contacts()
    assert parse_contacts(exported) == parse_contacts(loaded)
    counts = import_file(None, exported, replace=True)
    assert (counts.created, counts.updated, counts.deleted) == (0, 0, 0)
    assert counts.unchanged == 18
    assert snapshot() == before
    assert export_contacts() == exported


def test_a_second_import_updates_by_code_and_keeps_the_others(loaded):
    changed = edit(loaded, "063 23 14 20;4512", "063 23 14 29;4519")
    changed += b"ARL-NEW;internal;;ARL;;Pharmacie;;063 23 16 00;;;24/7;;9\n"
    counts = import_file(None, changed)
    assert (counts.created, counts.updated, counts.unchanged, counts.deleted) == (1, 1, 17, 0)
    assert Contact.objects.get(code="ARL-URG-POSTE").phone == "063 23 14 29"
    assert Contact.objects.count() == 19


def test_replace_deletes_what_the_file_does_not_name(loaded):
    header, first, *_rest = loaded.decode().splitlines()
    counts = import_file(None, f"{header}\n{first}\n".encode(), replace=True)
    assert counts.deleted == 17 and counts.unchanged == 1
    assert list(Contact.objects.values_list("code", flat=True)) == ["CELL-SALLE"]


def test_replace_with_an_empty_file_is_refused(loaded):
    before = snapshot()
    header = loaded.decode().splitlines()[0]
    with pytest.raises(ContactsInvalid) as caught:
        import_file(None, f"{header}\n".encode(), replace=True)
    assert "would empty it" in str(caught.value)
    assert snapshot() == before
    # without --replace, a file of no contact is harmless
    assert import_file(None, f"{header}\n".encode()).changed is False


URG = ";ARL;ARL-URG;Poste"  # line 7 of the example


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (URG, ";ARX;ARL-URG;Poste", "line 7, column site: unknown site 'ARX'"),
        (URG, ";ARL;ARL-UR;Poste", "line 7, column service: unknown care service 'ARL-UR'"),
        (
            URG,
            ";DC;ARL-URG;Poste",
            "line 7, column service: care service ARL-URG belongs to site ARL, not DC",
        ),
        (";ARL;;Zone", ";NOWHERE;;Zone", "line 14, column site: unknown site 'NOWHERE'"),
    ],
)
def test_unknown_sites_and_services_are_named_by_line_and_nothing_is_written(
    loaded, old, new, expected
):
    before = snapshot()
    bad = edit(edit(loaded, "063 23 14 20", "063 23 14 99"), old, new)
    with pytest.raises(ContactsInvalid) as caught:
        import_file(None, bad)
    assert [str(e) for e in caught.value.errors] == [f"contacts.csv {expected}"]
    assert snapshot() == before  # not even the good change of line 7's number


def test_every_kind_of_fault_at_once_writes_nothing(group_map, example):
    assert Contact.objects.count() == 0
    bad = edit(example, "063 23 14 20", "063 23 14 2O")  # letter O: line 7
    bad = edit(bad, "ARL-DIR;internal;;ARL", "ARL-DIR;internal;;XYZ")  # line 5: unknown site
    bad += b"ARL-DIR;internal;;ARL;;Doublon;;4512;;;;;\n"  # line 20: duplicate code
    with pytest.raises(ContactsInvalid) as caught:
        import_file(None, bad)
    errors = [str(e) for e in caught.value.errors]
    # the file's own faults come first: sites are looked up once the file reads
    assert errors[0].startswith("contacts.csv line 7, column phone: '063 23 14 2O'")
    assert errors[1].startswith("contacts.csv line 20, column code: code 'ARL-DIR'")
    assert Contact.objects.count() == 0
    assert LogEntry.objects.count() == 0


def test_a_crisis_under_way_logs_the_import_once(cast, loaded):
    crisis = crisis_actions.open_crisis(cast.director, "Cyberattaque")
    entries = LogEntry.objects.filter(crisis=crisis).count()
    import_file(cast.director, edit(loaded, "063 23 14 20", "063 23 14 21"), name="annuaire.csv")
    texts = list(
        LogEntry.objects.filter(crisis=crisis).order_by("seq").values_list("text", flat=True)
    )
    assert len(texts) == entries + 1
    assert "annuaire.csv" in texts[-1] and "1" in texts[-1]
    # an import that changes nothing writes nothing in the log
    import_file(cast.director, edit(loaded, "063 23 14 20", "063 23 14 21"))
    assert LogEntry.objects.filter(crisis=crisis).count() == entries + 1


def test_an_observer_may_not_import(cast, group_map, example):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_file(cast.observer, example)
    assert Contact.objects.count() == 0


# --- the map and the directory -------------------------------------------------


def test_a_site_with_contacts_cannot_leave_the_map(loaded):
    doc = copy.deepcopy(DOC)
    doc["sites"] = [s for s in doc["sites"] if s["id"] != "DC"]
    doc["zones"] = [z for z in doc["zones"] if z.get("site") != "DC"]
    # keep the map valid without DC: its hosts move to a zone of ARL
    doc["zones"].append({"id": "ARL-SRV", "site": "ARL", "kind": "servers"})
    doc["hosts"] = [dict(h, zone="ARL-SRV") if h["zone"] == "DC-SRV" else h for h in doc["hosts"]]
    doc["flows"] = [{"from": "ARL-WS", "to": "ARL-SRV"}]
    before = snapshot()
    with pytest.raises(MapInvalid) as caught:
        import_map(parse_map(doc))
    assert "DC-NOC" in str(caught.value)
    assert m.Site.objects.filter(code="DC").exists()
    assert snapshot() == before


def test_a_care_service_leaving_the_map_leaves_its_contacts_at_the_site(loaded):
    doc = copy.deepcopy(DOC)
    doc["services"] = [s for s in doc["services"] if s["id"] != "ARL-RAD"]
    import_map(parse_map(doc))
    sec = Contact.objects.get(code="ARL-RAD-SEC")
    assert sec.service is None and sec.site.code == "ARL"


# --- the command -----------------------------------------------------------------


def test_the_command_imports_and_exports(loaded, tmp_path, capsys):
    out = tmp_path / "annuaire.csv"
    assert main(["directory", "export", "--out", str(out)]) == 0
    assert parse_contacts(out.read_bytes()) == parse_contacts(loaded)
    assert main(["directory", "import", str(out), "--replace"]) == 0
    assert "0 added, 0 changed, 18 unchanged, 0 deleted" in capsys.readouterr().out


def test_the_command_exits_2_with_every_error_and_writes_nothing(loaded, tmp_path, capsys):
    before = snapshot()
    bad = edit(edit(loaded, "063 23 14 20", "063 23 14 2O"), ";ARL;;Zone", ";ARX;;Zone")
    bad += b"X;robot;;;;;;;;;;;\n"
    path = tmp_path / "annuaire.csv"
    path.write_bytes(bad)
    assert main(["directory", "import", str(path), "--replace"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: 4 error(s), nothing was imported" in err
    assert "error: annuaire.csv line 7, column phone:" in err
    assert "error: annuaire.csv line 20, column kind: unknown kind 'robot'" in err
    assert "error: annuaire.csv line 20, column name: required, and empty" in err
    assert "error: annuaire.csv line 20, column phone: required, and empty" in err
    assert snapshot() == before
    # unknown sites are found once the file itself reads
    path.write_bytes(edit(loaded, ";ARL;;Zone", ";ARX;;Zone"))
    assert main(["directory", "import", str(path)]) == 2
    assert "error: annuaire.csv line 14, column site: unknown site 'ARX'" in capsys.readouterr().err
    assert snapshot() == before


def test_the_command_names_a_missing_file(db, tmp_path, capsys):
    assert main(["directory", "import", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: cannot read the file" in capsys.readouterr().err


def test_importing_the_demo_directory_into_the_demo_map(db):
    from crisiscell.engine import demo_directory, demo_map

    gm = parse_map(demo_map.generate(seed=1))
    import_map(gm)
    contacts = demo_directory.generate(gm, seed=1)
    counts = import_contacts(contacts)
    assert counts.created == len(contacts) == Contact.objects.count()
    assert not Contact.objects.filter(kind="internal", site__isnull=True).exists()


def test_a_failure_halfway_through_the_writes_rolls_everything_back(loaded, monkeypatch):
    """Updates are written before creations: break the creations, and the updates go too."""
    before = snapshot()
    changed = edit(loaded, "063 23 14 20", "063 23 14 29")
    changed += b"ARL-NEW;internal;;ARL;;Pharmacie;;063 23 16 00;;;24/7;;9\n"

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Contact.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        import_file(None, changed, replace=True)
    assert snapshot() == before
