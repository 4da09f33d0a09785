"""The directory's CSV file (FORMATS.md, "Directory CSV"): read, check, write.

`parse_contacts(data, name)` reads the bytes of a file and gives its contacts, or raises
`ContactsInvalid` carrying *every* problem found, each naming the file, the line and the
column: ``contacts.csv line 7, column phone: …``. It accepts UTF-8 with or without a
byte-order mark, separated by ``;`` (what French Excel writes) or ``,``.

`check_contact(contact)` holds the checks of one contact, shared with the web form;
`write_contacts(contacts)` writes a file that `parse_contacts` reads back equal.

Sites and care services are named by their map codes; whether they exist is the
database's business (`crisiscell.directory.importer`), not this module's. No Django here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

from .csv_rows import delimiter_of
from .csv_rows import records as csv_records

#: internal: a number of the group, at one of its sites (and maybe one care service);
#: crisis_cell: the cell itself (its room, its members); external: everyone else.
KINDS = ("internal", "crisis_cell", "external")
#: What an external contact is. Only external contacts have a category.
CATEGORIES = ("authority", "police", "cert", "supplier", "insurer", "press", "other")
#: The columns of the file, in the order `write_contacts` writes them.
COLUMNS = (
    "code",
    "kind",
    "category",
    "site",
    "service",
    "name",
    "function",
    "phone",
    "phone_alt",
    "email",
    "available",
    "notes",
    "position",
)
_COLUMN_ORDER = {name: i for i, name in enumerate(COLUMNS)}
#: Columns a file must have; the others may be left out (empty for every row).
REQUIRED_COLUMNS = ("code", "kind", "name", "phone")
#: The longest value each text column holds (the database's column sizes).
MAX_LENGTH = {
    "code": 100,
    "kind": 20,
    "category": 20,
    "site": 100,
    "service": 100,
    "name": 200,
    "function": 200,
    "phone": 40,
    "phone_alt": 40,
    "email": 254,
    "available": 100,
    "notes": 2000,
}
MAX_POSITION = 1_000_000
MIN_PHONE_DIGITS = 3  # an internal extension such as 4512 is a real direct line
MAX_PHONE_DIGITS = 20
DEFAULT_NAME = "contacts.csv"

_PHONE = re.compile(r"\+?[0-9 ().\-/]+")
_EMAIL = re.compile(r"[^\s@<>(),;:\"\[\]\\]+@[^\s@<>(),;:\"\[\]\\.]+(\.[^\s@<>(),;:\"\[\]\\.]+)+")
_INTEGER = re.compile(r"[0-9]+")
_ODD_SPACE = re.compile("[\u00a0\u2007\u202f]")
#: Control characters: a single-line field holds none; notes may hold line breaks and tabs.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_NOTES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: What `surrogateescape` makes of bytes that are not UTF-8.
_UNDECODABLE = re.compile("[\udc80-\udcff]")
#: Spreadsheets run a cell starting with one of these as a formula: the writer quotes such
#: a text cell with a leading apostrophe (OWASP's advice), the reader takes it off again.
_FORMULA_START = ("=", "+", "-", "@")
#: A text that starts with an apostrophe gets one more, so that reading takes off only ours.
_QUOTED_START = (*_FORMULA_START, "'")
#: A spreadsheet also reads ``+32 63 55 41 20`` as a formula and ``0475123456`` as a number
#: (losing its 0): such numbers are quoted too, and a number never holds an apostrophe.
_PHONES = frozenset({"phone", "phone_alt"})


@dataclass(frozen=True)
class Contact:
    """One entry of the directory, as the file and the form give it (codes, not rows)."""

    code: str
    kind: str
    name: str
    phone: str
    category: str = ""
    site: str = ""
    service: str = ""
    function: str = ""
    phone_alt: str = ""
    email: str = ""
    available: str = ""
    notes: str = ""
    #: Order within its group (site and service, or category); None: after the others.
    position: int | None = None
    #: The file line it was read from (0: not read from a file); not part of the contact.
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class ContactError:
    """One problem, with where it is. `code` names the kind of fault for translation,
    `params` its values; `message` is the English sentence."""

    code: str
    message: str
    column: str = ""
    line: int | None = None
    file: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @property
    def where(self) -> str:
        """``contacts.csv line 7, column phone`` (or the parts of it that are known)."""
        place = " ".join(p for p in (self.file, f"line {self.line}" if self.line else "") if p)
        if self.column:
            return f"{place}, column {self.column}" if place else f"column {self.column}"
        return place

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ContactsInvalid(ValueError):
    """The file (or a contact) is not valid; `errors` lists every problem found."""

    def __init__(self, errors: Iterable[ContactError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def error(code: str, message: str, column: str = "", /, **params: object) -> ContactError:
    """A located-later error: `message` is an English %-format over `params`."""
    values = {k: str(v) for k, v in params.items()}
    return ContactError(code, message % values, column, params=tuple(values.items()))


# ---------------------------------------------------------------------------
# Checks of one contact
# ---------------------------------------------------------------------------


def normalize_phone(value: str) -> str:
    """A number pasted from a page or a spreadsheet may hold no-break spaces: plain ones."""
    return _ODD_SPACE.sub(" ", value).strip()


def digits(phone: str) -> str:
    """The digits of a phone number, what a search compares."""
    return "".join(ch for ch in phone if ch.isdigit() and ch.isascii())


def phone_error(value: str, column: str) -> ContactError | None:
    if not _PHONE.fullmatch(value):
        return error(
            "bad_phone",
            "%(value)r is not a phone number (digits, spaces and + . - / ( ) only; + only first)",
            column,
            value=_short(value),
        )
    n = len(digits(value))
    if n < MIN_PHONE_DIGITS or n > MAX_PHONE_DIGITS:
        return error(
            "phone_digits",
            "%(value)r has %(n)s digits (a number has %(min)s to %(max)s)",
            column,
            value=value,
            n=n,
            min=MIN_PHONE_DIGITS,
            max=MAX_PHONE_DIGITS,
        )
    return None


def check_contact(c: Contact) -> list[ContactError]:
    """Every problem of one contact, each naming its column (not its line)."""
    errors: list[ContactError] = []
    for name in MAX_LENGTH:
        if name in ("kind", "category"):  # checked against their lists below
            continue
        value = getattr(c, name)
        bad = (_CONTROL_IN_NOTES if name == "notes" else _CONTROL).search(value)
        if bad:
            errors.append(
                error(
                    "control_character",
                    "holds a control character (U+%(char)s)",
                    name,
                    char=f"{ord(bad.group(0)):04X}",
                )
            )
        elif len(value) > MAX_LENGTH[name]:
            errors.append(
                error(
                    "too_long",
                    "too long: %(n)s characters (at most %(max)s)",
                    name,
                    n=len(value),
                    max=MAX_LENGTH[name],
                )
            )
    for name in REQUIRED_COLUMNS:
        if not getattr(c, name):
            errors.append(error("required", "required, and empty", name))
    if c.kind and c.kind not in KINDS:
        errors.append(
            error(
                "bad_kind",
                "unknown kind %(value)r (expected one of: %(expected)s)",
                "kind",
                value=_short(c.kind),
                expected=", ".join(KINDS),
            )
        )
    errors += _kind_errors(c)
    for name in ("phone", "phone_alt"):
        value = getattr(c, name)
        problem = phone_error(value, name) if value and len(value) <= MAX_LENGTH[name] else None
        if problem:
            errors.append(problem)
    if c.email and len(c.email) <= MAX_LENGTH["email"] and not _EMAIL.fullmatch(c.email):
        errors.append(
            error(
                "bad_email",
                "%(value)r is not an e-mail address",
                "email",
                value=_short(c.email),
            )
        )
    if c.position is not None and not 0 <= c.position <= MAX_POSITION:
        errors.append(
            error(
                "bad_position",
                "%(value)r is not a whole number from 0 to %(max)s",
                "position",
                value=c.position,
                max=MAX_POSITION,
            )
        )
    return errors


def _kind_errors(c: Contact) -> list[ContactError]:
    """What each kind of contact needs, and what it may not have."""
    errors = []
    if c.kind == "external":
        if not c.category:
            errors.append(
                error(
                    "category_required",
                    "an external contact needs a category (one of: %(expected)s)",
                    "category",
                    expected=", ".join(CATEGORIES),
                )
            )
        elif c.category not in CATEGORIES:
            errors.append(
                error(
                    "bad_category",
                    "unknown category %(value)r (expected one of: %(expected)s)",
                    "category",
                    value=_short(c.category),
                    expected=", ".join(CATEGORIES),
                )
            )
    elif c.kind in KINDS and c.category:
        errors.append(
            error(
                "category_not_external",
                "only external contacts have a category (leave it empty for kind %(kind)s)",
                "category",
                kind=c.kind,
            )
        )
    if c.kind == "internal" and not c.site:
        errors.append(error("site_required", "an internal contact needs its site", "site"))
    if c.service and c.kind in KINDS and c.kind != "internal":
        errors.append(
            error(
                "service_not_internal",
                "only internal contacts belong to a care service (kind is %(kind)s)",
                "service",
                kind=c.kind,
            )
        )
    return errors


def _short(value: object, limit: int = 60) -> str:
    """A value as an error quotes it: control characters shown as ``?``, cut if long."""
    text = _CONTROL.sub("?", _UNDECODABLE.sub("?", str(value)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def parse_contacts(data: bytes | str, name: str = DEFAULT_NAME) -> list[Contact]:
    """The contacts of a CSV file, in file order, all checked; raises ContactsInvalid."""
    errors: list[ContactError] = []

    def located(e: ContactError, line: int | None) -> ContactError:
        return replace(e, file=name, line=line)

    text = _decode(data, name, errors)
    lines = _records(text, errors, located)
    header_at = next((i for i, (_, cells) in enumerate(lines) if _filled(cells)), None)
    if header_at is None:
        errors.append(
            located(
                error(
                    "empty_file",
                    "the file is empty: its first line names the columns (%(columns)s)",
                    columns=", ".join(COLUMNS),
                ),
                None,
            )
        )
        raise ContactsInvalid(errors)
    header_line, header_cells = lines[header_at]
    columns = _header(header_cells, header_line, errors, located)
    if columns is None:
        raise ContactsInvalid(errors)

    contacts: list[Contact] = []
    first_line: dict[str, int] = {}
    for number, cells in lines[header_at + 1 :]:
        if not _filled(cells):
            continue
        values = _row_values(cells, columns, number, errors, located)
        if values is None:
            continue
        contact, problems = _contact(values, number, len(contacts) + 1)
        errors += [located(p, number) for p in problems]
        if contact.code:
            if contact.code in first_line:
                errors.append(
                    located(
                        error(
                            "duplicate_code",
                            "code %(value)r is already on line %(first)s",
                            "code",
                            value=_short(contact.code),
                            first=first_line[contact.code],
                        ),
                        number,
                    )
                )
            else:
                first_line[contact.code] = number
        contacts.append(contact)
    if errors:
        raise ContactsInvalid(errors)
    return contacts


def _filled(cells: list[str]) -> bool:
    return any(c.strip() for c in cells)


def _decode(data: bytes | str, name: str, errors: list[ContactError]) -> str:
    if isinstance(data, str):
        text = data
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        # Undecodable bytes are kept as lone surrogates, to report them by line and read on.
        text = data.decode("utf-8", errors="surrogateescape")
    text = text.removeprefix("\ufeff")
    if _UNDECODABLE.search(text):
        for number, line in enumerate(text.split("\n"), start=1):
            bad = _UNDECODABLE.search(line)
            if bad:
                byte = ord(bad.group(0)) - 0xDC00
                errors.append(
                    replace(
                        error(
                            "not_utf8",
                            "not UTF-8 text (byte 0x%(byte)s): save the file as "
                            "“CSV UTF-8” and import it again",
                            byte=f"{byte:02x}",
                        ),
                        file=name,
                        line=number,
                    )
                )
    return text


def _records(text: str, errors: list[ContactError], located) -> list[tuple[int, list[str]]]:
    """The CSV records of `text`, each with the line it starts on."""
    found = []
    for start, cells in csv_records(text, delimiter_of(text)):
        if isinstance(cells, csv.Error):
            errors.append(
                located(
                    error("malformed_csv", "malformed CSV (%(why)s)", why=_short(cells, 120)),
                    start,
                )
            )
        else:
            found.append((start, cells))
    return found


def _header(cells: list[str], line: int, errors: list[ContactError], located) -> list[str] | None:
    """The column of each position ('' for a column with no name), or None if unusable."""
    columns: list[str] = []
    problems = []
    for position, cell in enumerate(cells, start=1):
        column = re.sub(r"[\s-]+", "_", cell.strip().lower())
        if column and column not in COLUMNS:
            problems.append(
                error(
                    "unknown_column",
                    "unknown column %(header)r (expected: %(expected)s)",
                    _short(cell.strip()),
                    header=_short(cell.strip()),
                    expected=", ".join(COLUMNS),
                )
            )
        elif column and column in columns:
            problems.append(
                error(
                    "duplicate_column",
                    "column %(header)r appears twice (position %(position)s)",
                    column,
                    header=column,
                    position=position,
                )
            )
        columns.append(column)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(
            error(
                "missing_columns",
                "missing column(s): %(missing)s (the header is the file's first line)",
                missing=", ".join(missing),
            )
        )
    errors += [located(p, line) for p in problems]
    return None if problems else columns


def _row_values(
    cells: list[str], columns: list[str], line: int, errors: list[ContactError], located
) -> dict[str, str] | None:
    extra = cells[len(columns) :]
    if len(cells) < len(columns) or any(c.strip() for c in extra):
        errors.append(
            located(
                error(
                    "cell_count",
                    "%(n)s value(s) for %(columns)s column(s)",
                    n=len(cells),
                    columns=len(columns),
                ),
                line,
            )
        )
        return None
    values: dict[str, str] = {}
    for position, (column, cell) in enumerate(zip(columns, cells, strict=False), start=1):
        value = cell.replace("\r\n", "\n").strip()
        if not column:
            if value:
                errors.append(
                    located(
                        error(
                            "unnamed_column",
                            "a value in column %(position)s, which has no name in the header",
                            position=position,
                        ),
                        line,
                    )
                )
            continue
        if value[:1] == "'" and (column in _PHONES or value[1:2] in _QUOTED_START):
            value = value[1:]
        values[column] = value
    return values


def _contact(values: Mapping[str, str], line: int, order: int) -> tuple[Contact, list]:
    """The contact of one row and the problems of its values (not yet located)."""
    problems = []
    position: int | None = order
    raw = values.get("position", "")
    if raw:
        if _INTEGER.fullmatch(raw) and len(raw) <= 7 and int(raw) <= MAX_POSITION:
            position = int(raw)
        else:
            problems.append(
                error(
                    "bad_position",
                    "%(value)r is not a whole number from 0 to %(max)s",
                    "position",
                    value=_short(raw),
                    max=MAX_POSITION,
                )
            )
    contact = Contact(
        code=values.get("code", ""),
        kind=_word(values.get("kind", "")),
        category=_word(values.get("category", "")),
        site=values.get("site", ""),
        service=values.get("service", ""),
        name=values.get("name", ""),
        function=values.get("function", ""),
        phone=normalize_phone(values.get("phone", "")),
        phone_alt=normalize_phone(values.get("phone_alt", "")),
        email=values.get("email", ""),
        available=values.get("available", ""),
        notes=values.get("notes", ""),
        position=position,
        line=line,
    )
    problems += check_contact(contact)
    problems.sort(key=lambda p: _COLUMN_ORDER.get(p.column, len(COLUMNS)))
    return contact, problems


def _word(value: str) -> str:
    """Kinds and categories are codes: ``Crisis cell`` reads as ``crisis_cell``."""
    return re.sub(r"[\s-]+", "_", value.strip().lower())


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def write_contacts(contacts: Iterable[Contact]) -> bytes:
    """The file of `contacts`: UTF-8 with a byte-order mark and ``;`` between values, so
    that a French Excel opens it in columns; `parse_contacts` reads it back equal."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    names = {f.name for f in fields(Contact)}
    for c in contacts:
        row = []
        for column in COLUMNS:
            value = getattr(c, column) if column in names else ""
            text = "" if value is None else str(value)
            if column in _PHONES:
                quote = text.startswith(_FORMULA_START) or text.isdigit()
            else:
                quote = column != "position" and text.startswith(_QUOTED_START)
            row.append("'" + text if quote else text)
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
