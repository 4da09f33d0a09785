"""`crisiscell kits …`: downtime kits from the console — build them into a folder, print the
sites' password sheets, import the census, and keep the export folders fresh."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXIT_BAD_INPUT = 2


def _fail(messages) -> int:
    for m in messages:
        print(f"error: {m}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _progress(done: int, total: int) -> None:
    if done == total or done % 20 == 0:
        print(f"  {done}/{total} kits", file=sys.stderr, flush=True)


def cmd_kits_build(args: argparse.Namespace) -> int:
    from crisiscell.kits.build import KitError, build

    try:
        result = build(
            [Path(args.out)],
            sites=args.site or None,
            lang=args.language,
            progress=None if args.quiet else _progress,
        )
    except KitError as exc:
        return _fail([exc])
    t = result.timings
    encrypted = sum(m.encrypted for m in result.made)
    print(
        f"{len(result.made)} kits, {result.pages} pages ({encrypted} encrypted) -> {args.out} "
        f"in {t['total']:.1f} s ({result.pages / max(t['total'], 1e-9):.0f} pages/s; "
        f"layout {t['layout']:.1f} s, encryption {t['encryption']:.1f} s of thread time)"
    )
    return 0


def cmd_kits_passwords(args: argparse.Namespace) -> int:
    from crisiscell.kits import passwords
    from crisiscell.kits.build import KitError

    try:
        pdf = passwords.sheet(args.site or None, lang=args.language)
    except KitError as exc:
        return _fail([exc])
    try:
        Path(args.out).write_bytes(pdf)
    except OSError as exc:
        return _fail([f"{args.out}: cannot write the file ({exc.strerror or exc})"])
    print(f"password sheet -> {args.out} (print it, seal it, delete the file)")
    return 0


def cmd_kits_census(args: argparse.Namespace) -> int:
    from crisiscell.engine.census import CensusInvalid
    from crisiscell.kits.census import import_census

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _fail([f"{args.file}: cannot read the file ({exc.strerror or exc})"])
    try:
        batch = import_census(None, data, path.name)
    except CensusInvalid as exc:
        print(f"{args.file}: {len(exc.errors)} error(s), nothing imported", file=sys.stderr)
        return _fail(exc.errors[:200])
    print(f"census imported: {batch.count} patients present")
    return 0


def cmd_kits_watch(args: argparse.Namespace) -> int:
    from crisiscell.kits import schedule

    print(f"kits: made every {args.every} minutes; Ctrl-C to stop", flush=True)
    try:
        while True:
            line = schedule.run_if_due(every_minutes=args.every, holder="command line")
            if line:
                print(line, flush=True)
            time.sleep(20)
    except KeyboardInterrupt:
        return 0


def add_parsers(sub, django_setup) -> None:
    """The `kits` command; `django_setup` runs before each action."""

    def run(func):
        def call(args):
            django_setup()
            return func(args)

        return call

    s = sub.add_parser("kits", help="downtime kits: build, passwords, census, watch")
    ksub = s.add_subparsers(dest="kits_command", required=True, metavar="ACTION")
    k = ksub.add_parser("build", help="write every kit of the sites into a folder, with manifest")
    k.add_argument("--site", action="append", default=[], metavar="ID", help="(all if none)")
    k.add_argument("--out", required=True, metavar="DIR")
    k.add_argument("--language", choices=["fr", "en"], default="fr")
    k.add_argument("--quiet", action="store_true", help="no progress on stderr")
    k.set_defaults(func=run(cmd_kits_build))
    k = ksub.add_parser("passwords", help="the sites' kit passwords, for the sealed envelopes")
    k.add_argument("--site", action="append", default=[], metavar="ID", help="(all if none)")
    k.add_argument("--out", required=True, metavar="FILE.pdf")
    k.add_argument("--language", choices=["fr", "en"], default="fr")
    k.set_defaults(func=run(cmd_kits_passwords))
    k = ksub.add_parser("census", help="import the patients present (CSV, XLSX, FHIR)")
    k.add_argument("file", metavar="FILE")
    k.set_defaults(func=run(cmd_kits_census))
    k = ksub.add_parser("watch", help="make the kits again every N minutes, to the folders")
    k.add_argument("--every", type=int, default=None, metavar="MINUTES")
    k.set_defaults(func=run(_watch_defaults))


def _watch_defaults(args: argparse.Namespace) -> int:
    from django.conf import settings

    if args.every is None:
        args.every = settings.KIT_EVERY_MINUTES or 15
    if args.every < 1:
        return _fail(["--every: at least 1 minute"])
    return cmd_kits_watch(args)
