"""The main courante in the database: appended by every action, tamper-evident, exportable."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crisiscell import cli
from crisiscell.crisis import actions
from crisiscell.crisis.log import export, verify_crisis
from crisiscell.crisis.models import Crisis, LogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def crisis(cast) -> Crisis:
    crisis = actions.open_crisis(cast.director, "Rançongiciel — nuit du 23 mai")
    for i, kind in enumerate(["event", "decision", "action", "message_out", "meeting"] * 2):
        actions.write_entry(cast.director, kind=kind, text=f"entrée {i} — é ü 🚑")
    return crisis


def entry(crisis: Crisis, seq: int):
    return LogEntry.objects.filter(crisis=crisis, seq=seq)


def first_fault(crisis: Crisis):
    crisis.refresh_from_db()
    result = verify_crisis(crisis)
    assert not result.ok
    return result.first


def test_an_untouched_log_verifies(crisis):
    result = verify_crisis(crisis)
    assert result.ok and result.count == 11  # the opening entry and ten written ones
    crisis.refresh_from_db()
    assert result.head == crisis.head


def test_a_modified_entry_is_named(crisis):
    entry(crisis, 4).update(text="rien à signaler")
    fault = first_fault(crisis)
    assert (fault.kind, fault.seq) == ("modified", 4)


def test_a_modified_entry_with_its_hash_rewritten_is_caught(crisis):
    from crisiscell.engine import ledger

    row = entry(crisis, 4).get()
    forged = ledger.make_entry(
        ledger.Entry(
            crisis=crisis.uid,
            seq=3,
            at="",
            author="",
            role="",
            kind="event",
            text="",
            hash=row.prev_hash,
        ),
        crisis=crisis.uid,
        at=row.at,
        author=row.author,
        role=row.role,
        kind=row.kind,
        text="rien à signaler",
    )
    entry(crisis, 4).update(text=forged.text, hash=forged.hash)
    assert first_fault(crisis).kind == "modified"


def test_a_deleted_entry_is_named(crisis):
    entry(crisis, 6).delete()
    fault = first_fault(crisis)
    assert (fault.kind, fault.seq) == ("deleted", 6)


def test_deleting_the_last_entry_is_caught_against_the_head(crisis):
    entry(crisis, 11).delete()
    assert first_fault(crisis).kind == "head_mismatch"


def test_an_inserted_entry_is_named(crisis):
    for seq in range(11, 5, -1):  # make room at 6, as a forger would
        entry(crisis, seq).update(seq=seq + 1)
    genuine = entry(crisis, 5).get()
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                crisis=crisis,
                seq=6,
                at=genuine.at,
                author="director",
                role="crisis_director",
                kind="decision",
                text="Décision antidatée",
                links=[],
                prev_hash=genuine.hash,
                hash="f" * 64,
            )
        ]
    )
    fault = first_fault(crisis)
    assert (fault.kind, fault.seq) in {("inserted", 6), ("modified", 6)}
    assert any(f.kind == "inserted" and f.seq == 6 for f in verify_crisis(crisis).faults)


def test_reordered_entries_are_named(crisis):
    entry(crisis, 3).update(seq=1000)
    entry(crisis, 4).update(seq=3)
    entry(crisis, 1000).update(seq=4)
    fault = first_fault(crisis)
    assert fault.kind == "reordered"
    assert fault.seq in (3, 4)


def test_entries_are_never_edited_through_the_model(crisis):
    row = entry(crisis, 2).get()
    row.text = "autre"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()


def test_a_correction_is_a_new_entry_pointing_at_the_old_one(crisis, cast):
    wrong = entry(crisis, 3).get()
    fix = actions.write_entry(
        cast.director, kind="event", text="Correction : il s'agit d'ARL", corrects=wrong.hash
    )
    assert fix.corrects == wrong.hash and fix.seq == 12
    assert verify_crisis(crisis).ok
    with pytest.raises(ValidationError):
        actions.write_entry(cast.director, kind="event", text="x", corrects="0" * 64)


def test_every_network_change_writes_its_entry(crisis, cast):
    from crisiscell.engine.groupmap import parse_map
    from crisiscell.inventory import actions as network
    from crisiscell.inventory.importer import import_map
    from crisiscell.inventory.models import Host, Zone
    from tests.engine.test_groupmap import DOC

    import_map(parse_map(DOC))
    network.set_host_state(cast.it_lead, Host.objects.get(code="srv-pacs-01").pk, "compromised")
    network.set_zone_isolated(cast.director, Zone.objects.get(code="ARL-WS").pk, True)
    network.set_internet_cut(cast.director, True)
    last = list(LogEntry.objects.filter(crisis=crisis).order_by("-seq")[:3])
    assert [e.text for e in reversed(last)] == [
        "Hôte srv-pacs-01 : compromis",
        "Zone ARL-WS isolée",
        "Internet coupé",
    ]
    assert last[2].author == "it_lead" and last[2].role == "it_lead"
    assert "host:srv-pacs-01" in last[2].links
    assert verify_crisis(crisis).ok


def test_one_crisis_at_a_time_and_phases_are_logged(crisis, cast):
    with pytest.raises(ValidationError):
        actions.open_crisis(cast.director, "Une autre")
    actions.set_phase(cast.director, crisis.pk, "containment")
    actions.close_crisis(cast.director, crisis.pk)
    crisis.refresh_from_db()
    assert not crisis.active and crisis.closed_at and crisis.phase == "closed"
    assert list(crisis.phase_changes.values_list("phase", flat=True)) == [
        "detection",
        "containment",
        "closed",
    ]
    second = actions.open_crisis(cast.director, "Deuxième crise")
    assert second.active and verify_crisis(crisis).ok and verify_crisis(second).ok


def test_roles_gate_every_change(crisis, cast):
    with pytest.raises(PermissionDenied):
        actions.write_entry(cast.observer, kind="event", text="lecture seule")
    with pytest.raises(PermissionDenied):
        actions.set_phase(cast.it_lead, crisis.pk, "recovery")
    with pytest.raises(PermissionDenied):
        actions.open_crisis(cast.nobody, "x")
    assert LogEntry.objects.filter(crisis=crisis).count() == 11


def test_cli_contract(crisis, tmp_path, capsys):
    assert cli.main(["log", "add", "--kind", "event", "--text", "Police judiciaire sur place"]) == 0
    assert cli.main(["log", "verify"]) == 0
    out = tmp_path / "log.json"
    assert cli.main(["log", "export", "--out", str(out)]) == 0
    assert cli.main(["log", "verify-file", str(out)]) == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["count"] == 12 and doc["head"] == doc["entries"][-1]["hash"]
    doc["entries"][5]["text"] = "falsifié"
    out.write_text(json.dumps(doc), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["log", "verify-file", str(out)]) == 1
    assert "#6" in capsys.readouterr().err
    entry(crisis, 2).update(author="quelqu'un")
    assert cli.main(["log", "verify"]) == 1
    assert "#2" in capsys.readouterr().err
    assert cli.main(["log", "add", "--kind", "rumeur", "--text", "x"]) == 2
    assert cli.main(["crisis", "open", "--title", "Deux"]) == 2
    assert cli.main(["log", "verify", "--crisis", "999"]) == 2


def test_export_is_the_chain(crisis):
    doc = export(crisis)
    assert [e["seq"] for e in doc["entries"]] == list(range(1, 12))
    assert doc["crisis"]["uid"] == crisis.uid
