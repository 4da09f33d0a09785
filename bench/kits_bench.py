"""Downtime kits: a full regeneration of every kit of the demo group, against a baseline.

The demo group (16 sites, 180 care units) is loaded into a fresh SQLite database with its
census (about 1,500 patients present) and two weeks of appointments (about 3,000 a working
day, of them some 1,500 consultations). Then:

- crisiscell: `crisiscell.kits.build` — one Typst compiler per thread kept from kit to
  kit, untagged PDFs (made to be printed), two threads, AES-256 for the kits naming a
  patient;
- baseline: the same kits, one after the other, each laid out by a fresh compiler into a
  tagged PDF (how every other document of the project is made), then encrypted.

Prints the time, the pages per second, and the share of layout and encryption.
Usage: .venv/bin/python bench/kits_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import fmt, table, timed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CRISISCELL_DATA_DIR"] = tmp
        os.environ.pop("CRISISCELL_DATABASE_URL", None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "crisiscell.settings"
        import django

        django.setup()
        from crisiscell.web.demo import load_demo

        t = time.perf_counter()
        for line in load_demo():
            if not line.startswith("user "):
                print(line)
        print(f"demo loaded in {time.perf_counter() - t:.1f} s")
        run(Path(tmp), args.repeat)


def baseline(kits, passwords):
    """Fresh compiler and tagged PDF per kit, one after the other (the project's default)."""
    import json

    import typst

    from crisiscell.documents.protect import protect
    from crisiscell.documents.render import FONTS, TEMPLATES
    from crisiscell.kits import document

    layout = encryption = 0.0
    pages = 0
    for kit in kits:
        data = json.dumps(document.document(kit), ensure_ascii=False, default=str)
        t0 = time.perf_counter()
        pdf = typst.compile(
            str(TEMPLATES / "kit.typ"),
            root=str(TEMPLATES),
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,
            sys_inputs={"data": data},
        )
        t1 = time.perf_counter()
        _out, n = protect(pdf, passwords[kit.site_id] if kit.holds_patient_data else None)
        encryption += time.perf_counter() - t1
        layout += t1 - t0
        pages += n
    return pages, layout, encryption


def run(tmp: Path, repeat: int) -> None:
    from django.utils import timezone

    from crisiscell.inventory.snapshot import load_map
    from crisiscell.kits import build, gather
    from crisiscell.kits.models import Inpatient

    gm = load_map()
    kits = gather.kits(gm, timezone.now())
    patients = Inpatient.objects.count()
    scheduled = sum(len(k.schedule) for k in kits)
    passwords = build.site_passwords(k.site_id for k in kits if k.holds_patient_data)
    print(
        f"{len(kits)} kits, {patients} patients present, {scheduled} appointments over "
        f"{gather.SCHEDULE_DAYS} days, {os.cpu_count()} CPUs"
    )
    times, result = timed(lambda: build.build([tmp / "kits"]), repeat)
    t = result.timings
    work = t["layout"] + t["encryption"]
    base_times, (b_pages, b_layout, b_enc) = timed(lambda: baseline(kits, passwords), 1)
    b_total = base_times[0]
    rows = [
        ("", "crisiscell", "baseline (fresh compiler, tagged, 1 thread)"),
        ("full regeneration", fmt(times), fmt(base_times)),
        ("pages", str(result.pages), str(b_pages)),
        ("pages per second", f"{result.pages / min(times):.0f}", f"{b_pages / b_total:.0f}"),
        (
            "layout share",
            f"{t['layout'] / work:.0%} ({t['layout']:.1f} s thread time)",
            f"{b_layout / (b_layout + b_enc):.0%} ({b_layout:.1f} s)",
        ),
        (
            "encryption share",
            f"{t['encryption'] / work:.0%} ({t['encryption']:.1f} s thread time)",
            f"{b_enc / (b_layout + b_enc):.0%} ({b_enc:.1f} s)",
        ),
        ("gather from the database", f"{t['gather']:.2f} s", ""),
        ("layout, encryption and writing", f"{t['make_and_write']:.2f} s", ""),
        ("encrypted kits", str(sum(m.encrypted for m in result.made)), ""),
    ]
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
