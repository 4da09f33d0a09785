"""The backlog of postponed appointments: how big it is, and how a plan burns it down.

`burndown` gives, at the end of each week of the horizon, how many postponed appointments
are still waiting for their new date (moved later than that day, or unplaced): the curve a
crisis cell follows week after week. `burndown_svg` draws it (and the hand method's curve
beside it) as one self-contained SVG, with no script, no style attribute and every text
escaped, readable in black and white (the hand method is dashed).

No Django here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Week:
    end: date  # the last day of the week
    waiting: int  # postponed appointments not yet seen by that day's end


def burndown(
    rows: Iterable[tuple[str, datetime | None]], first_day: date, weeks: int, tz
) -> list[Week]:
    """`rows`: (decision, new start) of every postponed appointment (decision ``moved`` or
    ``unplaced``). Week 0 ends on `first_day`: the whole backlog."""
    days = []
    for decision, new_start in rows:
        if decision == "moved" and new_start is not None:
            days.append(new_start.astimezone(tz).date())
        elif decision == "unplaced":
            days.append(None)
    ends = [first_day + timedelta(weeks=k) for k in range(weeks + 1)]
    return [Week(end, sum(1 for d in days if d is None or d > end)) for end in ends]


W, H = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 24, 48


def _scale(value: int, top: int) -> float:
    return TOP + (H - TOP - BOTTOM) * (1 - value / top) if top else H - BOTTOM


def burndown_svg(
    series: Mapping[str, Sequence[Week]], labels: Mapping[str, str], title: str
) -> str:
    """Each series (name -> weeks, the same weeks) as a line; the first one solid, the
    others dashed. `labels`: series name -> legend text, and ``week`` (axis)."""
    names = list(series)
    weeks = series[names[0]] if names else []
    top = max([w.waiting for s in series.values() for w in s] + [1])
    n = max(1, len(weeks) - 1)

    def x(k: int) -> float:
        return LEFT + (W - LEFT - RIGHT) * k / n

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {W} {H}"'
        f' width="{W}" height="{H}" aria-labelledby="bd-title">',
        f'<title id="bd-title">{escape(title)}</title>',
        f'<rect width="{W}" height="{H}" fill="#fff"/>',
    ]
    for frac in (0, 0.25, 0.5, 0.75, 1):
        value = round(top * frac)
        y = _scale(value, top)
        shown = f"{value:,}".replace(",", "\u202f")
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#d5dae1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end"'
            f' fill="#374151">{shown}</text>'
        )
    for k, week in enumerate(weeks):
        out.append(
            f'<text x="{x(k):.1f}" y="{H - BOTTOM + 16}" font-size="11" text-anchor="middle"'
            f' fill="#374151">{escape(week.end.strftime("%d/%m"))}</text>'
        )
    out.append(
        f'<text x="{(LEFT + W - RIGHT) / 2:.0f}" y="{H - 8}" font-size="11"'
        f' text-anchor="middle" fill="#374151">{escape(labels.get("week", "week"))}</text>'
    )
    for index, name in enumerate(names):
        points = " ".join(
            f"{x(k):.1f},{_scale(w.waiting, top):.1f}" for k, w in enumerate(series[name])
        )
        dash = "" if index == 0 else ' stroke-dasharray="7 5"'
        colour = "#1f5fbf" if index == 0 else "#6b7280"
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>'
        )
        ly = TOP + 4 + 18 * index
        out.append(
            f'<line x1="{W - RIGHT - 270}" y1="{ly}" x2="{W - RIGHT - 240}" y2="{ly}"'
            f' stroke="{colour}" stroke-width="2.5"{dash}/>'
            f'<text x="{W - RIGHT - 234}" y="{ly + 4}" font-size="12" fill="#111827">'
            f"{escape(labels.get(name, name))}</text>"
        )
    out.append("</svg>")
    return "".join(out)
