"""A drawing of the network as SVG: zones and flows, the cut ones marked so that paper shows them.

`site_picture` draws one site: its zones in a column grouped by kind (workstations, medical,
wifi, then servers, management, dmz), the zones of other sites and the internet it has flows
with in a column "outside the site", and every flow as an arrow with its ports. Flows between
two zones of the site run in lanes on the left, so no arrow crosses a box. `group_picture`
draws the sites (and the zones of no site, such as the internet) as nodes, with one edge per
pair that has flows, saying how many flows and how many are cut.

A flow is cut as the impact engine says (impact.py): blocked, either end zone isolated, or the
internet cut and either end zone of kind ``internet``. Every mark reads in black and white: a
cut flow is dashed, crossed (✕) at its middle and says so; an isolated zone has a thick dashed
border and says so; a compromised zone is hatched and says so. Colour only repeats the marks.

The result is one self-contained ``<svg>`` element: no script, no style element or attribute
(the pages forbid inline style; presentation attributes are not style), no external
reference, every text escaped. Same map and situation, same bytes.

No Django here: the caller passes translated `labels`; `LABELS` holds the English ones.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .groupmap import Flow, GroupMap
from .impact import Situation

# fmt: off
LABELS: dict[str, str] = {
    "site_title": "Network of {site}", "group_title": "Network of the group", "cut": "cut",
    "isolated": "isolated", "compromised": "compromised", "suspected": "suspected",
    "hosts": "hosts", "flows": "flows", "zones": "zones", "sites": "sites",
    "outside": "outside the site", "no_zone": "No zone on this site.",
    "workstations": "workstations", "medical": "medical devices", "wifi": "wifi",
    "servers": "servers", "management": "network management", "dmz": "DMZ",
    "internet": "internet",
    # after a count ("3 cut", "2 isolated"): a language may need another form there
    "n_cut": "cut", "n_isolated": "isolated", "n_compromised": "compromised",
    "n_suspected": "suspected",
}
# fmt: on
#: The site column's order: where people work first, then what serves them.
KIND_ORDER = ("workstations", "medical", "wifi", "servers", "management", "dmz", "internet")

INK, MUTED, RED, ORANGE, FLOW = "#111827", "#4b5563", "#b91c1c", "#b45309", "#4b5563"
SANS = 'font-family="system-ui, Segoe UI, Noto Sans, Liberation Sans, Arial, sans-serif"'
MONO = 'font-family="DejaVu Sans Mono, Liberation Mono, Consolas, monospace"'
BOLD = ' font-weight="700"'
CHAR_W = 6.7  # width of one 11px monospace character: labels are sized from it
DEFS = (
    '<defs><pattern id="np-hatch" width="8" height="8" patternUnits="userSpaceOnUse"'
    ' patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff1f1"/>'
    f'<line x1="0" y1="0" x2="0" y2="8" stroke="{RED}" stroke-width="3" stroke-opacity="0.5"/>'
    "</pattern>"
    + "".join(
        f'<marker id="np-arrow{suffix}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9"'
        ' markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for suffix, colour in (("", FLOW), ("-cut", RED))
    )
    + "</defs>"
)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
Point = tuple[float, float]


def _esc(value: object) -> str:
    """Text and attribute values from user data: escaped, and stripped of what XML forbids."""
    return escape(_NOT_XML.sub("", str(value)), {'"': "&quot;"})


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"


def _n(v: float) -> str:
    return f"{v:.1f}".removesuffix(".0")


def _text(x: float, y: float, text: str, size: float = 11, extra: str = "") -> str:
    """One line of sans text, with a white halo so that it stays readable over hatching."""
    fill = "" if "fill=" in extra else f' fill="{INK}"'
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" {SANS}{fill} stroke="#fff"'
        f' stroke-width="3" stroke-linejoin="round" paint-order="stroke"{extra}>{_esc(text)}</text>'
    )


def _svg(width: float, height: float, title: str, desc: str, body: Iterable[str]) -> str:
    w, h = _n(width), _n(height)
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{w}" height="{h}"'
            f' viewBox="0 0 {w} {h}" aria-labelledby="np-title np-desc">',
            f'<title id="np-title">{_esc(title)}</title><desc id="np-desc">{_esc(desc)}</desc>',
            DEFS,
            f'<rect width="{w}" height="{h}" fill="#fff"/>',
            _text(16, 28, title, 17, BOLD),
            _text(16, 48, desc, 12, f' fill="{MUTED}"'),
            *body,
            "</svg>",
        ]
    )


def flow_is_cut(flow: Flow, kinds: Mapping[str, str], s: Situation) -> bool:
    """The impact engine's rule: blocked, an isolated end, or the internet cut at an end."""
    return (
        flow.key in s.blocked_flows
        or flow.source in s.isolated_zones
        or flow.target in s.isolated_zones
        or (s.internet_cut and "internet" in (kinds.get(flow.source), kinds.get(flow.target)))
    )


def _counts(gm: GroupMap, s: Situation, zones: set[str]) -> Counter[tuple[str, str]]:
    """(zone, "compromised" | "suspected") -> hosts in that state; (zone, "hosts") for `zones`."""
    counts = Counter((h.zone, "hosts") for h in (gm.hosts if zones else ()) if h.zone in zones)
    counts.update(
        (gm.host(h).zone, state)
        for h, state in s.host_states.items()
        if state in ("compromised", "suspected") and gm.has("hosts", h)
    )
    return counts


class _Placer:
    """What is drawn already, bucketed on a grid so that a thousand labels stay fast.

    Each rectangle has a weight: a label may cover another label's corner before a box or a
    cut mark, when there is no free place at all.
    """

    CELL = 96

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[float, ...]]] = defaultdict(list)

    def _keys(self, r: tuple[float, ...]) -> Iterable[tuple[int, int]]:
        for i in range(int(r[0] // self.CELL), int(r[2] // self.CELL) + 1):
            for j in range(int(r[1] // self.CELL), int(r[3] // self.CELL) + 1):
                yield i, j

    def add(self, r: tuple[float, ...], weight: float = 1.0) -> None:
        for key in self._keys(r):
            self.cells[key].append((*r, weight))

    def overlap(self, r: tuple[float, ...]) -> float:
        total = 0.0
        for key in self._keys(r):
            for o in self.cells.get(key, ()):
                w, h = min(r[2], o[2]) - max(r[0], o[0]), min(r[3], o[3]) - max(r[1], o[1])
                if w > 0 and h > 0:
                    total += w * h * o[4]
        return total


def _point_at(path: list[Point], t: float) -> tuple[float, float, bool]:
    """The point at fraction `t` of the path's length, and whether it is on an elbow's upright."""
    segments = list(zip(path, path[1:], strict=False))
    lengths = [math.dist(a, b) for a, b in segments]
    left = t * sum(lengths)
    for k, ((a, b), length) in enumerate(zip(segments, lengths, strict=True)):
        if left <= length or k == len(segments) - 1:
            f = left / length if length else 0.0
            upright = len(path) > 2 and a[0] == b[0]
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, upright
        left -= length
    raise ValueError("a path has two points at least")


def _cross(x: float, y: float, placer: _Placer) -> str:
    """The ✕ that says "cut" without colour, on a white disc so that it reads over any line."""
    placer.add((x - 10, y - 10, x + 10, y + 10), 50)
    a, b = f"{_n(x - 4.5)},{_n(y - 4.5)}", f"{_n(x + 4.5)},{_n(y + 4.5)}"
    c, d = f"{_n(x - 4.5)},{_n(y + 4.5)}", f"{_n(x + 4.5)},{_n(y - 4.5)}"
    return (
        f'<circle cx="{_n(x)}" cy="{_n(y)}" r="9" fill="#fff" stroke="{RED}" stroke-width="1.5"/>'
        f'<path d="M{a} L{b} M{c} L{d}" stroke="{RED}" stroke-width="2.5"/>'
    )


def _label(path: list[Point], text: str, cut: bool, placer: _Placer, fractions) -> str:
    """A label on the path, at the first of `fractions` where it covers nothing drawn yet."""
    w, h = len(text) * CHAR_W + 8, 15.0
    best: tuple = ()
    for t in fractions:
        x, y, upright = _point_at(path, t)
        rw, rh = (h, w) if upright else (w, h)
        rect = (x - rw / 2, y - rh / 2, x + rw / 2, y + rh / 2)
        cover = placer.overlap(rect)
        if not best or cover < best[0]:
            best = (cover, x, y, upright, rect)
        if cover == 0:
            break
    _, x, y, upright, rect = best
    placer.add(rect)
    turn = f' transform="rotate(-90 {_n(x)} {_n(y)})"' if upright else ""
    colour, weight = (RED, BOLD) if cut else (INK, "")
    return (
        f'<g{turn}><rect x="{_n(x - w / 2)}" y="{_n(y - h / 2)}" width="{_n(w)}" height="{_n(h)}"'
        f' rx="2" fill="#fff" fill-opacity="0.92" stroke="{colour}" stroke-width="0.5"/>'
        f'<text x="{_n(x)}" y="{_n(y + 4)}" font-size="11" {MONO} fill="{colour}"'
        f' text-anchor="middle"{weight}>{_esc(text)}</text></g>'
    )


def _line(path: list[Point], cut: bool, width: float = 1.4, arrow: bool = True) -> str:
    d = " L".join(f"{_n(x)},{_n(y)}" for x, y in path)
    look = (
        f'stroke="{RED}" stroke-width="{_n(width + 0.6)}" stroke-dasharray="7 5"'
        if cut
        else f'stroke="{FLOW}" stroke-width="{_n(width)}"'
    )
    end = f' marker-end="url(#np-arrow{"-cut" if cut else ""})"' if arrow else ""
    return f'<path d="M{d}" fill="none" {look}{end}/>'


def _box(x: float, y: float, w: float, h: float, lines: list[tuple], look: tuple) -> str:
    """A zone or a site: `look` is (fill, hatched, isolated, badges as (text, colour) pairs).

    Hatched when compromised, a thick dashed border when isolated (or cut), badges at the foot.
    """
    fill, hatched, isolated, badges = look
    border = 'stroke-width="4" stroke-dasharray="10 5"' if isolated else 'stroke-width="1.5"'
    size = f'x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}"'
    out = [
        f'<rect {size} rx="5" fill="{"url(#np-hatch)" if hatched else fill}"'
        f' stroke="{INK}" {border}/>'
    ]
    out += [_text(x + 10, y + 19 + 15 * i, *line) for i, line in enumerate(lines)]
    right = x + w - 8
    for text, colour in badges:
        bw = len(text) * 6.6 + 12
        right -= bw
        out.append(
            f'<rect x="{_n(right)}" y="{_n(y + h - 23)}" width="{_n(bw)}" height="16" rx="8"'
            f' fill="{colour}"/><text x="{_n(right + bw / 2)}" y="{_n(y + h - 11)}"'
            f' font-size="10.5" {SANS} font-weight="700" fill="#fff" text-anchor="middle">'
            f"{_esc(text)}</text>"
        )
        right -= 4
    return "".join(out)


# ---------------------------------------------------------------------------
# One site
# ---------------------------------------------------------------------------

BOX_W, BOX_H, PEER_H, GAP, ANCHOR_GAP, LANE, TOP = 250.0, 94.0, 76.0, 22.0, 13.0, 18.0, 104.0


@dataclass
class _SiteLayout:
    """Where each zone's box lies and where each flow's arrow starts and ends.

    The site's zones form the middle column; the zones they have flows with stand on the
    right, or on both sides when they are many (a datacentre talks to every site).
    """

    own: list[str]
    flows: list[Flow]
    lanes: dict[int, int]  # flow index -> lane, for flows between two zones of the site
    left: list[str] = field(default_factory=list)
    right: list[str] = field(default_factory=list)
    col_x: float = 36.0
    x: dict[str, float] = field(default_factory=dict)
    y: dict[str, float] = field(default_factory=dict)
    h: dict[str, float] = field(default_factory=dict)
    ends: dict[tuple[int, int], Point] = field(default_factory=dict)  # (flow, 0|1) -> point

    @property
    def peers(self) -> list[str]:
        return self.left + self.right

    def path(self, i: int) -> list[Point]:
        start, end = self.ends[(i, 0)], self.ends[(i, 1)]
        if i not in self.lanes:
            return [start, end]
        lane_x = self.col_x - 20 - self.lanes[i] * LANE
        return [start, (lane_x, start[1]), (lane_x, end[1]), end]


def _stack(ids: list[str], heights: Mapping[str, float], span: float) -> dict[str, float]:
    """Boxes one under the other, spread over `span` when they need less."""
    gap = max(GAP, (span - sum(heights[z] for z in ids)) / max(1, len(ids)))
    ys, y = {}, TOP + gap / 2 - GAP / 2
    for zid in ids:
        ys[zid] = y
        y += heights[zid] + gap
    return ys


def _lanes(internal: list[tuple[int, Flow]], order: Mapping[str, int]) -> dict[int, int]:
    """Each flow inside the site gets a lane; shorter spans lie closer to the boxes."""
    span = {i: sorted((order[f.source], order[f.target])) for i, f in internal}
    taken: dict[int, list] = defaultdict(list)
    lanes = {}
    for i in sorted(span, key=lambda i: (span[i][1] - span[i][0], i)):
        lane = 0
        while any(a <= span[i][1] and span[i][0] <= b for a, b in taken[lane]):
            lane += 1
        taken[lane].append(span[i])
        lanes[i] = lane
    return lanes


def _site_layout(gm: GroupMap, site_id: str, flagged: set[str]) -> _SiteLayout:
    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    zones = sorted((z for z in gm.zones if z.site == site_id), key=lambda z: rank.get(z.kind, 9))
    own = [z.id for z in zones]
    flows = [f for f in gm.flows if f.source in own or f.target in own]
    internal = [(i, f) for i, f in enumerate(flows) if f.source in own and f.target in own]
    lay = _SiteLayout(own, flows, _lanes(internal, {z: k for k, z in enumerate(own)}))
    peers = [f.target if f.source in own else f.source for f in flows]
    lay.right = [p for p in dict.fromkeys(peers) if p not in own]
    _place(lay, flagged)  # a first time, to order the peers by the zones they talk to
    near: dict[str, list[float]] = defaultdict(list)
    for f in flows:
        home, peer = (f.source, f.target) if f.source in own else (f.target, f.source)
        near[peer].append(lay.y[home] + lay.h[home] / 2)
    ordered = sorted(lay.right, key=lambda p: (sum(near[p]) / len(near[p]), p))
    if len(ordered) > 8 and sum(lay.h[p] for p in ordered) > 1.6 * sum(lay.h[z] for z in own):
        lay.left, lay.right = ordered[1::2], ordered[::2]
    else:
        lay.right = ordered
    _place(lay, flagged)
    return lay


def _place(lay: _SiteLayout, flagged: set[str]) -> None:
    """Boxes' sizes and places, then arrows' ends spread along each side in the order of
    their other end, so that arrows leaving one box do not cross each other."""
    sides: list[tuple[int, str, str, str]] = []  # flow, zone, side of its box, other zone
    on_left = set(lay.left)
    for i, f in enumerate(lay.flows):
        if i in lay.lanes:
            sides += [(i, f.source, "L", f.target), (i, f.target, "L", f.source)]
            continue
        home, peer = (f.source, f.target) if f.source in lay.own else (f.target, f.source)
        home_side, peer_side = ("L", "R") if peer in on_left else ("R", "L")
        sides += [(i, home, home_side, peer), (i, peer, peer_side, home)]
    count = Counter((zid, side) for _, zid, side, _ in sides)
    for zid in lay.own + lay.peers:
        base = BOX_H if zid in lay.own or zid in flagged else PEER_H
        lay.h[zid] = max(base, (max(count[(zid, "L")], count[(zid, "R")]) + 1) * ANCHOR_GAP)
    columns = (lay.left, lay.own, lay.right)
    span = max(sum(lay.h[z] + GAP for z in ids) for ids in columns)
    lay.y = {z: y for ids in columns for z, y in _stack(ids, lay.h, span).items()}
    crossing = (len(lay.flows) - len(lay.lanes)) / (2 if lay.left else 1)
    gutter = min(720.0, max(440.0, 300 + 9.0 * crossing))
    lay.col_x = 36.0 + (max(lay.lanes.values(), default=-1) + 1) * LANE
    lay.col_x += BOX_W + gutter - 20 if lay.left else 0
    lay.x = {z: 16.0 for z in lay.left} | {z: lay.col_x for z in lay.own}
    lay.x |= {z: lay.col_x + BOX_W + gutter for z in lay.right}
    centre = {z: lay.y[z] + lay.h[z] / 2 for z in lay.y}
    slots: dict[tuple[str, str], list[tuple[float, int, int]]] = defaultdict(list)
    for i, zid, side, other in sides:
        slots[(zid, side)].append((centre[other], i, int(lay.flows[i].source != zid)))
    for (zid, side), items in slots.items():
        step = lay.h[zid] / (len(items) + 1)
        x = lay.x[zid] + (BOX_W if side == "R" else 0)
        for k, (_, i, end) in enumerate(sorted(items)):
            lay.ends[(i, end)] = (x, lay.y[zid] + step * (k + 1))


def _zone_box(zid: str, lay: _SiteLayout, gm: GroupMap, n: Counter, s: Situation, lab) -> str:
    zone, peer = gm.zone(zid), zid in lay.peers
    kind = lab.get(zone.kind, zone.kind) + (f" · {zone.site}" if peer and zone.site else "")
    cut = zone.kind == "internet" and s.internet_cut
    state = [f"{n[(zid, 'hosts')]} {lab['hosts']}"]
    state += [lab["isolated"]] * (zid in s.isolated_zones) + [lab["cut"]] * cut
    lines = [
        (zid, 13, BOLD),
        (kind, 11, f' fill="{MUTED}"'),
        (_short(zone.name, 38), 10, f' fill="{MUTED}"'),
        (" · ".join(state), 11, BOLD if len(state) > 1 else ""),
    ]
    badges = [
        (f"{n[(zid, key)]} {lab['n_' + key]}", colour)
        for key, colour in (("compromised", RED), ("suspected", ORANGE))
        if n[(zid, key)]
    ]
    look = (
        "#e5e7eb" if peer else "#fff",
        n[(zid, "compromised")] > 0,
        cut or zid in s.isolated_zones,
        badges,
    )
    return _box(lay.x[zid], lay.y[zid], BOX_W, lay.h[zid], lines, look)


def _frames(lay: _SiteLayout, name: str, lab: Mapping[str, str], bottom: float) -> list[str]:
    """The site's frame around its zones, and the "outside the site" ones around the peers."""
    top = TOP - 36
    frame = f'y="{_n(top)}" height="{_n(bottom - top)}" rx="8" stroke="{MUTED}"'
    site_x = lay.col_x - 28 - (max(lay.lanes.values(), default=-1) + 1) * LANE
    out = [
        f'<rect x="{_n(site_x)}" width="{_n(lay.col_x + BOX_W + 8 - site_x)}" {frame}'
        f' fill="#f8fafc"/>' + _text(site_x + 10, top + 20, _short(name, 44), 13, BOLD)
    ]
    for side in (lay.left, lay.right):
        if side:
            x = lay.x[side[0]]
            out.append(
                f'<rect x="{_n(x - 10)}" width="{_n(BOX_W + 20)}" {frame} fill="#f1f5f9"'
                f' stroke-dasharray="4 3"/>' + _text(x, top + 20, lab["outside"], 13)
            )
    if not lay.own:
        out.append(_text(lay.col_x, TOP + 20, lab["no_zone"], 12))
    return out


def site_picture(
    gm: GroupMap, situation: Situation, site_id: str, labels: Mapping[str, str] | None = None
) -> str:
    """The SVG picture of one site (`site_id` must be a site of the map: KeyError otherwise)."""
    lab, s, site = {**LABELS, **(labels or {})}, situation, gm.site(site_id)
    flagged = {zid for zid, state in _counts(gm, s, set())}  # zones that need room for badges
    lay = _site_layout(gm, site_id, flagged)
    counts = _counts(gm, s, set(lay.own + lay.peers))
    bottom = max([TOP + 40] + [lay.y[z] + lay.h[z] for z in lay.y]) + 16
    out = _frames(lay, f"{site.name} ({site.id})", lab, bottom)
    placer, kinds = _Placer(), {z.id: z.kind for z in gm.zones}
    for zid in lay.y:
        placer.add((lay.x[zid], lay.y[zid], lay.x[zid] + BOX_W, lay.y[zid] + lay.h[zid]), 20)
    cuts = [flow_is_cut(f, kinds, s) for f in lay.flows]
    paths = [lay.path(i) for i in range(len(lay.flows))]
    for f, path, cut in zip(lay.flows, paths, cuts, strict=True):
        tip = f"{f.source} → {f.target} · {f.ports} · {f.purpose}" + f" · {lab['cut']}" * cut
        out.append(f"<g><title>{_esc(tip)}</title>{_line(path, cut)}</g>")
    out += [_zone_box(zid, lay, gm, counts, s, lab) for zid in lay.y]
    out += [
        _cross(*_point_at(p, 0.5)[:2], placer) for p, cut in zip(paths, cuts, strict=True) if cut
    ]
    fractions = (0.5, 0.64, 0.36, 0.74, 0.26, 0.82, 0.18, 0.88, 0.12)
    for f, path, cut in zip(lay.flows, paths, cuts, strict=True):
        text = f"{lab['cut']} · " * cut + _short(f.ports or "—", 20)
        out.append(_label(path, text, cut, placer, fractions[cut:]))
    title = lab["site_title"].replace("{site}", f"{site.name} ({site.id})")
    desc = (
        f"{len(lay.own)} {lab['zones']} · {len(paths)} {lab['flows']} · {sum(cuts)} {lab['n_cut']}"
    )
    width = max([560.0] + [x + BOX_W + 24 for x in lay.x.values()])
    return _svg(width, bottom + 16, title, desc, out)


# ---------------------------------------------------------------------------
# The group
# ---------------------------------------------------------------------------

NODE_W, NODE_H, STEP_X, STEP_Y = 210.0, 64.0, 250.0, 124.0


def _star(n: int) -> list[Point]:
    """`n` places around a centre, in units of one node (STEP_X by STEP_Y).

    One ring up to 24 places, then rings 1.6 apart; neighbours on a ring are 1.5 apart, so
    boxes never overlap and every spoke from the centre leaves room for its label.
    """
    places: list[Point] = []
    radius, ring = 2.4, 0
    while len(places) < n:
        cap = 24 if ring == 0 else int(math.pi / math.asin(min(1.0, 0.75 / radius)))
        count = min(cap, n - len(places))
        r = max(radius, 0.75 / math.sin(math.pi / count)) if count > 1 else radius
        shift = math.pi / count if ring else 0.0  # outer rings between the inner ones' spokes
        for k in range(count):
            a = -math.pi / 2 + 2 * math.pi * k / count + shift
            places.append((r * math.cos(a), r * math.sin(a)))
        radius, ring = r + 1.6, ring + 1
    return places


def _layout(nodes: list[str], nbrs: Mapping[str, set[str]]) -> dict[str, Point]:
    """Node centres: each hub with the nodes hanging on it as a star, stars packed in rows.

    A node with three neighbours or more is a hub; any other node joins its busiest neighbour
    when that one is a hub. A region's datacentres thus gather their sites around them.
    """
    order = {v: k for k, v in enumerate(nodes)}
    deg = {v: len(nbrs[v]) for v in nodes}
    stars: dict[str, list[str]] = {}
    for v in nodes:
        best = min(nbrs[v], key=lambda u: (-deg[u], order[u]), default=v)
        hub = v if deg[v] >= 3 or deg[best] < 3 else best
        stars.setdefault(hub, []).extend([v] if hub != v else [])
    packed = []
    for hub, around in stars.items():
        rel = [(0.0, 0.0)] + [(x * STEP_X, y * STEP_Y) for x, y in _star(len(around))]
        x0, y0 = min(p[0] for p in rel), min(p[1] for p in rel)
        w, h = max(p[0] for p in rel) - x0 + STEP_X, max(p[1] for p in rel) - y0 + STEP_Y
        members = [
            (v, x - x0 + STEP_X / 2, y - y0 + STEP_Y / 2)
            for v, (x, y) in zip([hub, *around], rel, strict=True)
        ]
        packed.append((w, h, members))
    row_w = max([w for w, _, _ in packed] + [math.sqrt(sum(w * h for w, h, _ in packed) * 1.7)])
    centres: dict[str, Point] = {}
    x = y = row_h = 0.0
    for w, h, members in packed:
        if x and x + w > row_w:
            x, y, row_h = 0.0, y + row_h, 0.0
        centres |= {v: (24 + x + mx, 64 + y + my) for v, mx, my in members}
        x, row_h = x + w, max(row_h, h)
    return centres


def _node(v: str, at: Point, gm: GroupMap, s: Situation, lab, counts: tuple[int, int, int]) -> str:
    """A site (``s:ID``) or a zone of no site (``z:ID``), with its isolated and compromised."""
    kind, _, ident = v.partition(":")
    isolated, zones, compromised = counts
    state = f"{isolated} {lab['n_isolated']} · {compromised} {lab['n_compromised']}"
    if kind == "s":
        name, whole = gm.site(ident).name, 0 < zones == isolated
    else:
        zone = gm.zone(ident)
        name, whole = lab.get(zone.kind, zone.kind), isolated > 0
        if zone.kind == "internet" and s.internet_cut:
            state, whole = lab["cut"], True
    weight = BOLD if isolated or compromised or whole else f' fill="{MUTED}"'
    rows = [(ident, 15, BOLD), (_short(name, 30), 11, f' fill="{MUTED}"')]
    rows.append((state, 12, weight))
    look = ("#fff", compromised > 0, whole, ())
    return _box(at[0] - NODE_W / 2, at[1] - NODE_H / 2, NODE_W, NODE_H, rows, look)


def group_picture(
    gm: GroupMap, situation: Situation, labels: Mapping[str, str] | None = None
) -> str:
    """The SVG picture of the group: a node per site (and per zone of no site), and an edge per
    pair of nodes with flows between them, saying how many flows and how many are cut."""
    lab, s = {**LABELS, **(labels or {})}, situation
    kinds = {z.id: z.kind for z in gm.zones}
    node_of = {z.id: f"s:{z.site}" if z.site else f"z:{z.id}" for z in gm.zones}
    nodes = [f"s:{site.id}" for site in gm.sites] + [f"z:{z.id}" for z in gm.zones if not z.site]
    edges: dict[tuple[str, str], list[int]] = {}
    nbrs: dict[str, set[str]] = {v: set() for v in nodes}
    for f in gm.flows:
        a, b = node_of[f.source], node_of[f.target]
        if a != b:
            count = edges.setdefault((min(a, b), max(a, b)), [0, 0])
            count[0] += 1
            count[1] += flow_is_cut(f, kinds, s)
            nbrs[a].add(b)
            nbrs[b].add(a)
    centres = _layout(nodes, nbrs)
    zones, isolated = (
        Counter(node_of.values()),
        Counter(node_of[z] for z in s.isolated_zones if z in node_of),
    )
    compromised: Counter[str] = Counter()
    for (zid, state), n in _counts(gm, s, set()).items():
        compromised[node_of[zid]] += n * (state == "compromised")
    placer, lines, marks, pending = _Placer(), [], [], []
    for v in nodes:
        x, y = centres[v]
        placer.add((x - NODE_W / 2, y - NODE_H / 2, x + NODE_W / 2, y + NODE_H / 2), 20)
    for (a, b), (n, k) in edges.items():
        if len(nbrs[a]) < len(nbrs[b]):
            a, b = b, a  # from the hub outwards: labels sit where the spokes spread
        path = [centres[a], centres[b]]
        lines.append(_line(path, k == n, 1.2 + min(3.0, n / 6), arrow=False))
        if k == n:
            marks.append(_cross(*_point_at(path, 0.5)[:2], placer))
        pending.append((path, f"{k}/{n} {lab['n_cut']}" if k else f"{n} {lab['flows']}", k > 0))
    fractions = (0.68, 0.78, 0.6, 0.86, 0.36, 0.28)
    texts = [_label(p, t, c, placer, fractions) for p, t, c in pending]
    boxes = [
        _node(v, centres[v], gm, s, lab, (isolated[v], zones[v], compromised[v])) for v in nodes
    ]
    width = max([560.0] + [x + NODE_W / 2 + 24 for x, _ in centres.values()])
    height = max([120.0] + [y + NODE_H / 2 + 24 for _, y in centres.values()])
    n_flows, n_cut = sum(n for n, _ in edges.values()), sum(k for _, k in edges.values())
    desc = f"{len(gm.sites)} {lab['sites']} · {n_flows} {lab['flows']} · {n_cut} {lab['n_cut']}"
    return _svg(width, height, lab["group_title"], desc, lines + marks + boxes + texts)
