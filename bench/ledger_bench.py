"""Crisis log benchmark: build a hash chain, verify it, verify its export.

Run: ``python bench/ledger_bench.py [--entries 1000000] [--seed 1] [--repeat 3]``

The engine section builds, in memory and with `make_entry`, a chain of N realistic entries
(French and English texts of 80 to 200 characters, accents, the odd quote or line break,
0 to 3 links, one entry in a hundred correcting an earlier one), then times, in the same
run:

* `verify` over the intact chain (the fast pass), and a straightforward verification side by
  side (``entry_hash`` -- json.dumps per entry -- and a link check: the baseline), and the
  floor no verification in Python goes under: sha256 + hexdigest of each entry's canonical
  bytes, made beforehand;
* `verify` over the same chain with one entry modified in the middle (the full analysis);
* `verify_document` over the export, ``json.loads`` of the JSON text included.

Each verification is timed twice, side by side in a table, runs interleaved: with
``workers=None`` (the path `verify` picks by itself here: several forked processes on a
multi-core Linux machine, this script running one thread like the command line) and with
``workers=1`` (one process, the path of a threaded server). Both must give the same
`Verification`, and the expected one; the timings are printed, never asserted.
Sections are named; more can be added to `SECTIONS` (each takes the parsed arguments and
returns its rows).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

try:
    from crisiscell.engine import ledger
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from crisiscell.engine import ledger

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository
from bench.report import Rows, fmt, table, timed  # noqa: E402
from crisiscell.engine.ledger import (
    GENESIS,
    Entry,
    canonical,
    entry_hash,
    export_document,
    format_time,
    make_entry,
    verify,
    verify_document,
)

CRISIS = "5f0c2a1e9b7d4c3a8e6f1d2b3c4a5e6f"
PEOPLE = [
    ("mdubois", "crisis_director"),
    ("lpeeters", "medical_director"),
    ("jmartin", "it_lead"),
    ("sbernard", "it_lead"),
    ("cleroy", "communication"),
    ("nfontaine", "care_manager"),
    ("agoossens", "care_manager"),
    ("tlambert", "scheduler"),
    ("hjanssens", "crisis_director"),
    ("emoreau", "observer"),
    ("", "system"),
]
SITES = ["ARL", "LIB", "MAR", "BAS", "VIR"]
HOSTS = ["srv-ehr-01", "srv-pacs-02", "srv-ad-01", "srv-lab-03", "ws-arl-0142", "srv-ris-01"]
APPS = ["EHR", "PACS", "RIS", "LIS", "AD", "MAIL"]
SERVICES = ["RAD", "LAB", "URG", "ONCO", "DIAL", "BLOC", "CONS"]
TEMPLATES = [
    "Alerte EDR sur {host} : chiffrement en cours détecté, processus bloqué et poste "
    "mis en quarantaine. Escalade au RSSI.",
    "Décision : isolement de la zone {site}-WS pour limiter la propagation ; {n} postes "
    "concernés, le service {service} passe en mode dégradé.",
    "Appel entrant du chef de service {service} ({site}) : plus d'accès à {app}, "
    "dossiers papier distribués à {hour}.",
    "Message sortant vers le CERT Santé : notification de l'incident, référence INC-{n}, "
    "indicateurs joints.",
    "Réunion de la cellule à {hour} : point de situation, {n} serveurs hors service, "
    'prochain point à {hour2}. Mot d\'ordre : "on ne rallume rien".',
    "Action : coupure du flux {site}-WS->DC-SRV par l'équipe réseau, confirmée par "
    "téléphone au directeur de crise.",
    "Report de {n} consultations en {service} ; patients prévenus par SMS et par "
    "téléphone, liste d'appel imprimée.",
    "Restore of {app} from the offline backup started on {host}; integrity check "
    "in progress, ETA {hour2}.",
    "Plan blanc activé pour le site {site}.\nRenforts : {n} infirmiers rappelés, "
    "transferts des patients à risque vers {site2}.",
    "Press contact received: journalists ask about patient data; holding statement sent, "
    "no figures given.",
]
FILLERS = [
    " Consigné par le secrétariat de crise.",
    " À confirmer au prochain point.",
    " Voir la fiche réflexe n°{n}.",
    " Copie au directeur médical.",
]


def realistic_text(rng: random.Random) -> str:
    """An entry text of 80 to 200 characters."""
    fields = {
        "host": rng.choice(HOSTS),
        "site": rng.choice(SITES),
        "site2": rng.choice(SITES),
        "app": rng.choice(APPS),
        "service": rng.choice(SERVICES),
        "n": rng.randint(2, 1500),
        "hour": f"{rng.randint(0, 23):02d}h{rng.randint(0, 59):02d}",
        "hour2": f"{rng.randint(0, 23):02d}h{rng.randint(0, 59):02d}",
    }
    text = rng.choice(TEMPLATES).format(**fields)
    while len(text) < 80:
        text += rng.choice(FILLERS).format(**fields)
    if len(text) > 200:
        text = text[:197].rsplit(" ", 1)[0] + "…"
    return text


def realistic_links(rng: random.Random) -> list[str]:
    pool = (
        [f"site:{s}" for s in SITES]
        + [f"host:{h}" for h in HOSTS]
        + [f"app:{a}" for a in APPS]
        + [f"service:{s}-{v}" for s in SITES[:2] for v in SERVICES]
        + [f"zone:{s}-WS" for s in SITES]
        + [f"flow:{s}-WS->DC-SRV" for s in SITES]
    )
    return rng.sample(pool, rng.choice((0, 0, 1, 1, 1, 2, 2, 3)))


def build_chain(n: int, seed: int) -> list[Entry]:
    """N entries made with `make_entry`. Texts and links are drawn from pools made once
    (generating each from scratch would cost more than making the entry), but every text is
    its own string, as it would be when read from a database."""
    rng = random.Random(seed)
    texts = [realistic_text(rng) for _ in range(4096)]
    link_sets = [realistic_links(rng) for _ in range(4096)]
    start = datetime(2026, 11, 26, 2, 31, 7, tzinfo=UTC)
    entries: list[Entry] = []
    prev = None
    t = start
    for i in range(n):
        t += timedelta(microseconds=rng.randint(100_000, 5_000_000))
        author, role = rng.choice(PEOPLE)
        corrects = None
        if entries and rng.random() < 0.01:
            corrects = rng.choice(entries[-1000:]).hash
        text = rng.choice(texts)
        if len(text) < 190:
            text = f"{text} [{i}]"
        prev = make_entry(
            prev,
            crisis=CRISIS,
            at=format_time(t),
            author=author,
            role=role,
            kind=rng.choice(ledger.KINDS),
            text=text,
            links=rng.choice(link_sets),
            corrects=corrects,
        )
        entries.append(prev)
    return entries


def baseline_ok(entries: list[Entry]) -> bool:
    """The straightforward verification: json.dumps per entry, then the link."""
    prev = GENESIS
    for e in entries:
        if entry_hash(e) != e.hash or e.prev_hash != prev:
            return False
        prev = e.hash
    return True


def timed_side_by_side(
    fns: list[Callable[[], object]], repeat: int
) -> tuple[list[list[float]], list[object]]:
    """`timed` for several functions, their runs interleaved (a, b, a, b...) so that the
    machine getting busier or quieter during the run weighs on each alike."""
    times: list[list[float]] = [[] for _ in fns]
    results: list[object] = [None for _ in fns]
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t, results[k] = timed(fn, 1)
            times[k] += t
    return times, results


def processes(workers: int) -> str:
    return "1 process" if workers == 1 else f"{workers} processes"


def engine_section(args: argparse.Namespace) -> Rows:
    n = args.entries
    start = time.perf_counter()
    chain = build_chain(n, args.seed)
    build = time.perf_counter() - start
    head = chain[-1].hash
    mean_text = sum(len(e.text) for e in chain) / n
    # The path `verify` takes by itself in this process (one thread, like the command line:
    # it may fork), timed side by side with the one-process path (a threaded server's).
    workers = ledger._workers(n, None)
    if workers > 1:
        why = f"{ledger._available_cpus()} CPUs, one thread, {ledger.PARALLEL_MIN:,}+ entries"
    else:
        why = "no fork here: one CPU, several threads, not Linux, or a small log"
    auto: dict = {"workers": None}  # verify's default; verify_document's is 1
    single: dict = {"workers": 1}

    gc.disable()  # the chain is built: no cycles to collect, keep the collector out of timings
    try:
        (verify_times, verify_1_times), (v, v_1) = timed_side_by_side(
            [
                lambda: verify(chain, crisis=CRISIS, expected_head=head, **auto),
                lambda: verify(chain, crisis=CRISIS, expected_head=head, **single),
            ],
            args.repeat,
        )
        assert v == v_1 and v.ok and v.count == n, v.faults[:3]
        base_times, base = timed(lambda: baseline_ok(chain), 1)
        assert base is True
        sample = [canonical(e) for e in chain[:100_000]]
        sha256 = hashlib.sha256
        floor_times, _ = timed(lambda: [sha256(b).hexdigest() for b in sample], args.repeat)
        floor = min(floor_times) / len(sample)

        middle = n // 2
        tampered = list(chain)
        tampered[middle] = replace(chain[middle], text=chain[middle].text + " (corrigé)")
        (tamper_times, tamper_1_times), (t, t_1) = timed_side_by_side(
            [
                lambda: verify(tampered, crisis=CRISIS, **auto),
                lambda: verify(tampered, crisis=CRISIS, **single),
            ],
            1,
        )
        assert t == t_1, (t.faults[:3], t_1.faults[:3])
        assert [(f.kind, f.seq) for f in t.faults] == [("modified", middle + 1)], t.faults[:3]
        tampered.clear()

        start = time.perf_counter()
        text = json.dumps(
            export_document({"uid": CRISIS, "name": "Bench"}, chain), ensure_ascii=False
        )
        export = time.perf_counter() - start

        (doc_times, doc_1_times), (d, d_1) = timed_side_by_side(
            [
                lambda: verify_document(json.loads(text), **auto),
                lambda: verify_document(json.loads(text), **single),
            ],
            args.repeat,
        )
        assert d == d_1 and d.ok and d.count == n, d.faults[:3]
        loads_times, doc = timed(lambda: json.loads(text), 1)
        del doc
    finally:
        gc.enable()

    med, med_1 = statistics.median(verify_times), statistics.median(verify_1_times)
    base_med = statistics.median(base_times)
    several = f", median / min of {args.repeat}" if args.repeat > 1 else ""
    return [
        ("entries", f"{n:,} (seed {args.seed}, texts of {mean_text:.0f} characters on average)"),
        ("build the chain (make_entry)", f"{build:.2f} s"),
        ("path verify takes here", f"{processes(workers)} ({why})"),
        ("path verify_document takes", "1 process, unless given workers=None"),
        ("export_document + json.dumps", f"{export:.2f} s, {len(text.encode()) / 2**20:.0f} MiB"),
        (),
        ("", f"{processes(workers)} (workers=None)", "1 process (workers=1)"),
        (f"verify, intact chain{several}", fmt(verify_times), fmt(verify_1_times)),
        ("  µs per entry", f"{med / n * 1e6:.2f}", f"{med_1 / n * 1e6:.2f}"),
        ("  entries per second", f"{n / med:,.0f}", f"{n / med_1:,.0f}"),
        ("  baseline: entry_hash + link, 1 process", "", fmt(base_times)),
        ("  speed-up over the baseline", f"{base_med / med:.1f}x", f"{base_med / med_1:.1f}x"),
        (
            "  floor: sha256 + hexdigest of ready bytes",
            f"{floor * n / workers:.2f} s (1 process's / {workers})",
            f"{floor * n:.2f} s ({floor * 1e6:.2f} µs per entry)",
        ),
        ("verify, one entry modified (full analysis)", fmt(tamper_times), fmt(tamper_1_times)),
        (f"verify_document, json.loads included{several}", fmt(doc_times), fmt(doc_1_times)),
        ("  of which json.loads", fmt(loads_times), ""),
    ]


SECTIONS: dict[str, Callable[[argparse.Namespace], Rows]] = {"engine": engine_section}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in the chain")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each verification")
    parser.add_argument(
        "--section",
        action="append",
        choices=sorted(SECTIONS),
        help="run only this section (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    if args.entries < 2:
        parser.error("--entries: at least 2")

    print("Crisis log (ledger) benchmark")
    for name in args.section or list(SECTIONS):
        print(f"[{name}]")
        for line in table(SECTIONS[name](args)):
            print(f"  {line}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
