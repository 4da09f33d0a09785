"""The crisis log's hash chain: entries, the canonical encoding, and tamper detection.

Tampering is done the way it would be in a database: on the stored entries (dataclasses
replaced, entries removed or slipped in, seq values changed and the rows read back by seq).
Each kind must be detected and named, with the seq of the entry at fault.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from unittest import mock

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crisiscell.engine import ledger
from crisiscell.engine.ledger import (
    CANONICAL_DESCRIPTION,
    ENTRY_KEYS,
    FAULT_KINDS,
    FORMAT,
    GENESIS,
    KINDS,
    PARALLEL_MIN,
    Entry,
    Fault,
    _rows,
    _scan,
    _scan_parallel,
    _workers,
    canonical,
    entry_hash,
    export_document,
    format_time,
    make_entry,
    verify,
    verify_document,
)

CRISIS = "5f0c2a1e9b7d4c3a8e6f1d2b3c4a5e6f"
OTHER = "0123456789abcdef0123456789abcdef"
T0 = datetime(2026, 11, 26, 2, 31, 7, 123456, tzinfo=UTC)


def chain(n: int, crisis: str = CRISIS, start: datetime = T0) -> list[Entry]:
    out: list[Entry] = []
    prev = None
    for i in range(n):
        prev = make_entry(
            prev,
            crisis=crisis,
            at=format_time(start + timedelta(seconds=37 * i)),
            author=("jdupont", "mlambert", "")[i % 3],
            role=("crisis_director", "it_lead", "system")[i % 3],
            kind=KINDS[i % len(KINDS)],
            text=f"Entrée n°{i + 1} : le serveur srv-{i:03d} est isolé.",
            links=[f"host:srv-{i:03d}", "site:ARL"][: i % 3],
        )
        out.append(prev)
    return out


def forged(prev: Entry | None, crisis: str = CRISIS, text: str = "Rien à signaler.") -> Entry:
    return make_entry(
        prev,
        crisis=crisis,
        at="2026-11-26T05:00:00.000000Z",
        author="intrus",
        role="crisis_director",
        kind="decision",
        text=text,
    )


def rehash(e: Entry) -> Entry:
    return replace(e, hash=entry_hash(e))


def shifted(entries: list[Entry], by: int = 1) -> list[Entry]:
    return [replace(e, seq=e.seq + by) for e in entries]


def by_seq(entries: list[Entry]) -> list[Entry]:
    """What the database gives back: the rows ordered by seq (stable on ties)."""
    return sorted(entries, key=lambda e: e.seq)


def found(v) -> list[tuple[str, int | None]]:
    return [(f.kind, f.seq) for f in v.faults]


# ---------------------------------------------------------------------------
# Entries and the encoding
# ---------------------------------------------------------------------------


def test_make_entry_chains_and_normalises():
    first = make_entry(
        None,
        crisis=CRISIS,
        at="2026-11-26T02:31:07.123456Z",
        author="jdupont",
        role="crisis_director",
        kind="event",
        text="Alerte EDR sur srv-ehr-01.",
        links=["site:ARL", "host:srv-ehr-01", "site:ARL"],
    )
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert first.links == ("host:srv-ehr-01", "site:ARL")
    assert first.hash == entry_hash(first) == hashlib.sha256(canonical(first)).hexdigest()
    second = forged(first)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert verify([first, second]).ok


def test_canonical_encoding_is_pinned():
    """Golden values: changing the encoding breaks every log already handed out."""
    first = make_entry(
        None,
        crisis="0123456789abcdef0123456789abcdef",
        at="2026-11-26T02:31:07.123456Z",
        author="jdupont",
        role="crisis_director",
        kind="decision",
        text='Isolement de la zone "ARL-WS" décidé.\nMotif : propagation.',
        links=["site:ARL", "flow:ARL-WS->DC-SRV", "site:ARL"],
    )
    expected = (
        '{"at":"2026-11-26T02:31:07.123456Z","author":"jdupont","corrects":null,'
        '"crisis":"0123456789abcdef0123456789abcdef","kind":"decision",'
        '"links":["flow:ARL-WS->DC-SRV","site:ARL"],'
        '"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
        '"role":"crisis_director",'
        '"text":"Isolement de la zone \\"ARL-WS\\" décidé.\\nMotif : propagation."}'
    ).encode()
    assert canonical(first) == expected
    golden = "e9fec952486ecf649cff49336617a98ff5385686a465ccf0a03cbcf170a9645e"
    assert hashlib.sha256(expected).hexdigest() == golden
    assert first.hash == entry_hash(first) == golden

    second = make_entry(
        first,
        crisis="0123456789abcdef0123456789abcdef",
        at="2026-11-26T02:45:00.000000Z",
        author="",
        role="system",
        kind="event",
        text="Correction : zone ARL-WS2 \\ ✓",
        corrects=first.hash,
    )
    assert canonical(second) == (
        '{"at":"2026-11-26T02:45:00.000000Z","author":"","corrects":"' + golden + '",'
        '"crisis":"0123456789abcdef0123456789abcdef","kind":"event","links":[],'
        '"prev_hash":"' + golden + '","role":"system","text":"Correction : zone ARL-WS2 \\\\ ✓"}'
    ).encode("utf-8")
    assert second.hash == "d2bc7e9630ca9265c3bfb1406aad01c88b53ee2d0c18baac810529e13556d976"


def test_canonical_control_characters_use_lowercase_escapes():
    e = replace(chain(1)[0], text="a\x01b\x1fc\td\re\x7f")
    assert b'"text":"a\\u0001b\\u001fc\\td\\re\x7f"' in canonical(e)


def test_format_time():
    assert format_time(T0) == "2026-11-26T02:31:07.123456Z"
    brussels = timezone(timedelta(hours=1))
    assert format_time(datetime(2026, 11, 26, 3, 31, 7, tzinfo=brussels)) == (
        "2026-11-26T02:31:07.000000Z"
    )
    assert format_time(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000000Z"
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2026, 11, 26, 2, 31))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "rumour"}, "kind 'rumour': expected one of event, decision"),
        ({"at": "2026-11-26 02:31:07"}, "at '2026-11-26 02:31:07': expected a UTC time"),
        ({"at": "2026-02-30T02:31:07.000000Z"}, "not a real date"),
        ({"text": "   \n"}, "text: an entry needs a text"),
        ({"text": "bell\x07"}, "control character U\\+0007 at position 4"),
        ({"text": "half \ud800 pair"}, "lone surrogate"),
        ({"links": ["ARL"]}, "link 'ARL': expected 'kind:value'"),
        ({"links": "site:ARL"}, "links: expected a list of strings"),
        ({"links": ["site: ARL "]}, "link 'site: ARL '"),
        ({"corrects": "abc"}, "corrects 'abc': expected the hash"),
        ({"crisis": "c-1"}, "crisis 'c-1': expected the crisis's uid"),
        ({"author": "a\nb"}, "author 'a\\\\nb': control characters"),
    ],
)
def test_make_entry_rejects_with_a_clear_message(change, message):
    fields = {
        "crisis": CRISIS,
        "at": "2026-11-26T02:31:07.123456Z",
        "author": "jdupont",
        "role": "crisis_director",
        "kind": "event",
        "text": "Alerte.",
    }
    with pytest.raises(ValueError, match=message):
        make_entry(None, **{**fields, **change})


def test_make_entry_keeps_entries_in_their_crisis():
    first = chain(1)[0]
    with pytest.raises(ValueError, match="cannot move between crises"):
        forged(first, crisis=OTHER)


# ---------------------------------------------------------------------------
# Verification: each kind of tampering, named with its seq
# ---------------------------------------------------------------------------


def test_an_intact_chain_verifies():
    entries = chain(12)
    v = verify(entries, crisis=CRISIS, expected_head=entries[-1].hash, expected_count=12)
    assert (v.ok, v.count, v.head, v.faults, v.first) == (True, 12, entries[-1].hash, [], None)


def test_an_empty_chain():
    assert verify([]) == verify([], expected_head=GENESIS, expected_count=0)
    assert verify([]).head == GENESIS and verify([]).ok
    v = verify([], expected_head="ab" * 32, expected_count=3)
    assert found(v) == [("head_mismatch", 1)]
    assert "every entry was deleted" in v.first.message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", "Rien à signaler."),
        ("author", "quelquun"),
        ("role", "observer"),
        ("at", "2026-11-26T09:00:00.000000Z"),
        ("kind", "decision"),
        ("links", ("site:LIB",)),
        ("corrects", "ab" * 32),
        ("prev_hash", "cd" * 32),
        ("crisis", OTHER),
        ("hash", "ef" * 32),
    ],
)
def test_modified_field_is_named(field, value):
    entries = chain(12)
    entries[6] = replace(entries[6], **{field: value})
    v = verify(entries)
    assert found(v) == [("modified", 7)]
    if field != "hash":
        assert v.first.message == "entry #7 was modified: its content no longer matches its hash"


def test_modified_with_its_hash_rewritten_breaks_the_next_link():
    entries = chain(12)
    entries[6] = rehash(replace(entries[6], text="Rien à signaler."))
    v = verify(entries)
    assert found(v) == [("modified", 7)]
    assert "its hash rewritten: entry #8 points to a hash" in v.first.message


def test_modified_prev_hash_with_hash_rewritten_names_that_entry():
    entries = chain(12)
    entries[6] = rehash(replace(entries[6], prev_hash="cd" * 32))
    assert found(verify(entries)) == [("modified", 7)]


def test_last_entry_rewritten_is_caught_against_the_head_only():
    entries = chain(12)
    head = entries[-1].hash
    entries[-1] = rehash(replace(entries[-1], text="Rien à signaler."))
    assert verify(entries).ok  # the documented limit
    assert found(verify(entries, expected_head=head)) == [("head_mismatch", 12)]
    entries[-1] = rehash(replace(entries[-1], prev_hash="cd" * 32))
    assert found(verify(entries, expected_head=head)) == [
        ("modified", 12),
        ("head_mismatch", 12),
    ]


@pytest.mark.parametrize("where", [0, 5, 10])
def test_deleted_entry_is_named(where):
    entries = chain(12)
    del entries[where]
    v = verify(entries)
    assert found(v) == [("deleted", where + 1)]
    assert v.first.message.startswith(f"entry #{where + 1} was deleted: entry #{where + 2} ")


def test_deleted_entries_in_a_row():
    entries = chain(12)
    del entries[4:7]
    v = verify(entries)
    assert found(v) == [("deleted", 5)]
    assert v.first.message.startswith("entries #5 to #7 were deleted")


def test_deleted_last_entry_is_caught_against_the_head_and_count():
    entries = chain(12)
    head = entries[-1].hash
    del entries[-1]
    assert verify(entries).ok  # the documented limit
    v = verify(entries, expected_head=head, expected_count=12)
    assert found(v) == [("head_mismatch", 12)]
    assert "entry #12 at the end was deleted" in v.first.message
    assert found(verify(entries, expected_count=12)) == [("head_mismatch", None)]


def test_deleted_with_later_seq_renumbered_is_still_caught():
    entries = chain(12)
    entries = entries[:5] + shifted(entries[6:], -1)
    v = verify(entries, expected_count=12)
    assert not v.ok
    assert found(v)[0] == ("modified", 5)  # the link from #6 (formerly #7) names no entry
    assert found(v)[-1] == ("head_mismatch", None)


@pytest.mark.parametrize("seq_shifted", [True, False])
def test_inserted_entry_is_named(seq_shifted):
    entries = chain(12)
    fake = forged(entries[4])  # seq 6, prev_hash of entry #5: a valid-looking link
    later = shifted(entries[5:]) if seq_shifted else entries[5:]
    v = verify(entries[:5] + [fake] + later)
    assert found(v) == [("inserted", 6)]
    assert "(2026-11-26T05:00:00.000000Z, by intrus) was inserted" in v.first.message


@pytest.mark.parametrize(
    "prev_hash",
    ["cd" * 32, GENESIS, "later", "first"],
    ids=["unknown", "genesis", "later", "first"],
)
def test_inserted_entry_with_any_prev_hash(prev_hash):
    entries = chain(12)
    prev_hash = {"later": entries[9].hash, "first": entries[0].hash}.get(prev_hash, prev_hash)
    fake = rehash(replace(forged(entries[4]), prev_hash=prev_hash))
    assert found(verify(entries[:5] + [fake] + shifted(entries[5:]))) == [("inserted", 6)]


def test_inserted_entry_with_a_wrong_hash():
    entries = chain(12)
    fake = replace(forged(entries[4]), hash="ef" * 32)
    v = verify(entries[:5] + [fake] + shifted(entries[5:]))
    assert found(v) == [("inserted", 6)]
    assert "its hash does not even match its content" in v.first.message


def test_inserted_branch_of_forged_entries():
    entries = chain(12)
    one = forged(entries[4])
    two = forged(one, text="Toujours rien.")
    v = verify(entries[:5] + [one, two] + shifted(entries[5:], 2))
    assert found(v) == [("inserted", 6), ("inserted", 7)]


def test_inserted_copy_of_an_entry():
    entries = chain(12)
    copy_ = replace(entries[2], seq=9)
    v = verify(entries[:8] + [copy_] + shifted(entries[8:]))
    assert found(v) == [("inserted", 9)]
    assert "second copy of entry #3" in v.first.message


def test_entry_appended_after_the_head_is_caught_against_the_head():
    entries = chain(12)
    head = entries[-1].hash
    longer = entries + [forged(entries[-1])]
    assert verify(longer).ok  # the documented limit
    v = verify(longer, expected_head=head, expected_count=12)
    assert found(v) == [("head_mismatch", 13)]
    assert "entry #13 follows it" in v.first.message
    dangling = entries + [rehash(replace(forged(entries[-1]), prev_hash="cd" * 32))]
    assert found(verify(dangling, expected_head=head)) == [("head_mismatch", 13)]


def swapped(entries: list[Entry], i: int, j: int) -> list[Entry]:
    """Seq values of entries i and j swapped in the database, rows read back by seq."""
    out = list(entries)
    out[i], out[j] = (
        replace(entries[i], seq=entries[j].seq),
        replace(entries[j], seq=entries[i].seq),
    )
    return by_seq(out)


@pytest.mark.parametrize(("i", "j"), [(4, 5), (2, 8), (0, 1), (0, 11), (10, 11)])
def test_reordered_entries_are_named(i, j):
    entries = chain(12)
    v = verify(swapped(entries, i, j), expected_head=entries[-1].hash)
    assert not v.ok
    reordered = {seq for kind, seq in found(v) if kind == "reordered"}
    assert reordered == {i + 1, j + 1}
    assert {kind for kind, _ in found(v)} <= {"reordered", "head_mismatch"}


def test_reordered_message():
    v = verify(swapped(chain(12), 4, 5))
    assert [f.message for f in v.faults] == [
        "entry #5 is out of order: it comes right after entry #6, but it is stored after entry #4",
        "entry #6 is out of order: it comes right after entry #4, but it is stored after entry #5",
    ]


def test_seq_gap_and_duplicate_with_intact_links():
    entries = chain(12)
    gap = entries[:6] + shifted(entries[6:], 3)
    v = verify(gap)
    assert found(v) == [("reordered", 10)]
    assert "seq jumps from #6 to #10 although no entry is missing" in v.first.message
    dup = list(entries)
    dup[6] = replace(dup[6], seq=6)
    assert found(verify(dup)) == [("reordered", 6)]
    odd = list(entries)
    odd[6] = replace(odd[6], seq=70)
    assert found(verify(odd)) == [("reordered", 70)]


def test_foreign_entry_is_named():
    entries = chain(12)
    alien = replace(chain(3, crisis=OTHER)[1], seq=6)
    v = verify(entries[:5] + [alien] + shifted(entries[5:]))
    assert found(v) == [("foreign", 6)]
    assert f"belongs to another crisis ({OTHER}), not {CRISIS}" in v.first.message
    # The crisis given wins over the majority.
    assert {kind for kind, _ in found(verify(chain(3, crisis=OTHER), crisis=CRISIS))} == {"foreign"}


def test_bad_correction():
    entries = chain(6)
    wrong = make_entry(
        entries[-1],
        crisis=CRISIS,
        at="2026-11-26T05:00:00.000000Z",
        author="jdupont",
        role="crisis_director",
        kind="event",
        text="Correction de l'entrée précédente.",
        corrects="ab" * 32,
    )
    v = verify(entries + [wrong])
    assert found(v) == [("bad_correction", 7)]
    assert "which is no entry of this chain" in v.first.message
    right = replace(wrong, corrects=entries[2].hash)
    right = make_entry(entries[-1], **_fields(right))
    assert verify(entries + [right]).ok
    # Corrects an entry stored after it: the order is broken too.
    later = swapped(entries + [right], 2, 6)
    v = verify(later)
    assert ("bad_correction", 3) in found(v)
    assert "which is a later entry" in next(
        f.message for f in v.faults if f.kind == "bad_correction"
    )


def _fields(e: Entry) -> dict:
    return {
        k: getattr(e, k)
        for k in ("crisis", "at", "author", "role", "kind", "text", "links", "corrects")
    }


def test_rewriting_the_chain_from_a_point_is_caught_against_the_head_only():
    """The limit stated in the module docstring."""
    entries = chain(12)
    head = entries[-1].hash
    forged_tail: list[Entry] = entries[:6]
    for e in entries[6:]:
        text = e.text.replace("isolé", "rallumé")
        forged_tail.append(make_entry(forged_tail[-1], **{**_fields(e), "text": text}))
    assert verify(forged_tail).ok
    v = verify(forged_tail, expected_head=head, expected_count=12)
    assert found(v) == [("head_mismatch", 12)]


def test_every_fault_is_reported_in_chain_order():
    entries = chain(12)
    entries[2] = replace(entries[2], text="x")
    del entries[7]
    entries[9] = replace(entries[9], author="y")
    v = verify(entries)
    assert found(v) == [("modified", 3), ("deleted", 8), ("modified", 11)]
    assert v.first == v.faults[0]
    assert all(f.kind in FAULT_KINDS for f in v.faults)


def test_verify_accepts_any_sequence():
    entries = chain(5)
    assert verify(tuple(entries)).ok
    assert verify(iter(entries)).ok


# ---------------------------------------------------------------------------
# Random chains, random tampering
# ---------------------------------------------------------------------------

# Characters the text may hold: anything but lone surrogates and control characters other
# than tab and line breaks (what make_entry accepts).
FORBIDDEN = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\x7f"
texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=FORBIDDEN), min_size=1
).filter(lambda t: t.strip())
names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), max_size=12
)  # quotes and backslashes included
link_values = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=10
)
links = st.lists(
    st.builds(
        "{}:{}".format,
        st.sampled_from(["site", "service", "host", "zone", "flow", "app"]),
        link_values,
    ),
    max_size=3,
)
entry_fields = st.fixed_dictionaries(
    {
        "author": names,
        "role": names,
        "kind": st.sampled_from(KINDS),
        "text": texts,
        "links": links,
        "minutes": st.integers(0, 600),
        "corrects": st.none() | st.integers(0, 10_000),  # an index among earlier entries
    }
)


def build(fields: list[dict], crisis: str = CRISIS) -> list[Entry]:
    out: list[Entry] = []
    t = T0
    for f in fields:
        t += timedelta(minutes=f["minutes"], microseconds=7)
        corrects = None
        if f["corrects"] is not None and out:
            corrects = out[f["corrects"] % len(out)].hash
        out.append(
            make_entry(
                out[-1] if out else None,
                crisis=crisis,
                at=format_time(t),
                author=f["author"],
                role=f["role"],
                kind=f["kind"],
                text=f["text"],
                links=f["links"],
                corrects=corrects,
            )
        )
    return out


chains = st.lists(entry_fields, min_size=1, max_size=25).map(build)


@settings(max_examples=150, deadline=None)
@given(chains)
def test_random_chains_verify(entries):
    v = verify(entries, expected_head=entries[-1].hash, expected_count=len(entries))
    assert v.ok, v.faults
    assert (v.count, v.head) == (len(entries), entries[-1].hash)
    assert all(e.hash == entry_hash(e) for e in entries)


# Any string at all, lone surrogates and control characters included.
any_text = st.text(st.characters(), max_size=30)
raw_entries = st.builds(
    Entry,
    crisis=st.sampled_from([CRISIS, OTHER]) | any_text,
    seq=st.integers(-3, 30),
    at=st.sampled_from(["2026-11-26T02:31:07.123456Z"]) | any_text,
    author=any_text,
    role=any_text,
    kind=st.sampled_from(KINDS) | any_text,
    text=any_text,
    links=st.lists(any_text, max_size=3).map(tuple),
    corrects=st.none() | any_text,
    prev_hash=st.sampled_from([GENESIS]) | any_text,
    hash=any_text,
)


def hash_or_none(e: Entry) -> str | None:
    try:
        return entry_hash(e)
    except ValueError:  # a lone surrogate has no UTF-8 encoding
        return None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(raw_entries, st.booleans()), max_size=8), st.booleans())
def test_the_fast_pass_hashes_exactly_the_canonical_bytes(drawn, linked):
    """verify's fast pass builds the bytes from pre-escaped pieces: for any field values at
    all, an entry's stored hash must match exactly when it is `entry_hash`'s."""
    entries, prev = [], GENESIS
    for e, stamped in drawn:
        if linked:  # prev_hash equal to the previous hash: the fast pass's shortcut
            e = replace(e, prev_hash=prev)
        if stamped:
            e = replace(e, hash=hash_or_none(e) or "no encoding")
        prev = e.hash
        entries.append(e)
    bad, clean, _ = _scan(entries, CRISIS)
    assert bad == [i for i, e in enumerate(entries) if hash_or_none(e) != e.hash]
    v = verify(entries)  # never raises, whatever is stored
    assert v.ok == (not v.faults)
    assert not (clean and bad)


TAMPERS = ("modify", "rewrite", "delete", "insert", "swap", "reseq", "foreign")


def tamper_with(entries: list[Entry], data) -> tuple[list[Entry], str, set[tuple[str, int]]]:
    """One random tampering of `entries`, as done in the database: the entries stored, the
    tampering done, and the faults one of which verification must report."""
    n = len(entries)
    tamper = data.draw(st.sampled_from(TAMPERS), label="tamper")
    i = data.draw(st.integers(0, n - 1), label="position")
    target = entries[i]
    stored = list(entries)
    expect: set[tuple[str, int]] = set()  # one of these must be among the faults

    if tamper in ("modify", "rewrite"):
        field = data.draw(
            st.sampled_from(
                ["text", "author", "role", "at", "kind", "links", "corrects", "prev_hash", "crisis"]
            ),
            label="field",
        )
        value = {
            "text": texts,
            "author": names,
            "role": names,
            "at": st.datetimes(timezones=st.just(UTC)).map(format_time),
            "kind": st.sampled_from(KINDS),
            "links": links.map(lambda ls: tuple(sorted(set(ls)))),
            "corrects": st.none() | st.sampled_from([e.hash for e in entries]),
            "prev_hash": st.sampled_from([GENESIS, *(e.hash for e in entries)])
            | st.text("0123456789abcdef", min_size=64, max_size=64),
            "crisis": st.just(OTHER),
        }[field]
        new = replace(target, **{field: data.draw(value, label="value")})
        assume(canonical(new) != canonical(target))
        stored[i] = rehash(new) if tamper == "rewrite" else new
        expect = {("modified", target.seq)}
        if tamper == "rewrite" and field == "crisis":  # an intact entry of another crisis
            expect = {("foreign", target.seq)}
        elif tamper == "rewrite" and i == n - 1:  # only the head shows it
            expect = {("head_mismatch", target.seq)}
    elif tamper == "delete":
        del stored[i]
        expect = {("deleted" if i < n - 1 else "head_mismatch", target.seq)}
    elif tamper in ("insert", "foreign"):
        i = data.draw(st.integers(0, n), label="slipped in before")
        seq = entries[i].seq if i < n else n + 1
        crisis = CRISIS if tamper == "insert" else OTHER
        prev = data.draw(st.sampled_from([None, *entries]), label="forged prev")
        fake = forged(prev if prev is None or prev.crisis == crisis else None, crisis)
        how = data.draw(st.sampled_from(["as is", "genesis", "unknown", "bad hash"]))
        if how == "genesis":
            fake = rehash(replace(fake, prev_hash=GENESIS))
        elif how == "unknown":
            fake = rehash(replace(fake, prev_hash="cd" * 32))
        elif how == "bad hash":
            fake = replace(fake, hash="ef" * 32)
        shift = data.draw(st.booleans(), label="seq shifted")
        fake = replace(fake, seq=seq)
        stored = entries[:i] + [fake] + (shifted(entries[i:]) if shift else entries[i:])
        kind = "foreign" if tamper == "foreign" and how != "bad hash" else "inserted"
        expect = {(kind if i < n else "head_mismatch", seq)}
    elif tamper == "swap":
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i), label="other")
        stored = swapped(entries, i, j)
        expect = {("reordered", target.seq)}
    elif tamper == "reseq":
        seq = data.draw(st.integers(-3, n + 3).filter(lambda s: s != target.seq), label="seq")
        stored[i] = replace(target, seq=seq)
        stored = by_seq(stored)
        expect = {("reordered", seq), ("reordered", target.seq)}

    return stored, tamper, expect


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entry_fields, min_size=2, max_size=20).map(build), st.data())
def test_random_tampering_is_always_detected(entries, data):
    head, count = entries[-1].hash, len(entries)
    stored, tamper, expect = tamper_with(entries, data)
    v = verify(stored, crisis=CRISIS, expected_head=head, expected_count=count)
    assert not v.ok
    assert v.faults and v.first == v.faults[0]
    got = set(found(v))
    assert got & expect, (tamper, got, expect)
    if tamper == "modify":
        assert v.first.kind == "modified"
    if tamper in ("insert", "foreign", "swap", "reseq"):
        assert not any(kind == "deleted" for kind, _ in got)


# ---------------------------------------------------------------------------
# The fast pass on several cores: the same result as in one process
# ---------------------------------------------------------------------------

needs_fork = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(os, "fork"),
    reason="verify forks on Linux only",
)


def forking():
    """Let verify fork even where the test runner runs a thread (an xdist worker)."""
    return mock.patch.object(ledger, "_single_threaded", return_value=True)


def test_known_hashes_through_every_path():
    """Golden values computed with json.dumps before the fast pass was split across
    processes: a stored log must still verify byte for byte, whichever path runs."""
    entries = chain(40)
    assert entries[-1].hash == "ef0ef5989bd0dcac0cdfada18aa2220a97b09b6e9dffd62ebdcc70e63054879c"
    # Every kind of escape, and non-ASCII up to four UTF-8 bytes, in the last stretch.
    odd = replace(
        entries[-1],
        seq=41,
        author='a"b\\c',
        role="r\u2028ö",
        text='tab\there\r\nquote" back\\ bell\x07 del\x7f é ✓ 😀',
        links=('site:A"B', "zone:Ω"),
        corrects=entries[5].hash,
        prev_hash=entries[-1].hash,
        hash="cbd57543739e3723938d4bbf66fab33181a11cf6d600af5066f11183f07f2fbe",
    )
    assert entry_hash(odd) == odd.hash
    text = b'"text":"tab\\there\\r\\nquote\\" back\\\\ bell\\u0007 del\x7f \xc3\xa9'
    assert text in canonical(odd)
    entries.append(odd)
    with forking():
        for workers in (1, 2, 3, 8):
            v = verify(entries, expected_head=odd.hash, expected_count=41, workers=workers)
            assert (v.ok, v.head, v.count) == (True, odd.hash, 41)
            tampered = [*entries[:-1], replace(odd, text=odd.text + " ")]
            assert found(verify(tampered, workers=workers)) == [("modified", 41)]


def test_how_many_processes():
    assert _workers(PARALLEL_MIN - 1, None) == 1  # small logs stay in this process
    assert _workers(10**6, 1) == 1
    assert _workers(1, 4) == 1
    if sys.platform.startswith("linux") and hasattr(os, "fork"):
        with forking(), mock.patch.object(ledger, "_available_cpus", return_value=2):
            assert _workers(PARALLEL_MIN, None) == 2
            assert _workers(3, 8) == 3  # asked for: at most one process per entry
    # Never fork where another thread runs (a waitress server): it could hold a lock.
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not ledger._single_threaded()
        assert _workers(10**6, None) == _workers(10**6, 4) == 1
    finally:
        release.set()
        other.join()


@needs_fork
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entry_fields, min_size=2, max_size=20).map(build), st.data())
def test_processes_report_what_one_process_reports(entries, data):
    """Tampered chains cut into stretches at every place: the faults (kinds, entries,
    messages, order) are those of the scan in one process."""
    head, count = entries[-1].hash, len(entries)
    stored, _, _ = tamper_with(entries, data)
    workers = data.draw(st.integers(2, 5), label="workers")
    crisis = data.draw(st.sampled_from([CRISIS, None]), label="crisis")
    if len(stored) >= workers:
        assert _scan_parallel(stored, CRISIS, workers) == _scan(stored, CRISIS)
    one = verify(stored, crisis=crisis, expected_head=head, expected_count=count, workers=1)
    with forking():
        several = verify(
            stored, crisis=crisis, expected_head=head, expected_count=count, workers=workers
        )
    assert several == one
    assert not one.ok


@needs_fork
@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(raw_entries, st.booleans()), min_size=2, max_size=8), st.data())
def test_processes_scan_any_stored_values_alike(drawn, data):
    """Whatever is stored (lone surrogates, hashes that are not hex, links to anything):
    the stretches scanned apart give the scan in one process."""
    entries, prev = [], GENESIS
    for e, stamped in drawn:
        e = replace(e, prev_hash=prev)
        if stamped:
            e = replace(e, hash=hash_or_none(e) or "no encoding")
        prev = e.hash
        entries.append(e)
    workers = data.draw(st.integers(2, len(entries)), label="workers")
    assert _scan_parallel(entries, CRISIS, workers) == _scan(entries, CRISIS)


@needs_fork
def test_a_child_that_cannot_be_forked_or_dies_is_replaced(monkeypatch):
    entries = chain(30)
    entries[20] = replace(entries[20], text="Rien à signaler.")
    expected = _scan(entries, CRISIS)

    class Fragile:
        """An entry whose hash kills any process reading it but this one."""

        def __init__(self, e: Entry, pid: int) -> None:
            self._e, self._pid = e, pid

        def __getattr__(self, name: str):
            if name == "hash" and os.getpid() != self._pid:
                os._exit(3)
            return getattr(self._e, name)

    fragile = [Fragile(e, os.getpid()) for e in entries]
    assert _scan_parallel(fragile, CRISIS, 3) == expected
    with forking():
        assert verify(fragile, workers=3) == verify(entries, workers=1)

    def refuse():
        raise OSError("fork refused")

    monkeypatch.setattr(os, "fork", refuse)
    assert _scan_parallel(entries, CRISIS, 3) == expected
    monkeypatch.undo()
    with forking():
        assert verify(entries, workers=3) == verify(entries, workers=1)
    try:  # every child was waited for: none is left behind as a zombie
        assert os.waitpid(-1, os.WNOHANG)[0] == 0
    except ChildProcessError:
        pass


@needs_fork
def test_an_entry_that_cannot_be_read_raises_as_in_one_process():
    entries: list = chain(10)
    entries[8] = object()
    with pytest.raises(AttributeError):
        verify(entries, workers=1)
    with forking(), pytest.raises(AttributeError):
        verify(entries, workers=2)


@needs_fork
def test_verify_document_on_several_processes():
    doc = json.loads(json.dumps(export_document({"uid": CRISIS}, chain(20))))
    doc["entries"][15]["text"] = "Rien à signaler."
    with forking():
        assert verify_document(doc, workers=3) == verify_document(doc, workers=1)
        assert found(verify_document(doc, workers=3)) == [("modified", 16)]


# ---------------------------------------------------------------------------
# Export and verify_document
# ---------------------------------------------------------------------------


def test_export_document_shape():
    entries = chain(3)
    doc = export_document({"uid": CRISIS, "name": "Cyberattaque"}, entries)
    assert doc["format"] == FORMAT == "crisiscell-log/1"
    assert (doc["count"], doc["head"]) == (3, entries[-1].hash)
    assert doc["crisis"] == {"uid": CRISIS, "name": "Cyberattaque"}
    assert doc["canonical"] == CANONICAL_DESCRIPTION
    assert list(doc["entries"][0]) == list(ENTRY_KEYS)
    assert doc["entries"][1]["links"] == ["host:srv-001"]
    assert export_document({}, [])["head"] == GENESIS


@settings(max_examples=60, deadline=None)
@given(chains)
def test_export_round_trip_verifies(entries):
    doc = export_document({"uid": CRISIS, "name": "Test"}, entries)
    for ensure_ascii in (True, False):
        text = json.dumps(doc, ensure_ascii=ensure_ascii)
        loaded = json.loads(text)
        assert _rows(loaded["entries"]) is not None  # the lean path
        v = verify_document(loaded)
        assert v.ok, v.faults
        assert (v.count, v.head) == (len(entries), entries[-1].hash)


def test_tampered_export_is_caught():
    doc = json.loads(json.dumps(export_document({"uid": CRISIS}, chain(8))))
    doc["entries"][3]["text"] = "Rien à signaler."
    assert found(verify_document(doc)) == [("modified", 4)]
    doc = json.loads(json.dumps(export_document({"uid": CRISIS}, chain(8))))
    del doc["entries"][-1]
    assert found(verify_document(doc)) == [("head_mismatch", 8)]
    doc = json.loads(json.dumps(export_document({"uid": OTHER}, chain(2))))
    assert found(verify_document(doc)) == [("foreign", 1), ("foreign", 2)]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("head"), "head: missing"),
        (lambda d: d.update(format="crisiscell-log/2"), "format: expected 'crisiscell-log/1'"),
        (
            lambda d: d.update(count=True),
            "count: expected a whole number, 0 or more, got a boolean",
        ),
        (lambda d: d.update(entries={}), "entries: expected an array, got an object"),
        (
            lambda d: d["entries"][1].update(text=3),
            "entries[1].text: expected a string, got a number",
        ),
        (lambda d: d["entries"][0]["links"].append(None), "entries[0].links[0]: expected a string"),
        (lambda d: d["entries"][2].pop("hash"), "entries[2].hash: missing"),
        (lambda d: d["entries"][2].update(note="x"), "entries[2]: unknown key 'note'"),
        (lambda d: d["entries"][1].update(seq=2.0), "entries[1].seq: expected a whole number"),
        (lambda d: d["crisis"].update(uid=7), "crisis.uid: expected a string, got a number"),
    ],
)
def test_malformed_export_names_the_path(mutate, message):
    doc = json.loads(json.dumps(export_document({"uid": CRISIS}, chain(3))))
    mutate(doc)
    v = verify_document(doc)
    assert not v.ok
    assert {f.kind for f in v.faults} == {"malformed"}
    assert any(f.message.startswith(message) for f in v.faults), v.faults


def test_malformed_non_documents():
    for doc in (None, [], "log", 3, {"format": FORMAT}, {1: 2}, {"entries": [[]]}):
        v = verify_document(doc)
        assert not v.ok and v.faults and {f.kind for f in v.faults} == {"malformed"}
    assert verify_document([]).first.message == "the document must be a JSON object, not an array"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_is_malformed_never_an_exception(doc):
    v = verify_document(doc)
    assert not v.ok
    assert {f.kind for f in v.faults} == {"malformed"}


def _paths(value, path=()):
    """Every path into a JSON value."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for k, v in enumerate(value):
            yield from _paths(v, (*path, k))


def _json_type(value) -> str:
    if value is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}[
        type(value)
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(entry_fields, min_size=1, max_size=5).map(build), st.data())
def test_mutated_exports_are_malformed_never_an_exception(entries, data):
    doc = json.loads(json.dumps(export_document({"uid": CRISIS}, entries)))
    paths = [p for p in _paths(doc) if p and p[0] != "canonical" and p[:2] != ("crisis", "name")]
    path = data.draw(st.sampled_from(paths), label="path")
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    old = parent[path[-1]]
    action = data.draw(st.sampled_from(["retype", "drop", "extra"]), label="action")
    if action == "drop" and isinstance(parent, dict):
        del parent[path[-1]]
    elif action == "extra" and isinstance(old, dict) and path[0] == "entries":
        old[data.draw(st.text(min_size=1).filter(lambda k: k not in old))] = 1
    else:
        new = data.draw(
            json_values.filter(
                lambda v: (
                    _json_type(v) != _json_type(old)
                    # a corrects may be null or a string: both are well-formed
                    and not (path[-1] == "corrects" and _json_type(v) in ("null", "str"))
                )
            ),
            label="new",
        )
        parent[path[-1]] = new
    if path == ("crisis", "uid") and action == "drop":
        return  # the uid is optional
    v = verify_document(copy.deepcopy(doc))
    assert not v.ok
    assert {f.kind for f in v.faults} == {"malformed"}, v.faults


def test_fault_prints_its_message():
    f = Fault(3, "modified", "entry #3 was modified: its content no longer matches its hash")
    assert str(f) == f.message
