"""The crisis log (main courante) as a hash chain: make entries, verify a chain, export it.

The log is append-only. Every entry carries the SHA-256 of its own canonical encoding
(`canonical`), and that encoding includes the hash of the entry before it (``prev_hash``;
`GENESIS` for the first). A change to any entry therefore changes its hash, and every later
entry points to the old one: tampering done directly in the database is detectable, and
`verify` says *what* was done and *to which entry*:

* ``modified``: an entry's content no longer matches its stored hash; or its hash was
  rewritten too, and its successor now points to a hash that is nowhere in the chain (the
  entry named is the one whose hash its successor no longer points to);
* ``deleted``: an entry's predecessor is nowhere in the chain and the seq values jump: the
  missing seq values are named;
* ``inserted``: an entry of the crisis that is not on the chain leading back from its head
  (no entry links to it; the chain runs past it), or a second copy of an entry;
* ``reordered``: intact entries stored out of chain order (seq values swapped), or seq values
  that are duplicated or jump while the links show nothing is missing;
* ``foreign``: an intact entry of another crisis;
* ``bad_correction``: an entry that corrects something that is not an earlier entry;
* ``head_mismatch``: the chain does not end with the head (or hold the count) it must.

Limits, honestly: a hash chain proves that nothing changed *since a hash was seen
elsewhere*. Someone who can write to the database and rewrites the whole chain from some
entry on (every hash recomputed), who deletes the last entries, or who appends forged entries
at the end, leaves a chain that is consistent on its own. That is caught only against a head
kept outside the database -- an export handed out (its ``head`` and ``count``), a head
printed on a briefing -- which is what `verify`'s ``expected_head`` and ``expected_count``
are for. The chain does not prove who wrote an entry nor when: ``author`` and ``at`` are what
the application recorded.

Speed: `verify` is one linear pass. The canonical bytes of each entry are assembled from
pre-escaped pieces (the values that repeat -- author, crisis, kind, role, links -- are
escaped once per distinct value; the text only when it holds a character JSON escapes),
giving exactly the bytes of `canonical`; the full fault analysis, also linear, runs only when
that pass finds something wrong. Each entry's hash depends on its own fields only (its
``prev_hash`` is one of them), so from `PARALLEL_MIN` entries on the pass is cut into one
stretch per CPU, scanned in forked processes that share the entries copy-on-write (the
link into a stretch is checked against the hash stored before it, which the stretch before
checks). That is done only where forking is safe (Linux, a process running one thread: the
command line), never in a threaded server, and gives the result of the pass in one process.

No Django here: the crisis app stores entries and calls these functions.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
import signal
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress
from json.encoder import encode_basestring
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, NoReturn

GENESIS = "0" * 64
KINDS = ("event", "decision", "action", "message_in", "message_out", "meeting")
FORMAT = "crisiscell-log/1"
FAULT_KINDS = (
    "modified",
    "deleted",
    "inserted",
    "reordered",
    "foreign",
    "bad_correction",
    "head_mismatch",
    "malformed",
)

#: What `export_document` writes under ``canonical``: the encoding an outside verifier
#: re-implements (the same as `canonical`'s docstring, in one paragraph).
CANONICAL_DESCRIPTION = (
    "Each entry's hash is the lowercase hexadecimal SHA-256 of its canonical encoding: the "
    "UTF-8 bytes (no byte-order mark, no trailing newline) of a JSON object holding exactly "
    "these nine members, in this order: at, author, corrects, crisis, kind, links, prev_hash, "
    "role, text (seq and hash are not part of it). No whitespace anywhere: ',' between "
    "members and array items, ':' between key and value. at, author, crisis, kind, prev_hash, "
    "role and text are JSON strings; corrects is a JSON string or null; links is an array of "
    "JSON strings, in the order stored (sorted, unique), [] when empty. In strings, '\"' is "
    "written \\\", '\\' is written \\\\, U+0008, U+000C, U+000A, U+000D and U+0009 are "
    "written \\b, \\f, \\n, \\r and \\t, the other characters below U+0020 are written "
    "\\u00XX with lowercase hexadecimal digits, and every other character (non-ASCII "
    "included) is written as itself, in UTF-8. This is Python's json.dumps(obj, "
    "sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8'). prev_hash "
    "is the previous entry's hash, or 64 zeros for the first entry: entry n+1 is valid when "
    "its prev_hash equals entry n's hash and its hash is the SHA-256 of its encoding; head "
    "is the hash of the last entry."
)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
# A link names one object of the group map: "kind:value", value without surrounding blanks.
_LINK = re.compile(r"[a-z][a-z0-9_]*:[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # \t \n \r are allowed
# The bytes JSON escapes inside a string: what makes the raw UTF-8 of a text differ from
# its encoding. UTF-8 never uses these byte values inside a multi-byte character.
_JSON_SPECIAL_BYTES = bytes(range(0x20)) + b'"\\'


# ---------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a crisis log, as stored. Make new ones with `make_entry`."""

    crisis: str  # the crisis's uid (uuid hex): entries cannot be moved between crises
    seq: int  # 1, 2, 3... storage order; NOT part of the hash (order is proven by the links)
    at: str  # UTC time, ISO 8601, microseconds, 'Z': "2026-11-26T02:31:07.123456Z"
    author: str  # username ("" for the system)
    role: str  # the author's role at the time
    kind: str  # one of KINDS
    text: str
    links: tuple[str, ...] = ()  # sorted, unique: "site:ARL", "host:srv-x", "flow:A->B"...
    corrects: str | None = None  # hash of the entry this one corrects (never an edit)
    prev_hash: str = GENESIS
    hash: str = ""


def _canonical(
    at: Any,
    author: Any,
    corrects: Any,
    crisis: Any,
    kind: Any,
    links: Any,
    prev_hash: Any,
    role: Any,
    text: Any,
) -> bytes:
    doc = {
        "at": at,
        "author": author,
        "corrects": corrects,
        "crisis": crisis,
        "kind": kind,
        "links": list(links),
        "prev_hash": prev_hash,
        "role": role,
        "text": text,
    }
    return json.dumps(
        doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _canonical_fast(
    at: str,
    author: str,
    corrects: str | None,
    crisis: str,
    kind: str,
    links: Sequence[str],
    prev_hash: str,
    role: str,
    text: str,
) -> bytes:
    """`_canonical` for fields known to be strings (and links a sequence of strings), without
    building a dict: each string escaped by the json module's own escaper."""
    enc = encode_basestring
    c = "null" if corrects is None else enc(corrects)
    return (
        f'{{"at":{enc(at)},"author":{enc(author)},"corrects":{c},"crisis":{enc(crisis)},'
        f'"kind":{enc(kind)},"links":[{",".join(map(enc, links))}],'
        f'"prev_hash":{enc(prev_hash)},"role":{enc(role)},"text":{enc(text)}}}'
    ).encode()


def canonical(e: Entry) -> bytes:
    """The bytes an entry's hash is computed over: every field except ``seq`` and ``hash``.

    Exactly (this is what an outside verifier re-implements):

    * a JSON object with exactly nine members, keys in this order (sorted by code point):
      ``at``, ``author``, ``corrects``, ``crisis``, ``kind``, ``links``, ``prev_hash``,
      ``role``, ``text``;
    * no whitespace at all: ``,`` between members and between array items, ``:`` between a
      key and its value;
    * ``at``, ``author``, ``crisis``, ``kind``, ``prev_hash``, ``role``, ``text``: JSON
      strings; ``corrects``: a JSON string, or ``null`` when the entry corrects nothing;
      ``links``: an array of JSON strings in the stored order (sorted, unique), ``[]`` when
      there are none;
    * inside strings: ``"`` is written ``\\"``, ``\\`` is written ``\\\\``; U+0008, U+000C,
      U+000A, U+000D, U+0009 are written ``\\b``, ``\\f``, ``\\n``, ``\\r``, ``\\t``; every
      other character below U+0020 is written ``\\u00XX`` with lowercase hex digits; every
      other character, non-ASCII included, is written as itself;
    * the whole encoded as UTF-8, without byte-order mark or trailing newline.

    That is ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
    encoded as UTF-8. ``seq`` is left out on purpose: the order of entries is proven by the
    ``prev_hash`` links, not by a number anyone can renumber.

    Raises `ValueError` (`UnicodeEncodeError`) for a string holding a lone surrogate, which
    has no UTF-8 encoding; `make_entry` never produces one.
    """
    return _canonical(
        e.at, e.author, e.corrects, e.crisis, e.kind, e.links, e.prev_hash, e.role, e.text
    )


def entry_hash(e: Entry) -> str:
    """``sha256(canonical(e)).hexdigest()``: ``prev_hash`` is inside, so hashes chain."""
    return hashlib.sha256(canonical(e)).hexdigest()


def format_time(dt: datetime) -> str:
    """An aware datetime as an entry's ``at``: UTC, microseconds, ``Z``.

    ``2026-11-26T02:31:07.123456Z``. A naive datetime raises `ValueError`: its time zone
    would be a guess, and the log is evidence.
    """
    if not isinstance(dt, datetime):
        raise ValueError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: the log needs an aware UTC time")
    u = dt.astimezone(UTC)
    # Formatted by hand: strftime("%Y") does not pad years below 1000 on every platform.
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T"
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"
    )


def _check_time(at: Any) -> None:
    if not isinstance(at, str) or not _AT.fullmatch(at):
        raise ValueError(
            f"at {at!r}: expected a UTC time like '2026-11-26T02:31:07.123456Z' (use format_time)"
        )
    try:
        datetime.fromisoformat(at[:-1])
    except ValueError:
        raise ValueError(f"at {at!r}: not a real date and time") from None


def _check_encodable(name: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{name}: character U+{ord(value[exc.start]):04X} at position {exc.start} "
            "is a lone surrogate, which cannot be stored"
        ) from None


def _normalise_links(links: Iterable[str]) -> tuple[str, ...]:
    if isinstance(links, str | bytes) or not isinstance(links, Iterable):
        raise ValueError(f"links: expected a list of strings, got {type(links).__name__}")
    out = set()
    for link in links:
        if not isinstance(link, str) or not _LINK.fullmatch(link):
            raise ValueError(
                f"link {link!r}: expected 'kind:value' with a lowercase kind, such as "
                "'site:ARL', 'host:srv-x' or 'flow:A->B'"
            )
        _check_encodable("link", link)
        out.add(link)
    return tuple(sorted(out))


def make_entry(
    prev: Entry | None,
    *,
    crisis: str,
    at: str,
    author: str,
    role: str,
    kind: str,
    text: str,
    links: Iterable[str] = (),
    corrects: str | None = None,
) -> Entry:
    """The entry that follows `prev` (``None`` for the first), with its hash.

    ``seq`` is ``prev.seq + 1`` (1 for the first) and ``prev_hash`` is ``prev.hash``
    (`GENESIS` for the first). Validates every field and raises `ValueError` naming the
    field: ``crisis`` a uuid hex and the same as ``prev``'s, ``at`` as `format_time` writes
    it, ``kind`` one of `KINDS`, ``text`` not blank (tabs and line breaks are fine, other
    control characters are not), ``links`` of the form ``kind:value`` (normalised: sorted,
    duplicates dropped), ``corrects`` a hash (64 lowercase hex digits) or ``None``. Whether
    ``corrects`` names an earlier entry of the chain is for the caller to check (`verify`
    reports it as ``bad_correction``).
    """
    if not isinstance(crisis, str) or not _HEX32.fullmatch(crisis):
        raise ValueError(f"crisis {crisis!r}: expected the crisis's uid as 32 lowercase hex digits")
    if prev is None:
        seq, prev_hash = 1, GENESIS
    else:
        if not isinstance(prev, Entry):
            raise ValueError(f"prev: expected an Entry or None, got {type(prev).__name__}")
        if prev.crisis != crisis:
            raise ValueError(
                f"crisis {crisis!r}: the previous entry (#{prev.seq}) belongs to crisis "
                f"{prev.crisis!r}; entries cannot move between crises"
            )
        if not isinstance(prev.hash, str) or not _HEX64.fullmatch(prev.hash):
            raise ValueError(f"prev: entry #{prev.seq} has no valid hash ({prev.hash!r})")
        seq, prev_hash = prev.seq + 1, prev.hash
    _check_time(at)
    for name, value in (("author", author), ("role", role)):
        if not isinstance(value, str):
            raise ValueError(f"{name}: expected a string, got {type(value).__name__}")
        if _CONTROL.search(value):
            raise ValueError(f"{name} {value!r}: control characters are not allowed")
        _check_encodable(name, value)
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text: an entry needs a text")
    bad = _TEXT_CONTROL.search(text)
    if bad:
        raise ValueError(
            f"text: control character U+{ord(bad.group()):04X} at position {bad.start()} "
            "(only tabs and line breaks are allowed)"
        )
    _check_encodable("text", text)
    links = _normalise_links(links)
    if corrects is not None and (not isinstance(corrects, str) or not _HEX64.fullmatch(corrects)):
        raise ValueError(f"corrects {corrects!r}: expected the hash of the entry corrected")
    digest = hashlib.sha256(
        _canonical_fast(at, author, corrects, crisis, kind, links, prev_hash, role, text)
    ).hexdigest()
    return Entry(
        crisis=crisis,
        seq=seq,
        at=at,
        author=author,
        role=role,
        kind=kind,
        text=text,
        links=links,
        corrects=corrects,
        prev_hash=prev_hash,
        hash=digest,
    )


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One thing wrong with a chain, naming the entry by its stored ``seq``."""

    seq: int | None  # the stored seq of the entry at fault (or the missing one)
    kind: str  # one of FAULT_KINDS
    message: str  # English, precise: "entry #12 was modified: ..."

    def __str__(self) -> str:
        return self.message


@dataclass
class Verification:
    """What `verify` found. ``ok`` is true exactly when ``faults`` is empty."""

    ok: bool
    count: int
    head: str  # hash of the last entry (GENESIS when empty)
    faults: list[Fault] = field(default_factory=list)

    @property
    def first(self) -> Fault | None:
        """The first fault in chain order, or None."""
        return self.faults[0] if self.faults else None


_HASH = attrgetter("hash")
#: The fields of an entry, in the order of `Entry`.
_RECORD = (
    "seq",
    "crisis",
    "at",
    "author",
    "role",
    "kind",
    "text",
    "links",
    "corrects",
    "prev_hash",
    "hash",
)


class _Chain(NamedTuple):
    """A stored chain as one list per field, for the full analysis."""

    seq: list
    crisis: list
    at: list
    author: list
    role: list
    kind: list
    text: list
    links: list
    corrects: list
    prev_hash: list
    hash: list


def _entry_digest(e: Any) -> str | None:
    """`entry_hash`, or None when the entry cannot be encoded (a lone surrogate, a field of
    the wrong type): such an entry cannot match any stored hash."""
    try:
        return entry_hash(e)
    except (TypeError, ValueError):
        return None


class _Row:
    """An entry read from an export, for verification: `Entry`'s fields without the cost of
    a frozen dataclass's constructor (exports are read by the million)."""

    __slots__ = _RECORD


class _Pieces(dict):
    """The escaped JSON (UTF-8) around ``corrects``, ``links``, ``prev_hash`` and ``text``,
    for each distinct (author, crisis, kind, role): few in a log, so each is escaped once.
    Notes whether one of another crisis was met."""

    def __init__(self, crisis: str) -> None:
        super().__init__()
        self.crisis = crisis
        self.foreign = False

    def __missing__(self, key: tuple[str, str, str, str]) -> tuple[bytes, bytes, bytes]:
        author, crisis, kind, role = key
        enc = encode_basestring
        value = self[key] = (
            f',"author":{enc(author)},"corrects":'.encode(),
            f',"crisis":{enc(crisis)},"kind":{enc(kind)},"links":['.encode(),
            f'","role":{enc(role)},"text":"'.encode(),
        )
        if crisis != self.crisis:
            self.foreign = True
        return value


class _Links(dict):
    """The escaped items (UTF-8) of each distinct ``links`` tuple."""

    def __missing__(self, links: tuple[str, ...]) -> bytes:
        value = self[links] = ",".join(map(encode_basestring, links)).encode()
        return value


# The canonical encoding with its values left out, in `_scan`'s order: at, the author piece,
# corrects, the crisis piece, links, prev_hash, the role piece, text.
_TEMPLATE = b'{"at":%b%b%b%b%b],"prev_hash":"%b%b%b"}'


def _scan(
    entries: Sequence[Any],
    crisis: str,
    start: int = 0,
    stop: int | None = None,
    last: str | None = GENESIS,
) -> tuple[list[int], bool, list[tuple[int, Any]]]:
    """The fast pass over ``entries[start:stop]`` in stored order: the positions whose
    recomputed hash is not the stored one; whether that stretch is clean -- every hash
    matches, every link points to the entry stored just before (the first one's to `last`,
    the recomputed hash of the entry before the stretch), seq is position + 1, every entry
    belongs to `crisis`; and (position, corrects) for every entry that corrects another.

    The bytes hashed are exactly `canonical`'s (the tests check it): the JSON between the
    values comes from `_Pieces` and `_Links`; ``prev_hash`` is used as is when it equals the
    previous entry's recomputed hash (hex digits need no escaping), escaped otherwise; the
    text is used as its raw UTF-8 unless that holds a byte JSON escapes. Hashing is a third
    of the cost; the rest is kept to plain attribute reads and a few calls in C. Each
    entry's hash depends on its own fields only, so stretches can be scanned apart: only
    the clean flag looks at the link with the stretch before (through `last`).
    """
    enc = encode_basestring
    sha256 = hashlib.sha256
    special = _JSON_SPECIAL_BYTES
    template = _TEMPLATE
    pieces = _Pieces(crisis)
    links_json = _Links()
    bad: list[int] = []
    corrections: list[tuple[int, Any]] = []
    clean = True
    if start or stop is not None:
        entries = entries[start:stop]
    # `seq` is the position + 1: counting from start + 1 saves an addition per entry.
    for seq, e in enumerate(entries, start + 1):
        try:
            p_author, p_crisis, p_role = pieces[(e.author, e.crisis, e.kind, e.role)]
            corrects = e.corrects
            if corrects is None:
                c = b"null"
            else:
                corrections.append((seq - 1, corrects))
                c = enc(corrects).encode()
            prev = e.prev_hash
            if prev != last:
                clean = False
                prev = enc(prev)[1:-1]
            text = e.text
            raw = text.encode()
            if raw.translate(None, special) != raw:
                raw = enc(text)[1:-1].encode()
            digest = sha256(
                template
                % (
                    enc(e.at).encode(),
                    p_author,
                    c,
                    p_crisis,
                    links_json[e.links],
                    prev.encode(),
                    p_role,
                    raw,
                )
            ).hexdigest()
        except (TypeError, ValueError, AttributeError):  # not a str, or a lone surrogate
            digest = _entry_digest(e)
            clean = False
        if digest != e.hash:
            bad.append(seq - 1)
            clean = False
        if e.seq != seq:
            clean = False
        last = digest
    return bad, clean and not pieces.foreign, corrections


# ---------------------------------------------------------------------------
# The fast pass on several cores
# ---------------------------------------------------------------------------

#: Below this many entries `verify` scans in one process. Measured on 2 cores: the fork
#: and the copy-on-write of the pages each process touches cost about as much as the
#: second core saves on 10,000 entries; 20,000 take 30 ms instead of 39, 100,000 take 128
#: ms instead of 190, 1,000,000 take 1.3 s instead of 2.0.
PARALLEL_MIN = 20_000
_MAX_WORKERS = 8


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _single_threaded() -> bool:
    """Whether this process runs one thread only (OS threads, not just Python's): the one
    case where forking is safe, as no other thread can hold a lock the child would need."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _workers(n: int, workers: int | None) -> int:
    """How many processes scan `n` entries: 1 unless more were asked for (None: as many as
    there are CPUs, from `PARALLEL_MIN` entries on) and forking is safe here -- on Linux, in
    a process with a single thread (the command line, a worker process; never a threaded
    server such as waitress, which scans in its own thread)."""
    if workers is None:
        workers = _available_cpus() if n >= PARALLEL_MIN else 1
    workers = min(workers, n, _MAX_WORKERS)
    if workers < 2 or not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1
    return workers if _single_threaded() else 1


def _scan_child(
    entries: Sequence[Any], crisis: str, start: int, stop: int, r: int, w: int
) -> NoReturn:
    """In a forked child: scan ``entries[start:stop]``, write the result to the pipe `w`,
    exit. Never returns: the child must not go on running its parent's code."""
    code = 1
    try:
        os.close(r)
        gc.disable()  # a collection would touch, and so copy, the parent's whole heap
        h = entries[start - 1].hash
        # The previous recomputed hash, when the stored one is it (otherwise that entry is
        # reported by the parent's stretch, and None only makes this one's link unclean).
        last = h if type(h) is str and _HEX64.fullmatch(h) else None
        bad, clean, corrections = _scan(entries, crisis, start, stop, last)
        # Positions only (a correction's value is read back by the parent): the number of
        # items, clean, the number of bad positions, the bad positions, the positions of
        # the corrections.
        result = array("q", [3 + len(bad) + len(corrections), clean, len(bad), *bad])
        result.extend(j for j, _ in corrections)
        data = memoryview(result).cast("B")
        while data:
            data = data[os.write(w, data) :]
        code = 0
    finally:
        os._exit(code)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _scan_parallel(
    entries: Sequence[Any], crisis: str, workers: int
) -> tuple[list[int], bool, list[tuple[int, Any]]]:
    """`_scan` over all entries, cut into `workers` stretches: the first scanned here, the
    others in forked children (the entries are shared copy-on-write, nothing is serialised;
    each child sends back its bad positions, its clean flag and where its corrections are).
    The result is `_scan`'s exactly: a child that fails in any way (fork refused, crash, an
    exception) has its stretch scanned here instead, which reproduces the exception."""
    n = len(entries)
    workers = min(workers, n)
    if workers < 2:
        return _scan(entries, crisis)
    bounds = [n * k // workers for k in range(workers + 1)]
    running: dict[int, int] = {}  # pid -> read end of its pipe, until reaped
    stretches: list[tuple[int, int, int]] = []  # pid (0: not forked), start, stop
    try:
        for k in range(1, workers):
            start, stop = bounds[k], bounds[k + 1]
            r, w = os.pipe()
            try:
                pid = os.fork()
            except OSError:
                os.close(r)
                os.close(w)
                stretches.append((0, start, stop))
                continue
            if pid == 0:  # pragma: no cover - the child; coverage does not see it exit
                _scan_child(entries, crisis, start, stop, r, w)
            os.close(w)
            running[pid] = r
            stretches.append((pid, start, stop))

        bad, clean, corrections = _scan(entries, crisis, 0, bounds[1])
        for pid, start, stop in stretches:
            result: array | None = None
            if pid:
                data = _read_all(running[pid])
                try:
                    status = os.waitpid(pid, 0)[1]
                except ChildProcessError:  # reaped already (SIGCHLD ignored): trust the data
                    status = 0
                os.close(running.pop(pid))
                if status == 0 and len(data) >= 24 and not len(data) % 8:
                    result = array("q", data)
                    if result[0] != len(result):  # cut short
                        result = None
            if result is None:  # the child failed: scan its stretch here
                h = entries[start - 1].hash
                last = h if type(h) is str and _HEX64.fullmatch(h) else None
                part, part_clean, part_corrections = _scan(entries, crisis, start, stop, last)
            else:
                part_clean, size = bool(result[1]), result[2]
                part = result[3 : 3 + size].tolist()
                part_corrections = [(j, entries[j].corrects) for j in result[3 + size :]]
            bad += part
            clean = clean and part_clean
            corrections += part_corrections
    finally:
        # Only after an exception (KeyboardInterrupt included): stop the children left.
        for pid, r in running.items():
            os.close(r)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return bad, clean, corrections


def _fast_pass(
    entries: Sequence[Any], crisis: str, workers: int | None
) -> tuple[list[int], bool, list[tuple[int, Any]]]:
    """`_scan` of every entry, on several cores when `_workers` allows it."""
    k = _workers(len(entries), workers)
    return _scan(entries, crisis) if k < 2 else _scan_parallel(entries, crisis, k)


def _correction_faults(
    corrections: Iterable[tuple[int, Any]], pos: dict[str, int], seqs: Sequence[int]
) -> list[tuple[int, Fault]]:
    """A ``bad_correction`` for each (position, corrects) that names no earlier entry."""
    found = []
    for j, corrects in corrections:
        q = pos.get(corrects)
        if q is None or q >= j:
            where = "a later entry" if q is not None else "no entry of this chain"
            found.append(
                (
                    j,
                    Fault(
                        seqs[j],
                        "bad_correction",
                        f"entry #{seqs[j]} corrects {corrects}, which is {where}: a "
                        "correction must name an earlier entry",
                    ),
                )
            )
    return found


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def _span(a: int, b: int) -> str:
    return f"entry #{a}" if a == b else f"entries #{a} to #{b}"


def verify(
    entries: Sequence[Entry],
    *,
    crisis: str | None = None,
    expected_head: str | None = None,
    expected_count: int | None = None,
    workers: int | None = None,
) -> Verification:
    """Check a crisis log given **in stored order** (by seq), naming every fault found.

    `crisis`: the crisis the log belongs to; entries of another crisis are ``foreign``.
    When None, the crisis most entries carry. `expected_head` and `expected_count`: the
    head and count seen elsewhere (an export, a printed briefing); the chain must end with
    exactly that head and hold that many entries. Without them, deleting the last entries,
    appending forged ones, or rewriting every hash from some entry on cannot be detected.

    Faults are listed in chain order (a fault about the head last); each names the stored
    seq of the entry at fault, or of the first missing one. Linear in the number of entries.
    Entries are only read through their attributes: any object with `Entry`'s will do.

    `workers`: how many processes recompute the hashes. None (the default) uses every CPU
    from `PARALLEL_MIN` entries on; 1 keeps to this process. More than one process is used
    only where forking is safe -- on Linux, in a process running a single thread (the
    command line); a threaded server verifies in the calling thread. The result is the
    same whichever way the hashes are recomputed.
    """
    if not isinstance(entries, list | tuple):
        entries = list(entries)
    return _verify(entries, crisis, expected_head, expected_count, workers)


def _verify(
    entries: Sequence[Any],
    crisis: str | None,
    expected_head: str | None,
    expected_count: int | None,
    workers: int | None = None,
) -> Verification:
    """`verify`, for entries as a list or tuple of objects with `Entry`'s attributes."""
    n = len(entries)
    if not n:
        faults = []
        if (expected_head is not None and expected_head != GENESIS) or (
            expected_count is not None and expected_count != 0
        ):
            faults.append(_head_fault([], GENESIS, expected_head, expected_count, 0, None, ()))
        return Verification(ok=not faults, count=0, head=GENESIS, faults=faults)
    bad, clean, corrections = _fast_pass(entries, crisis or entries[0].crisis, workers)
    if not clean:
        columns = _Chain(*(list(map(attrgetter(name), entries)) for name in _RECORD))
        return _analyse(columns, set(bad), crisis, expected_head, expected_count)

    # A clean chain: every hash is the recomputed one and seq = position + 1; only the
    # corrections and the head are left to check.
    seqs = range(1, n + 1)
    head = entries[-1].hash
    found: list[tuple[int, Fault]] = []
    if corrections:
        targets = {c for _, c in corrections}
        where = compress(range(n), map(targets.__contains__, map(_HASH, entries)))
        found = _correction_faults(corrections, {entries[i].hash: i for i in where}, seqs)
    if (expected_head is not None and head != expected_head) or (
        expected_count is not None and n != expected_count
    ):
        hashes = list(map(_HASH, entries))
        q = hashes.index(expected_head) if expected_head in hashes else None
        beyond = range(q + 1, n) if q is not None else ()
        found.append((n, _head_fault(seqs, head, expected_head, expected_count, n, q, beyond)))
    faults = [f for _, f in found]
    return Verification(ok=not faults, count=n, head=head, faults=faults)


def _head_fault(
    seqs: Sequence[Any],
    head: str,
    expected_head: str | None,
    expected_count: int | None,
    explained_count: int,
    q: int | None,
    beyond: Sequence[int],
) -> Fault:
    """The fault for a chain whose end is not the one expected.

    `explained_count`: the entries of the chain, plus those named as deleted; `q`: where the
    expected head is stored (None when nowhere); `beyond`: the entries stored after it that
    are not part of the chain leading to it.
    """
    n = len(seqs)
    last_seq = seqs[-1] if n and type(seqs[-1]) is int else 0
    if expected_head is not None and head != expected_head:
        if q is not None and beyond:
            a, b = seqs[beyond[0]], seqs[beyond[-1]]
            several = len(beyond) > 1
            what = f"{len(beyond)} entries (#{a} to #{b})" if several else f"entry #{a}"
            return Fault(
                a,
                "head_mismatch",
                f"the chain was expected to end at entry #{seqs[q]} (head {expected_head}), "
                f"but {what} {'follow' if several else 'follows'} it: added after that head "
                "was recorded, or forged",
            )
        if q is not None:
            return Fault(
                last_seq,
                "head_mismatch",
                f"entry #{last_seq} is stored last, but the chain ends with entry #{seqs[q]} "
                f"(the expected head {expected_head}), stored before it: the end of the "
                "chain is out of order",
            )
        if n == 0:
            return Fault(
                1,
                "head_mismatch",
                f"the chain is empty, but its head was expected to be {expected_head}: "
                "every entry was deleted",
            )
        if expected_count is not None and explained_count < expected_count:
            missing = expected_count - explained_count
            return Fault(
                last_seq + 1,
                "head_mismatch",
                f"the chain ends at entry #{last_seq} with head {head}, but {expected_count} "
                f"entries ending with head {expected_head} were expected: "
                f"{_span(last_seq + 1, last_seq + missing)} at the end "
                f"{_plural(missing, 'was', 'were')} deleted (or the end of the chain rewritten)",
            )
        return Fault(
            last_seq,
            "head_mismatch",
            f"entry #{last_seq} ends the chain with head {head}, not the expected head "
            f"{expected_head}: the end of the chain was deleted, replaced or rewritten",
        )
    return Fault(
        None,
        "head_mismatch",
        f"the chain holds {explained_count} "
        f"{_plural(explained_count, 'entry', 'entries')}, but {expected_count} were expected",
    )


def _analyse(
    chain: _Chain,
    bad: set[int],
    crisis: str | None,
    expected_head: str | None,
    expected_count: int | None,
) -> Verification:
    """The full analysis, run when the fast pass found something: classify every fault.

    Positions are indexes in the stored order. Each entry's link (its prev_hash) resolves,
    through a dict hash -> first position, to the position of its predecessor (-1 for
    GENESIS, None when it names no stored entry).

    1. An entry is *trusted* when its content matches its hash, it belongs to the crisis and
       is not a second copy of an earlier entry: only trusted links are followed. An entry
       is *suspect* when the next entry is trusted, links to no stored entry, and no seq is
       missing in between: the suspect's hash was rewritten, so its own link is not trusted
       either.
    2. The chain is the path walked back from its head -- the expected head when it is
       stored, else the last stored entry, followed forward to the end of its branch -- along
       trusted links; where there is none (an untrusted entry, a link to nowhere) the walk
       goes on from the entry stored just before. An entry of the crisis off that path was
       inserted (stored after the expected head, it was appended: the head fault names it).
    3. Walking the chain's entries in stored order, a trusted link to the previous one is
       good; a link to nowhere is a deletion (seq gap) or a rewritten hash (no gap); a link
       anywhere else breaks the order. An entry with broken links on both sides is out of
       place (``reordered``); a broken link with no out-of-place entry beside it names the
       entry after it.
    """
    n = len(chain.seq)
    seqs, hashes = chain.seq, chain.hash
    if crisis is None:
        crisis = Counter(chain.crisis).most_common(1)[0][0]
    pos: dict[str, int] = {}
    copy_of: dict[int, int] = {}
    for i, h in enumerate(hashes):
        j = pos.setdefault(h, i)
        if j != i:
            copy_of[i] = j
    self_ok = [i not in bad for i in range(n)]  # the content matches the stored hash
    foreign = [ok and c != crisis for c, ok in zip(chain.crisis, self_ok, strict=True)]
    outside = [f or i in copy_of for i, f in enumerate(foreign)]  # never part of the chain
    parent = [-1 if p == GENESIS else pos.get(p) for p in chain.prev_hash]
    trusted = [ok and not out for ok, out in zip(self_ok, outside, strict=True)]
    suspect = [False] * n
    for j in range(1, n):
        if trusted[j] and parent[j] is None and _step(seqs[j - 1], seqs[j]) == 1:
            suspect[j - 1] = True
    followed = [t and not s for t, s in zip(trusted, suspect, strict=True)]
    q = pos.get(expected_head) if expected_head is not None else None
    if q is not None and outside[q]:
        q = None
    # The last entry is not the head expected, which is nowhere: it was rewritten or forged,
    # so its link is not followed either.
    head_lost = expected_head is not None and hashes[-1] != expected_head and q is None
    if head_lost:
        followed[-1] = False

    # Children by trusted link, to find the end of the last entry's branch.
    n_children = [0] * n
    child = [-1] * n
    for j in range(n):
        p = parent[j]
        if followed[j] and p is not None and p >= 0:
            n_children[p] += 1
            child[p] = j

    # 2. The chain: walk back from its head.
    start = q
    if start is None:
        start = next((i for i in range(n - 1, -1, -1) if not outside[i]), None)
        seen = set()
        while start is not None and n_children[start] == 1 and start not in seen:
            seen.add(start)
            start = child[start]
    on_chain = [False] * n
    j = start
    while j is not None and j >= 0 and not on_chain[j]:
        on_chain[j] = True
        p = parent[j] if followed[j] else None
        if p is None:  # no trusted link: go on from the entry stored before
            p = j - 1
            while p >= 0 and outside[p]:
                p -= 1
        j = p
    limit = q if q is not None else n  # entries stored after the expected head: appended
    inserted = [
        not on_chain[i] and not foreign[i] and (i < limit or i in copy_of) for i in range(n)
    ]
    beyond = [i for i in range(limit + 1, n) if not on_chain[i]]

    found: list[tuple[int, Fault]] = []  # (position, fault), sorted at the end
    modified: set[int] = set()

    def add(at: int, fault: Fault) -> None:
        found.append((at, fault))
        if fault.kind == "modified":
            modified.add(at)

    def described(i: int) -> str:
        return f"entry #{seqs[i]} ({chain.at[i]}, by {chain.author[i] or 'the system'})"

    broken = [False] * n  # the link between an entry and the chain entry stored before it
    kept: list[int] = []  # the chain's entries, in stored order
    n_missing = 0
    last, last_seq, alt_seq = -1, 0, None
    for j in range(n):
        seq = seqs[j]
        if inserted[j]:
            if j in copy_of:
                why = f"it is a second copy of entry #{seqs[copy_of[j]]} (same hash)"
            else:
                why = "no entry of the chain links to it"
                if not self_ok[j]:
                    why += ", and its hash does not even match its content"
            add(j, Fault(seq, "inserted", f"{described(j)} was inserted: {why}"))
            continue
        if foreign[j]:
            add(
                j,
                Fault(
                    seq,
                    "foreign",
                    f"{described(j)} belongs to another crisis ({chain.crisis[j]}), not "
                    f"{crisis}: it was moved into this log",
                ),
            )
            continue
        if not on_chain[j]:
            continue  # stored after the expected head: named by the head fault
        kept.append(j)
        step = _step(last_seq, seq)
        # Inserted entries before this one may have shifted the seq values.
        seq_ok = step is not None and 1 <= step <= j - last
        if not seq_ok and alt_seq is not None:  # the previous entry's seq was the odd one
            alt_step = _step(alt_seq, seq)
            seq_ok = alt_step is not None and 1 <= alt_step <= j - last
        p = parent[j]
        if not self_ok[j]:
            add(
                j,
                Fault(
                    seq,
                    "modified",
                    f"entry #{seq} was modified: its content no longer matches its hash",
                ),
            )
        elif j == n - 1 and head_lost and p != last:
            # It is not the head recorded, and does not point to the entry before it: it
            # was rewritten itself, prev_hash included.
            if p is None:
                where = "no entry of the chain"
            elif p < 0:
                where = "no previous entry (as if it were the first)"
            else:
                where = f"entry #{seqs[p]}, not to the entry stored before it"
            add(
                j,
                Fault(
                    seq,
                    "modified",
                    f"entry #{seq} was modified and its hash rewritten: it points to {where}, "
                    "and its hash is not the expected head",
                ),
            )
        elif suspect[j] or p == last:
            pass  # a suspect is named when its successor is reached
        elif p is None:
            if step is not None and step > 1:
                first_missing, last_missing = last_seq + 1, seq - 1
                n_missing += step - 1
                seq_ok = True
                add(
                    j,
                    Fault(
                        first_missing,
                        "deleted",
                        f"{_span(first_missing, last_missing)} "
                        f"{_plural(step - 1, 'was', 'were')} deleted: entry #{seq} points to a "
                        "previous entry that is no longer in the chain",
                    ),
                )
            elif last >= 0 and j - last == 1:
                if last not in modified:
                    s = seqs[last]
                    add(
                        last,
                        Fault(
                            s,
                            "modified",
                            f"entry #{s} was modified and its hash rewritten: entry #{seq} "
                            f"points to a hash that is no longer entry #{s}'s, nor any other "
                            "entry's (unless an entry between them was deleted and the later "
                            "seq values renumbered)",
                        ),
                    )
            elif last < 0:
                seq_ok = True
                add(
                    j,
                    Fault(
                        None,
                        "deleted",
                        f"the chain does not start at its beginning: entry #{seq}, stored "
                        "first, points to a previous entry that is not in the chain (earlier "
                        "entries were deleted and the seq values renumbered)",
                    ),
                )
        else:
            broken[j] = True
            seq_ok = True  # the seq values of entries out of order are judged by the links
        alt_seq = None
        if not seq_ok:
            if step is None:
                msg = f"the entry stored after entry #{last_seq} has no valid seq ({seq!r})"
            elif step <= 0:
                msg = (
                    f"entry #{seq} is stored after entry #{last_seq} and follows it in the "
                    "chain, but its seq is not greater: the seq values were changed"
                )
            else:
                msg = (
                    f"entry #{seq} follows entry #{last_seq} in the chain, yet seq jumps from "
                    f"#{last_seq} to #{seq} although no entry is missing: the seq values "
                    "were changed"
                )
            add(j, Fault(seq if step is not None else None, "reordered", msg))
            alt_seq = last_seq + 1
        last = j
        if step is not None:
            last_seq = seq

    # Order: an entry with broken links on both sides is out of place (the last one's right
    # side is broken when an entry links to it: it is not the end); a broken link with no
    # out-of-place entry beside it names the entry after it.
    out_of_place = set()
    for k, j in enumerate(kept):
        right = broken[kept[k + 1]] if k + 1 < len(kept) else n_children[j] > 0
        if broken[j] and right:
            out_of_place.add(j)
    named = set(out_of_place)
    for k, j in enumerate(kept):
        if broken[j] and j not in out_of_place and (k == 0 or kept[k - 1] not in out_of_place):
            named.add(j)
    for j in named:
        p = parent[j]
        where = "it starts the chain" if p == -1 else f"it comes right after entry #{seqs[p]}"
        before = "it is stored first" if j == 0 else f"it is stored after entry #{seqs[j - 1]}"
        add(
            j,
            Fault(seqs[j], "reordered", f"entry #{seqs[j]} is out of order: {where}, but {before}"),
        )

    corrects = chain.corrects
    found += _correction_faults(
        ((j, corrects[j]) for j in kept if corrects[j] is not None and followed[j]), pos, seqs
    )

    head = hashes[-1]
    # The count expected is met by the entries stored (an export holds what was stored,
    # foreign or not), or by the chain's own entries and those named as deleted.
    explained = len(kept) + n_missing
    if (expected_head is not None and head != expected_head) or (
        expected_count is not None and expected_count not in (n, explained)
    ):
        fault = _head_fault(seqs, head, expected_head, expected_count, explained, q, beyond)
        found.append((n, fault))

    found.sort(key=lambda item: item[0])
    faults = [f for _, f in found]
    return Verification(ok=not faults, count=n, head=head, faults=faults)


def _step(a: Any, b: Any) -> int | None:
    """b - a for two whole numbers, None when either is not one."""
    if type(a) is int and type(b) is int:
        return b - a
    return None


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------

ENTRY_KEYS = _RECORD


def export_document(crisis_meta: dict, entries: Sequence[Entry]) -> dict:
    """The log as a self-contained JSON-ready document, verifiable with no database.

    ``{"format": FORMAT, "crisis": crisis_meta, "count": n, "head": <last hash>,
    "entries": [{every field, seq and hash included}], "canonical": <the encoding>}``.
    Put the crisis uid in ``crisis_meta["uid"]``: `verify_document` then also checks that
    every entry belongs to that crisis.
    """
    rows = [
        {
            "seq": e.seq,
            "crisis": e.crisis,
            "at": e.at,
            "author": e.author,
            "role": e.role,
            "kind": e.kind,
            "text": e.text,
            "links": list(e.links),
            "corrects": e.corrects,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }
        for e in entries
    ]
    return {
        "format": FORMAT,
        "crisis": dict(crisis_meta),
        "count": len(rows),
        "head": rows[-1]["hash"] if rows else GENESIS,
        "entries": rows,
        "canonical": CANONICAL_DESCRIPTION,
    }


_MAX_MALFORMED = 100
_ENTRY_KEY_SET = frozenset(ENTRY_KEYS)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_document(doc: Any) -> tuple[list[tuple[int | None, str]], list[_Row] | None]:
    """Every structural problem of an export document, as (seq if known, "path: message");
    when there is none, its entries, ready for `_verify`."""
    errors: list[tuple[int | None, str]] = []
    if not isinstance(doc, dict):
        return [(None, f"the document must be a JSON object, not {_type_name(doc)}")], None
    fmt = doc.get("format")
    if "format" not in doc:
        errors.append((None, "format: missing"))
    elif fmt != FORMAT:
        shown = repr(fmt)[:60] if isinstance(fmt, str) else _type_name(fmt)
        errors.append((None, f"format: expected {FORMAT!r}, got {shown}"))
    for key, check, expected in (
        ("crisis", lambda v: isinstance(v, dict), "an object"),
        ("count", lambda v: _is_int(v) and v >= 0, "a whole number, 0 or more"),
        ("head", lambda v: isinstance(v, str), "a string"),
        ("entries", lambda v: isinstance(v, list), "an array"),
    ):
        if key not in doc:
            errors.append((None, f"{key}: missing"))
        elif not check(doc[key]):
            errors.append((None, f"{key}: expected {expected}, got {_type_name(doc[key])}"))
    if "canonical" in doc and not isinstance(doc["canonical"], str):
        errors.append((None, f"canonical: expected a string, got {_type_name(doc['canonical'])}"))
    crisis = doc.get("crisis")
    if isinstance(crisis, dict) and "uid" in crisis and not isinstance(crisis["uid"], str):
        errors.append((None, f"crisis.uid: expected a string, got {_type_name(crisis['uid'])}"))
    rows = doc.get("entries")
    if not isinstance(rows, list):
        return errors, None
    entries = _rows(rows)
    if entries is None:
        for i, row in enumerate(rows):
            errors += _row_errors(i, row)
            if len(errors) > _MAX_MALFORMED:
                break
        if not errors:  # well formed, yet not of the exact types (a str subclass, say)
            entries = [_row(*(row[name] for name in _RECORD)) for row in rows]
    return errors, (None if errors else entries)


def _row(*values: Any) -> _Row:
    row = object.__new__(_Row)
    for name, value in zip(_RECORD, values, strict=True):
        setattr(row, name, value)
    row.links = tuple(row.links)
    return row


def _rows(rows: list) -> list[_Row] | None:
    """The entries of an export, or None when some row is not an object with exactly the
    entry's keys, each of its exact JSON type. One pass, kept lean: a million rows are
    read in about a second."""
    get = itemgetter(*_RECORD)
    size = len(_RECORD)
    new = object.__new__
    out: list[_Row] = []
    append = out.append
    for d in rows:
        if type(d) is not dict or len(d) != size:
            return None
        try:
            seq, crisis, at, author, role, kind, text, links, corrects, prev_hash, hash_ = get(d)
        except KeyError:
            return None
        if not (
            type(seq) is int
            and type(crisis) is type(at) is type(author) is type(role) is str
            and type(kind) is type(text) is type(prev_hash) is type(hash_) is str
            and type(links) is list
            and (corrects is None or type(corrects) is str)
        ):
            return None
        if links:
            links = tuple(links)
            if {*map(type, links)} != {str}:
                return None
        else:
            links = ()
        row = new(_Row)
        row.seq, row.crisis, row.at, row.author, row.role = seq, crisis, at, author, role
        row.kind, row.text, row.links, row.corrects = kind, text, links, corrects
        row.prev_hash, row.hash = prev_hash, hash_
        append(row)
    return out


def _row_errors(i: int, row: Any) -> list[tuple[int | None, str]]:
    """The structural problems of ``entries[i]``."""
    path = f"entries[{i}]"
    if not isinstance(row, dict):
        return [(None, f"{path}: expected an object, got {_type_name(row)}")]
    errors: list[tuple[int | None, str]] = []
    seq = row.get("seq")
    seq = seq if _is_int(seq) else None
    for key in row:
        if key not in _ENTRY_KEY_SET:
            errors.append((seq, f"{path}: unknown key {str(key)[:40]!r} (not covered by the hash)"))
    for key in ENTRY_KEYS:
        if key not in row:
            errors.append((seq, f"{path}.{key}: missing"))
            continue
        value = row[key]
        if key == "seq":
            ok, expected = _is_int(value), "a whole number"
        elif key == "links":
            ok, expected = isinstance(value, list), "an array of strings"
            if ok:
                for k, link in enumerate(value):
                    if not isinstance(link, str):
                        errors.append(
                            (seq, f"{path}.links[{k}]: expected a string, got {_type_name(link)}")
                        )
        elif key == "corrects":
            ok, expected = value is None or isinstance(value, str), "a string or null"
        else:
            ok, expected = isinstance(value, str), "a string"
        if not ok:
            errors.append((seq, f"{path}.{key}: expected {expected}, got {_type_name(value)}"))
    return errors


def verify_document(doc: Any, *, workers: int | None = 1) -> Verification:
    """Verify an export (the dict `json.loads` gives) with no database. Never raises.

    A document that is not an export -- wrong types, missing or unknown keys -- gives
    ``ok=False`` with ``malformed`` faults naming the JSON path (``entries[3].links[1]:
    expected a string, got a number``). Otherwise the entries are checked by `verify`
    against the document's own ``head`` and ``count`` (and ``crisis.uid`` when present).

    `workers` is `verify`'s, but 1 by default: the values of parsed JSON lie among the
    rows' dicts, so a forked process copies about twice the memory per entry that it does
    for `Entry` objects; on 2 cores that ate the second core's gain (1,000,000 entries just
    parsed: 2.8 s in 2 processes, 2.2 s in one).
    """
    errors, entries = _read_document(doc)
    if errors or entries is None:
        faults = [Fault(seq, "malformed", msg) for seq, msg in errors[:_MAX_MALFORMED]]
        if len(errors) > _MAX_MALFORMED:
            faults.append(
                Fault(None, "malformed", "more problems follow: the document is not an export")
            )
        rows = doc.get("entries") if isinstance(doc, dict) else None
        count = len(rows) if isinstance(rows, list) else 0
        return Verification(ok=False, count=count, head=GENESIS, faults=faults)
    uid = doc["crisis"].get("uid")
    uid = uid if isinstance(uid, str) else None
    return _verify(entries, uid, doc["head"], doc["count"], workers)
