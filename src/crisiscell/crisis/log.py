"""The main courante in the database: append, read back, verify, export.

`append_entry` is the only code that inserts a log entry. It locks the crisis row, reads
the chain's tip from it, builds the next entry with `engine.ledger.make_entry`, inserts
it and moves the tip, all in one short transaction: concurrent writers queue on the lock
(SELECT … FOR UPDATE on PostgreSQL, the IMMEDIATE write lock on SQLite) and the chain
never forks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db import transaction
from django.utils import timezone

from crisiscell.engine import ledger

from .models import Crisis, LogEntry
from .roles import role_of

#: The stored columns of an entry: all of the ledger's but the crisis (the row's foreign key).
FIELDS = tuple(key for key in ledger.ENTRY_KEYS if key != "crisis")


class NoActiveCrisis(LookupError):
    pass


def active_crisis() -> Crisis | None:
    return Crisis.objects.filter(active=True).first()


def append_entry(
    crisis_id: int,
    *,
    user=None,
    kind: str,
    text: str,
    links: Iterable[str] = (),
    corrects: str | None = None,
    author: str | None = None,
) -> LogEntry:
    """Append one entry to the crisis's log; `user` (or `author`, for the system) signs it.

    Raises ValueError for a bad kind, empty text or a `corrects` naming no entry of this
    crisis. Permission checks belong to the caller (an action function)."""
    with transaction.atomic():
        crisis = Crisis.objects.select_for_update().get(pk=crisis_id)
        if corrects is not None and not crisis.entries.filter(hash=corrects).exists():
            raise ValueError(f"the corrected entry {corrects[:12]}… is not in this crisis's log")
        prev = _tip(crisis)
        entry = ledger.make_entry(
            prev,
            crisis=crisis.uid,
            at=ledger.format_time(timezone.now()),
            author=author if author is not None else getattr(user, "username", "") or "",
            role=role_of(user),
            kind=kind,
            text=text,
            links=tuple(links),
            corrects=corrects,
        )
        row = LogEntry(crisis=crisis, **{f: _value(entry, f) for f in FIELDS})
        row.save()
        Crisis.objects.filter(pk=crisis.pk).update(head=entry.hash, entry_count=entry.seq)
    return row


def _tip(crisis: Crisis) -> ledger.Entry | None:
    if crisis.entry_count == 0:
        return None
    # The tip's hash and seq are all make_entry needs from the previous entry.
    return ledger.Entry(
        crisis=crisis.uid,
        seq=crisis.entry_count,
        at="",
        author="",
        role="",
        kind="event",
        text="",
        hash=crisis.head,
    )


def _value(entry: ledger.Entry, field: str):
    value = getattr(entry, field)
    return list(value) if field == "links" else value


def entries(crisis: Crisis, chunk: int = 20_000) -> Iterator[ledger.Entry]:
    """The crisis's entries as stored, in seq order, streamed."""
    rows = LogEntry.objects.filter(crisis=crisis).order_by("seq").values_list(*FIELDS)
    for row in rows.iterator(chunk_size=chunk):
        values = dict(zip(FIELDS, row, strict=True))
        values["links"] = tuple(values["links"] or ())
        yield ledger.Entry(crisis=crisis.uid, **values)


def verify_crisis(crisis: Crisis) -> ledger.Verification:
    """Check the stored chain, and that it ends where the crisis row says it does."""
    head, count = Crisis.objects.filter(pk=crisis.pk).values_list("head", "entry_count").get()
    return ledger.verify(
        list(entries(crisis)), crisis=crisis.uid, expected_head=head, expected_count=count
    )


def crisis_meta(crisis: Crisis) -> dict:
    return {
        "uid": crisis.uid,
        "id": crisis.pk,
        "title": crisis.title,
        "opened_at": ledger.format_time(crisis.opened_at),
        "closed_at": ledger.format_time(crisis.closed_at) if crisis.closed_at else None,
        "phase": crisis.phase,
    }


def export(crisis: Crisis) -> dict:
    return ledger.export_document(crisis_meta(crisis), list(entries(crisis)))
