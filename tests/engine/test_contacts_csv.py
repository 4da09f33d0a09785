"""The directory's CSV file: every fault named by line and column, every file read back
equal, and no input, however broken, makes the reader raise anything but ContactsInvalid.

Pure Python (no Django): run with ``-p no:django``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisiscell.engine import contacts_csv as spec
from crisiscell.engine import demo_directory, demo_map
from crisiscell.engine.contacts_csv import (
    CATEGORIES,
    COLUMNS,
    KINDS,
    Contact,
    ContactError,
    ContactsInvalid,
    check_contact,
    parse_contacts,
    write_contacts,
)
from crisiscell.engine.groupmap import parse_map

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "contacts.csv"

HEADER = (
    "code;kind;category;site;service;name;function;phone;phone_alt;email;available;notes;position"
)
GOOD = [
    "ARL-URG-1;internal;;ARL;ARL-URG;Poste infirmier des urgences;;063 23 14 20;4512;;24/7;;1",
    "CELL-1;crisis_cell;;;;Salle de crise;;063 23 90 01;;cellule@example.org;24/7;;1",
    "EXT-CERT;external;cert;;;CERT.be;;+32 2 501 05 00;;cert@cert.be;24/7;;1",
]


def file_of(*rows: str, header: str = HEADER, sep: str = ";") -> bytes:
    lines = [header, *rows]
    return ("\n".join(line.replace(";", sep) for line in lines) + "\n").encode()


def errors_of(data: bytes | str, name: str = "contacts.csv") -> list[str]:
    with pytest.raises(ContactsInvalid) as caught:
        parse_contacts(data, name)
    for e in caught.value.errors:
        assert isinstance(e, ContactError)
    return [str(e) for e in caught.value.errors]


# ---------------------------------------------------------------------------
# Files that read
# ---------------------------------------------------------------------------


def test_the_documented_example_reads():
    contacts = parse_contacts(EXAMPLE.read_bytes(), EXAMPLE.name)
    assert len(contacts) == 18
    assert {c.kind for c in contacts} == set(KINDS)
    assert {c.category for c in contacts if c.kind == "external"} <= set(CATEGORIES)
    by_code = {c.code: c for c in contacts}
    assert by_code["ARL-URG-POSTE"].phone == "063 23 14 20"
    assert by_code["ARL-URG-POSTE"].phone_alt == "4512"
    assert by_code["EXT-ZP"].phone_alt == "101"  # a short number is a number
    assert by_code["ARL-RAD-SEC"].phone == "063/23.15.40"


def test_a_file_reads_the_same_with_comma_or_semicolon_with_or_without_bom():
    expected = parse_contacts(file_of(*GOOD))
    assert len(expected) == 3
    assert parse_contacts(b"\xef\xbb\xbf" + file_of(*GOOD)) == expected
    assert parse_contacts(file_of(*GOOD, sep=",")) == expected
    assert parse_contacts(b"\xef\xbb\xbf" + file_of(*GOOD, sep=",")) == expected
    crlf = file_of(*GOOD).replace(b"\n", b"\r\n")
    assert parse_contacts(crlf) == expected
    assert parse_contacts(file_of(*GOOD).decode()) == expected


def test_columns_may_come_in_any_order_and_case_and_optional_ones_may_go():
    contacts = parse_contacts(
        b"Phone;NAME;Kind;code;Site\n063 55 41 20;Garde de r\xc3\xa9animation;Internal;X;ARL\n"
    )
    assert contacts == [
        Contact(
            code="X",
            kind="internal",
            name="Garde de réanimation",
            phone="063 55 41 20",
            site="ARL",
            position=1,
        )
    ]


def test_blank_lines_are_skipped_and_position_defaults_to_the_row_order():
    data = file_of(GOOD[0].replace(";1", ";"), "", ";;;;;;;;;;;;", GOOD[1].replace(";1", ";"))
    contacts = parse_contacts(b"\n\n" + data)
    assert [c.position for c in contacts] == [1, 2]
    assert [c.line for c in contacts] == [4, 7]


def test_kind_and_category_are_codes_read_loosely():
    (c,) = parse_contacts(file_of("C;Crisis cell;;;;Salle;;4512;;;;;"))
    assert c.kind == "crisis_cell"
    (c,) = parse_contacts(file_of("E;EXTERNAL;Police;;;Zone;;101;;;;;"))
    assert (c.kind, c.category) == ("external", "police")


def test_numbers_a_spreadsheet_would_mangle_are_quoted_and_read_back():
    numbers = [("0475123456", "'0475123456"), ("4512", "'4512"), ("063 55 41 20", "063 55 41 20")]
    contacts = [
        Contact(
            code=f"N{i}", kind="crisis_cell", name="S", phone=phone, phone_alt=phone, position=i
        )
        for i, (phone, _written) in enumerate(numbers)
    ]
    data = write_contacts(contacts)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))[1:]
    assert [(r[7], r[8]) for r in rows] == [(w, w) for _phone, w in numbers]
    assert parse_contacts(data) == contacts
    # a hand-made file may quote a number its own way
    (c,) = parse_contacts(file_of("N;internal;;ARL;;Poste;;'063 55 41 20;'4512;;;;"))
    assert (c.phone, c.phone_alt) == ("063 55 41 20", "4512")


def test_no_break_spaces_in_numbers_read_as_spaces():
    (c,) = parse_contacts(file_of("N;internal;;ARL;;Poste;;063\u00a055\u202f41 20;;;;;").decode())
    assert c.phone == "063 55 41 20"


def test_notes_keep_their_line_breaks():
    data = HEADER + '\nN;internal;;ARL;;Poste;;4512;;;;"ligne 1\r\nligne 2";\n'
    (c,) = parse_contacts(data.encode())
    assert c.notes == "ligne 1\nligne 2"


@pytest.mark.parametrize(
    "number",
    [
        "4512",
        "101",
        "112",
        "063 55 41 20",
        "063/55.41.20",
        "0475-12-34-56",
        "+32 (0)63 55 41 20",
        "+33 1 71 75 84 00",
        "(063) 554120",
    ],
)
def test_phone_numbers_that_are_numbers(number):
    (c,) = parse_contacts(file_of(f"N;internal;;ARL;;Poste;;{number};;;;;"))
    assert c.phone == number


# ---------------------------------------------------------------------------
# Every fault, by line and column
# ---------------------------------------------------------------------------

FAULTS = [
    # (row, expected error)
    ("N;internal;;ARL;;Poste;;abc;;;;;", "line 2, column phone: 'abc' is not a phone number"),
    ("N;internal;;ARL;;Poste;;12;;;;;", "line 2, column phone: '12' has 2 digits"),
    ("N;internal;;ARL;;Poste;;063 + 55;;;;;", "line 2, column phone: '063 + 55' is not a phone"),
    ("N;internal;;ARL;;Poste;;++32 63;;;;;", "line 2, column phone:"),
    ("N;internal;;ARL;;Poste;;4512;4x;;;;", "line 2, column phone_alt: '4x' is not a phone"),
    ("N;internal;;ARL;;Poste;;" + "1" * 21 + ";;;;;", "line 2, column phone: "),
    ("N;internal;;ARL;;Poste;;;;;;;", "line 2, column phone: required, and empty"),
    ("N;internal;;ARL;;;;4512;;;;;", "line 2, column name: required, and empty"),
    (";internal;;ARL;;Poste;;4512;;;;;", "line 2, column code: required, and empty"),
    ("N;;;ARL;;Poste;;4512;;;;;", "line 2, column kind: required, and empty"),
    ("N;staff;;ARL;;Poste;;4512;;;;;", "line 2, column kind: unknown kind 'staff'"),
    ("N;internal;;;;Poste;;4512;;;;;", "line 2, column site: an internal contact needs its site"),
    ("N;external;;;;CERT;;4512;;;;;", "line 2, column category: an external contact needs a"),
    ("N;external;mafia;;;CERT;;4512;;;;;", "line 2, column category: unknown category 'mafia'"),
    ("N;internal;police;ARL;;Poste;;4512;;;;;", "line 2, column category: only external"),
    ("N;external;cert;;ARL-URG;CERT;;4512;;;;;", "line 2, column service: only internal"),
    ("N;internal;;ARL;;Poste;;4512;;a@b;;;", "line 2, column email: 'a@b' is not an e-mail"),
    ("N;internal;;ARL;;Poste;;4512;;a b@c.be;;;", "line 2, column email:"),
    ("N;internal;;ARL;;Poste;;4512;;;;;x", "line 2, column position: 'x' is not a whole number"),
    ("N;internal;;ARL;;Poste;;4512;;;;;-1", "line 2, column position: '-1' is not a whole"),
    ("N;internal;;ARL;;Poste;;4512;;;;;99999999999", "line 2, column position:"),
    ("N;internal;;ARL;;" + "x" * 201 + ";;4512;;;;;", "line 2, column name: too long: 201"),
    ("N;internal;;ARL;;Po\x07ste;;4512;;;;;", "line 2, column name: holds a control character"),
    ("N;internal;;ARL;;Poste;;4512", "line 2: 8 value(s) for 13 column(s)"),
    ("N;internal;;ARL;;Poste;;4512;;;;;;;extra", "line 2: 15 value(s) for 13 column(s)"),
]


@pytest.mark.parametrize("row, expected", FAULTS)
def test_each_fault_is_named_by_file_line_and_column(row, expected):
    errors = errors_of(file_of(row))
    assert any(e.startswith(f"contacts.csv {expected}") for e in errors), errors


def test_every_error_of_every_line_is_reported_at_once():
    data = file_of(
        GOOD[0],
        "B1;internal;;;;Poste;;abc;;nope;;;",  # line 3: site, phone, email
        GOOD[1],
        "B2;robot;;ARL;;;;;;;;;",  # line 5: kind, name, phone
        GOOD[0],  # line 6: duplicate code
    )
    errors = errors_of(data, "annuaire.csv")
    assert errors == [
        "annuaire.csv line 3, column site: an internal contact needs its site",
        "annuaire.csv line 3, column phone: 'abc' is not a phone number (digits, spaces and "
        "+ . - / ( ) only; + only first)",
        "annuaire.csv line 3, column email: 'nope' is not an e-mail address",
        "annuaire.csv line 5, column kind: unknown kind 'robot' (expected one of: internal, "
        "crisis_cell, external)",
        "annuaire.csv line 5, column name: required, and empty",
        "annuaire.csv line 5, column phone: required, and empty",
        "annuaire.csv line 6, column code: code 'ARL-URG-1' is already on line 2",
    ]


def test_header_faults():
    assert errors_of(b"") == [
        f"contacts.csv: the file is empty: its first line names the columns ({', '.join(COLUMNS)})"
    ]
    assert errors_of(b"\n \n")[0].startswith("contacts.csv: the file is empty")
    errors = errors_of(b"code;kind;name;telephone\n")
    assert errors[0].startswith("contacts.csv line 1, column telephone: unknown column")
    assert errors[1] == (
        "contacts.csv line 1: missing column(s): phone (the header is the file's first line)"
    )
    errors = errors_of(b"code;kind;name;phone;Phone\n")
    assert errors == [
        "contacts.csv line 1, column phone: column 'phone' appears twice (position 5)"
    ]


def test_a_column_with_no_name_may_stay_empty_but_not_hold_values():
    # Excel often adds an empty last column to the header.
    assert parse_contacts(b"code;kind;name;phone;\nX;crisis_cell;Salle;4512;\n")
    errors = errors_of(b"code;kind;name;phone;\nX;crisis_cell;Salle;4512;oops\n")
    assert errors == ["contacts.csv line 2: a value in column 5, which has no name in the header"]


def test_a_file_that_is_not_utf8_is_named_by_line():
    latin1 = file_of(GOOD[1], "N;internal;;ARL;;Réanimation;;4512;;;;;").decode().encode("cp1252")
    errors = errors_of(latin1)
    assert errors[0].startswith("contacts.csv line 3: not UTF-8 text (byte 0xe9)")
    assert "CSV UTF-8" in errors[0]


def test_malformed_csv_is_named_by_line():
    errors = errors_of(file_of(GOOD[0], 'N;internal;;ARL;;"Poste;;4512;;;;;'))
    assert errors == ["contacts.csv line 3: malformed CSV (unexpected end of data)"]


def test_check_contact_speaks_of_columns_only():
    errors = check_contact(Contact(code="X", kind="internal", name="Poste", phone="x"))
    assert [(e.column, e.line, e.file) for e in errors] == [("site", None, ""), ("phone", None, "")]
    assert str(errors[0]) == "column site: an internal contact needs its site"


# ---------------------------------------------------------------------------
# Writing, and reading back
# ---------------------------------------------------------------------------


def test_write_then_read_gives_the_contacts_back():
    contacts = parse_contacts(EXAMPLE.read_bytes())
    data = write_contacts(contacts)
    assert data.startswith(b"\xef\xbb\xbf" + ";".join(COLUMNS).encode())
    assert parse_contacts(data) == contacts


def test_text_that_a_spreadsheet_would_run_is_quoted_and_read_back():
    contact = Contact(
        code="=1+1",
        kind="crisis_cell",
        name="@SUM(A1)",
        phone="+32 63 55 41 20",
        function="-rôle",
        notes="'=déjà",
        available="'x",
        position=3,
    )
    data = write_contacts([contact])
    row = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))[1]
    assert row[0] == "'=1+1" and row[5] == "'@SUM(A1)" and row[6] == "'-rôle"
    assert row[7] == "'+32 63 55 41 20"  # else a formula in a spreadsheet
    assert row[11] == "''=déjà" and row[10] == "''x"
    assert parse_contacts(data) == [contact]


# Values as a form or a file gives them: no spaces around, no control characters.
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30
).map(str.strip)
_phone = st.from_regex(r"\+?[0-9]{3,12}( [0-9]{2}){0,3}", fullmatch=True)


@st.composite
def contacts(draw):
    kind = draw(st.sampled_from(KINDS))
    site = draw(st.sampled_from(["ARL", "MAR"])) if kind == "internal" else ""
    return Contact(
        code=draw(st.from_regex(r"[A-Z][A-Z0-9-]{0,15}", fullmatch=True)),
        kind=kind,
        category=draw(st.sampled_from(CATEGORIES)) if kind == "external" else "",
        site=site,
        service=draw(st.sampled_from(["", f"{site}-URG"])) if site else "",
        name=draw(_text.filter(bool)),
        function=draw(_text),
        phone=draw(_phone),
        phone_alt=draw(st.one_of(st.just(""), _phone)),
        email=draw(st.one_of(st.just(""), st.emails().filter(lambda e: len(e) < 200))),
        available=draw(_text),
        notes=draw(_text),
        position=draw(st.integers(0, spec.MAX_POSITION)),
    )


def _unique(items: list[Contact]) -> list[Contact]:
    seen: dict[str, Contact] = {}
    for c in items:
        seen.setdefault(c.code, c)
    return list(seen.values())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(contacts(), max_size=8).map(_unique))
def test_any_valid_directory_round_trips(items):
    for c in items:
        assert check_contact(c) == [], c
    assert parse_contacts(write_contacts(items)) == items


# ---------------------------------------------------------------------------
# Fuzzing: only ContactsInvalid ever comes out
# ---------------------------------------------------------------------------


def _reads_or_refuses(data: bytes | str) -> None:
    try:
        result = parse_contacts(data)
    except ContactsInvalid as exc:
        assert exc.errors
        for e in exc.errors:
            assert isinstance(e, ContactError)
            text = str(e)
            assert text.startswith("contacts.csv")
            assert "\n" not in text and "\x00" not in text
    else:
        assert all(isinstance(c, Contact) for c in result)
        assert all(check_contact(c) == [] for c in result)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_bytes(data):
    _reads_or_refuses(data)


_cells = st.one_of(
    st.sampled_from(
        [
            "",
            "ARL",
            "internal",
            "external",
            "crisis_cell",
            "cert",
            "4512",
            "063 55 41 20",
            "a@b.be",
            "7",
            "-1",
            "'=x",
            '"',
            ";",
            ",",
            "\n",
            "\x00",
        ]
    ),
    st.text(max_size=12),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from([*COLUMNS, "Phone", "bogus", ""]), min_size=1, max_size=15),
    st.lists(st.lists(_cells, max_size=16), max_size=6),
    st.sampled_from([";", ","]),
    st.booleans(),
)
def test_fuzz_csv_shaped_files(header, rows, sep, bom):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8", errors="surrogatepass")
    _reads_or_refuses((b"\xef\xbb\xbf" if bom else b"") + data)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_small_changes_to_a_good_file(data):
    good = EXAMPLE.read_bytes()
    position = data.draw(st.integers(0, len(good) - 1))
    insert = data.draw(st.binary(min_size=0, max_size=4))
    cut = data.draw(st.integers(0, 4))
    _reads_or_refuses(good[:position] + insert + good[position + cut :])


# ---------------------------------------------------------------------------
# The demo directory
# ---------------------------------------------------------------------------


def test_the_demo_directory_is_valid_deterministic_and_covers_every_service():
    gm = parse_map(demo_map.generate(seed=1))
    contacts = demo_directory.generate(gm, seed=1)
    assert contacts == demo_directory.generate(parse_map(demo_map.generate(seed=1)), seed=1)
    assert contacts != demo_directory.generate(gm, seed=2)
    assert len({c.code for c in contacts}) == len(contacts)
    assert all(check_contact(c) == [] for c in contacts)
    services = {s.id for s in gm.services}
    assert services <= {c.service for c in contacts if c.service}
    assert {s.id for s in gm.sites} <= {c.site for c in contacts if c.kind == "internal"}
    assert {c.category for c in contacts if c.kind == "external"} == set(CATEGORIES)
    assert any(c.kind == "crisis_cell" for c in contacts)
    # what the generator gives, a file keeps
    assert parse_contacts(write_contacts(contacts)) == contacts


@pytest.mark.parametrize("sites", [1, 3, 40])
def test_the_demo_directory_scales_with_the_map(sites):
    gm = parse_map(demo_map.generate(seed=3, sites=sites))
    contacts = demo_directory.generate(gm, seed=3)
    assert len({c.code for c in contacts}) == len(contacts)
    assert {s.id for s in gm.sites} <= {c.site for c in contacts if c.kind == "internal"}
