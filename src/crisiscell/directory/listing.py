"""The directory as people read it: the crisis cell, then each site in map order with its
care services, then the external contacts by category; and the search over it.

Shared by the page, the printout and the export, so that all three list contacts in the
same order. Search runs in Python over the contacts of the group (a few thousand at most):
it ignores case and accents ("reanimation" finds "Réanimation") and matches phone numbers
on their digits whatever their punctuation ("063/55.41" finds "063 55 41 20").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from crisiscell.engine.contacts_csv import CATEGORIES, KINDS, digits

from .models import CATEGORY_LABELS

_KIND_RANK = {"crisis_cell": 0, "internal": 1, "external": 2}
_CATEGORY_RANK = {c: i for i, c in enumerate(CATEGORIES)}
#: What the kind filter accepts: a kind, or a category of external contacts.
FILTERS = KINDS + CATEGORIES


def sort_key(c) -> tuple:
    """Directory order of a contact (a model instance with its site and service loaded).

    Internal contacts go by site then care service, in map order (the whole site's numbers
    first); the crisis cell and external contacts by their own position, whatever site they
    name."""
    internal = c.kind == "internal"
    return (
        _KIND_RANK.get(c.kind, 3),
        (c.site_id or 0) if internal else 0,
        (c.service_id or 0) if internal else 0,
        _CATEGORY_RANK.get(c.category, -1),
        c.position,
        c.name.casefold(),
        c.pk or 0,
    )


def in_directory_order(contacts: Iterable) -> list:
    return sorted(contacts, key=sort_key)


@dataclass
class ServiceGroup:
    service: object | None  # a CareService, or None for the numbers of the whole site
    contacts: list = field(default_factory=list)


@dataclass
class SiteGroup:
    site: object
    services: list[ServiceGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(g.contacts) for g in self.services)


@dataclass
class CategoryGroup:
    category: str
    contacts: list = field(default_factory=list)


@dataclass
class Directory:
    cell: list = field(default_factory=list)
    sites: list[SiteGroup] = field(default_factory=list)
    external: list[CategoryGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return (
            len(self.cell)
            + sum(s.count for s in self.sites)
            + sum(len(g.contacts) for g in self.external)
        )


def group(contacts: Iterable) -> Directory:
    """The contacts (with `site` and `service` loaded) in their sections, in order."""
    d = Directory()
    for c in in_directory_order(contacts):
        if c.kind == "crisis_cell":
            d.cell.append(c)
        elif c.kind == "external":
            if not d.external or d.external[-1].category != c.category:
                d.external.append(CategoryGroup(c.category))
            d.external[-1].contacts.append(c)
        else:
            if not d.sites or d.sites[-1].site.pk != c.site_id:
                d.sites.append(SiteGroup(c.site))
            services = d.sites[-1].services
            if not services or _pk(services[-1].service) != c.service_id:
                services.append(ServiceGroup(c.service))
            services[-1].contacts.append(c)
    return d


def _pk(obj) -> int | None:
    return obj.pk if obj is not None else None


# ---------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case without accents: what search compares."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


_PHONE_CHARS = frozenset("0123456789 +.-/()")


@dataclass(frozen=True)
class Term:
    text: str  # folded
    digits: str  # the digits of a term that looks like a phone number, else ''


def terms(query: str) -> list[Term]:
    """The words of a query; every one of them must match somewhere in a contact."""
    out = []
    for word in query.split():
        looks_like_phone = set(word) <= _PHONE_CHARS and any(ch.isdigit() for ch in word)
        out.append(Term(fold(word), digits(word) if looks_like_phone else ""))
    return out


def _haystack(c) -> str:
    parts = [c.code, c.name, c.function, c.phone, c.phone_alt, c.email, c.available, c.notes]
    if c.site_id:
        parts += [c.site.code, c.site.name]
    if c.service_id:
        parts += [c.service.code, c.service.name]
    if c.category:
        parts += [c.category, str(CATEGORY_LABELS.get(c.category, ""))]
    return fold(" ".join(parts))


def matches(c, query_terms: list[Term]) -> bool:
    haystack = _haystack(c)
    numbers = (digits(c.phone), digits(c.phone_alt))
    for t in query_terms:
        if t.text in haystack:
            continue
        if t.digits and any(t.digits in n for n in numbers):
            continue
        return False
    return True
