"""Crisis log appends per second through the ORM: the hash chain against plain inserts.

Run: `python bench/log_append_bench.py [--entries 2000]`. For each database (a fresh SQLite
file in WAL mode, and PostgreSQL when CRISISCELL_BENCH_POSTGRES_URL or the local server
answers), in one run and side by side:

- chained: `crisis.log.append_entry`, one transaction per entry (lock the crisis row,
  read the tip, hash, insert, move the tip) — what every writer does;
- plain: the same rows inserted with `LogEntry.objects.create`, one transaction each, no
  chain and no lock — the floor the chain is measured against.

Each database runs in its own process (Django binds one database per process). Prints
figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/crisiscell_bench"


def run_one(entries: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisiscell.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from crisiscell.crisis import log
    from crisiscell.crisis.models import Crisis, LogEntry

    call_command("migrate", interactive=False, verbosity=0)
    Crisis.objects.filter(active=True).update(active=False)
    crisis = Crisis.objects.create(title="bench", phase="detection", opened_at=_now())
    text = "Serveur srv-ehr-01 isolé du réseau ; appel du fournisseur du DPI, en attente."

    start = time.perf_counter()
    for i in range(entries):
        log.append_entry(
            crisis.pk, author="bench", kind="action", text=f"{text} {i}", links=["host:srv-ehr-01"]
        )
    chained = time.perf_counter() - start

    plain_crisis = Crisis.objects.create(
        title="bench plain", phase="detection", opened_at=_now(), active=False
    )
    start = time.perf_counter()
    for i in range(entries):
        with transaction.atomic():
            LogEntry.objects.create(
                crisis=plain_crisis,
                seq=i + 1,
                at="2026-11-26T00:00:00.000000Z",
                author="bench",
                role="",
                kind="action",
                text=f"{text} {i}",
                links=["host:srv-ehr-01"],
                prev_hash="0" * 64,
                hash=f"{plain_crisis.pk}:{i}",
            )
    plain = time.perf_counter() - start

    start = time.perf_counter()
    ok = log.verify_crisis(crisis).ok
    verify = time.perf_counter() - start
    return {
        "vendor": connection.vendor,
        "entries": entries,
        "chained_per_s": entries / chained,
        "plain_per_s": entries / plain,
        "verify_s": verify,
        "intact": ok,
    }


def _now():
    from django.utils import timezone

    return timezone.now()


def _postgres_url() -> str | None:
    """The benchmark database (created if missing), or None when no server answers."""
    url = os.environ.get("CRISISCELL_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    server, name = url.rsplit("/", 1)
    subprocess.run(
        ["createdb", "--maintenance-db", f"{server}/postgres", name],
        capture_output=True,
        check=False,
    )  # fails harmlessly when it exists
    probe = subprocess.run(["psql", url, "-qAtc", "SELECT 1"], capture_output=True, check=False)
    return url if probe.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--entries", type=int, default=2000)
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # child process
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.entries)))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite (WAL, file)", f"sqlite:///{Path(tmp) / 'bench.db'}")]
        pg = _postgres_url()
        if pg:
            targets.append(("PostgreSQL", pg))
        print(f"Crisis log append benchmark: {args.entries:,} entries, one transaction each")
        print(f"  {'database':22} {'chained/s':>10} {'plain/s':>10} {'ratio':>6} {'verify':>9}")
        for label, url in targets:
            env = dict(os.environ, CRISISCELL_DATABASE_URL=url, CRISISCELL_DATA_DIR=tmp)
            out = subprocess.run(
                [sys.executable, __file__, "--one", "--entries", str(args.entries)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"  {label:22} {r['chained_per_s']:10,.0f} {r['plain_per_s']:10,.0f} "
                f"{r['chained_per_s'] / r['plain_per_s']:6.2f} {r['verify_s'] * 1000:7.1f}ms"
                + ("" if r["intact"] else "  CHAIN NOT INTACT")
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
