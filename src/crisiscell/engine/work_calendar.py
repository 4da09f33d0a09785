"""Working days of a country: Monday to Friday, less its public holidays.

Care services plan consultations, imaging and surgery on working days only: a Saturday,
a Sunday or a public holiday of the group's country carries no planned capacity. The
public holidays come from the ``holidays`` package (national holidays only: Belgium's
21 July, France's 14 July, Easter Monday, Ascension, Whit Monday...; regional ones, such
as Alsace-Moselle's Good Friday, are not included).

No Django here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from functools import lru_cache

import holidays

WEEKEND = frozenset({5, 6})  # date.weekday(): Saturday, Sunday


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> dict[date, str]:
    return dict(holidays.country_holidays(country, years=year).items())


class WorkCalendar:
    """Working days of one country, with optional extra closed (or open) days.

    ``closed``: more days with no planned activity (a local holiday, a strike day);
    ``opened``: days that are working days even though the calendar says otherwise (a
    Saturday opened to absorb a backlog)."""

    def __init__(
        self, country: str, closed: Iterable[date] = (), opened: Iterable[date] = ()
    ) -> None:
        country = (country or "").upper()
        if country not in holidays.list_supported_countries():
            raise ValueError(f"no public holiday calendar for country {country!r}")
        self.country = country
        self.closed = frozenset(closed)
        self.opened = frozenset(opened)

    def holiday(self, day: date) -> str | None:
        """The public holiday's name on `day`, or None."""
        return _holidays(self.country, day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        if day in self.opened:
            return True
        if day in self.closed or day.weekday() in WEEKEND:
            return False
        return self.holiday(day) is None

    def days(self, first: date, last: date) -> Iterator[date]:
        """Working days from `first` to `last`, both included."""
        day = first
        while day <= last:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    def add_working_days(self, day: date, n: int) -> date:
        """The `n`-th working day after `day` (n ≥ 1), or `day` itself when n is 0."""
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day
