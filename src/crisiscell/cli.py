"""The `crisiscell` command.

Commands that work on a file (`impact`, `demo-map`) never touch Django or a database, so
they start fast and run anywhere. The others set Django up on CRISISCELL_DATABASE_URL.
Exit codes: 0 success, 1 a check failed, 2 bad input (errors on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_BAD_INPUT = 2


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisiscell.settings")
    import django

    django.setup()


def _fail(errors: Sequence[object], prefix: str = "error") -> int:
    for e in errors:
        print(f"{prefix}: {e}", file=sys.stderr)
    return EXIT_BAD_INPUT


# --- impact ---------------------------------------------------------------


def _parse_situation(args: argparse.Namespace):
    from crisiscell.engine.impact import Situation

    errors: list[str] = []
    states: dict[str, str] = {}
    for item in args.host:
        host, sep, state = item.partition("=")
        if not sep or not host or not state:
            errors.append(f"--host {item!r}: expected HOST=STATE")
        else:
            states[host] = state
    blocked = set()
    for item in args.block:
        src, sep, dst = item.partition(":")
        if not sep or not src or not dst:
            errors.append(f"--block {item!r}: expected FROM:TO")
        else:
            blocked.add((src, dst))
    situation = Situation(
        host_states=states,
        isolated_zones=frozenset(args.isolate),
        blocked_flows=frozenset(blocked),
        internet_cut=args.internet_cut,
    )
    return situation, errors


def cmd_impact(args: argparse.Namespace) -> int:
    from crisiscell.engine.groupmap import MapInvalid
    from crisiscell.engine.impact import check_situation, impact
    from crisiscell.engine.mapfiles import MapFileError, read_map

    try:
        gm = read_map(Path(args.map))
    except (MapInvalid, MapFileError) as exc:
        return _fail(exc.errors)
    situation, errors = _parse_situation(args)
    errors += [str(e) for e in check_situation(gm, situation)]
    if errors:
        return _fail(errors)
    result = impact(gm, situation)
    if args.json:
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
        print()
    else:
        for sid, si in sorted(result.services.items()):
            if si.status != "normal":
                print(f"{si.status.upper():9} {sid}")
                for r in si.reasons:
                    print(f"          {r.text()}")
        counts = result.counts()
        print(", ".join(f"{counts.get(k, 0)} {k}" for k in ("normal", "degraded", "down")))
    return 0


# --- isolation planner ---------------------------------------------------


def cmd_plan_isolation(args: argparse.Namespace) -> int:
    from crisiscell.engine import isolation
    from crisiscell.engine.groupmap import MapInvalid
    from crisiscell.engine.impact import Situation, check_situation
    from crisiscell.engine.mapfiles import MapFileError, read_map

    try:
        gm = read_map(Path(args.map))
    except (MapInvalid, MapFileError) as exc:
        return _fail(exc.errors)
    errors: list[str] = []
    states: dict[str, str] = {}
    for item in args.host:
        host, sep, state = item.partition("=")
        if not sep or not host or not state:
            errors.append(f"--host {item!r}: expected HOST=STATE")
        else:
            states[host] = state
    errors += [str(e) for e in check_situation(gm, Situation(host_states=states))]
    if args.alternatives < 1:
        errors.append("--alternatives must be at least 1")
    if not args.exposure_weight >= 0:
        errors.append("--exposure-weight must be a number, 0 or more")
    if errors:
        return _fail(errors)
    plans = isolation.plan_isolation(
        gm,
        states,
        alternatives=args.alternatives,
        exposure_weight=args.exposure_weight,
        suspected_are_sources=not args.suspected_are_clean,
        two_way=args.two_way,
        time_limit=args.time_limit,
    )
    if args.json:
        doc = {"plans": [p.to_json() for p in plans]}
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    for n, p in enumerate(plans, 1):
        proof = "optimal" if p.optimal else f"gap {p.gap:.1%}"
        exposed = len(p.exposed_zones)
        print(f"plan {n}: care cost {p.care_cost:,.0f}, {exposed} zone(s) exposed ({proof})")
        if p.internet_cut:
            print("  cut the internet")
        for z in p.isolate:
            print(f"  isolate {z}")
        for a, b in p.block:
            print(f"  block {a} -> {b}")
        for z in p.exposed_zones:
            print(f"  still exposed: {z}")
        hit = sorted((st, sid) for sid, st in p.services.items() if st != "normal")
        print(
            f"  {sum(1 for st, _ in hit if st == 'down')} service(s) down, "
            f"{sum(1 for st, _ in hit if st == 'degraded')} degraded"
        )
    return 0


# --- reprogramming --------------------------------------------------------


def _day_arg(value: str, option: str, errors: list[str]):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"{option} {value!r}: expected a date, YYYY-MM-DD")
        return None


def cmd_reprogram(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from crisiscell.engine import reprogram
    from crisiscell.engine.appointments import AppointmentsInvalid
    from crisiscell.engine.capacity import (
        Crisis,
        ExtraCapacity,
        SurgeonsInvalid,
        build_capacity,
        read_surgeons_csv,
        surgeons_from_appointments,
    )
    from crisiscell.engine.groupmap import MapInvalid
    from crisiscell.engine.mapfiles import MapFileError, read_map

    errors: list[str] = []
    today = _day_arg(args.today, "--today", errors)
    until = _day_arg(args.crisis_until, "--crisis-until", errors)
    if today and until and until < today:
        errors.append("--crisis-until must be on or after --today")
    if args.horizon_weeks < 1:
        errors.append("--horizon-weeks must be at least 1")
    if args.notice_days < 0:
        errors.append("--notice-days must be 0 or more")
    if not 0 <= args.extra <= 10 or args.extra_weeks < 0:
        errors.append("--extra must be a share from 0 to 10, --extra-weeks 0 or more")
    if not args.time_limit > 0:
        errors.append("--time-limit must be above 0")
    if Path(args.out).suffix.lower() not in (".csv", ".json"):
        errors.append(f"--out {args.out!r}: expected a .csv or .json file")
    if errors:
        return _fail(errors)
    try:
        gm = read_map(Path(args.map))
    except (MapInvalid, MapFileError) as exc:
        return _fail(exc.errors)
    for option, ids in (("--down", args.down), ("--degraded", args.degraded)):
        errors += [
            f"{option} {s!r}: unknown care service" for s in ids if not gm.has("services", s)
        ]
    errors += [f"{s!r} is both --down and --degraded" for s in set(args.down) & set(args.degraded)]
    if errors:
        return _fail(errors)
    from crisiscell.engine.appointment_files import read_appointments

    try:
        appointments = read_appointments(Path(args.appointments), gm)
    except AppointmentsInvalid as exc:
        print(
            f"{args.appointments}: {len(exc.errors)} error(s), nothing was planned",
            file=sys.stderr,
        )
        return _fail(exc.errors)
    try:
        if args.surgeons:
            surgeons = read_surgeons_csv(args.surgeons)
        else:
            surgeons = surgeons_from_appointments(appointments, gm.group.timezone)
        extra = [ExtraCapacity(args.extra, args.extra_weeks)] if args.extra else []
        capacity = build_capacity(
            gm,
            today,
            today + timedelta(weeks=args.horizon_weeks),
            crisis=Crisis(today, until, frozenset(args.down), frozenset(args.degraded)),
            extra=extra,
            surgeons=surgeons,
        )
    except SurgeonsInvalid as exc:
        return _fail(exc.errors)
    except ValueError as exc:  # no public holiday calendar for the group's country
        return _fail([f"{args.map}: {exc}"])
    options = {"today": today, "notice_days": args.notice_days}
    plan = reprogram.reprogram(appointments, capacity, time_limit=args.time_limit, **options)
    greedy = reprogram.greedy_edf(appointments, capacity, **options)
    try:
        if Path(args.out).suffix.lower() == ".json":
            doc = json.dumps(plan.to_json(), ensure_ascii=False, indent=1)
            Path(args.out).write_text(doc + "\n", encoding="utf-8")
        else:
            plan.write_csv(Path(args.out))
    except OSError as exc:
        return _fail([f"{args.out}: cannot write the file ({exc.strerror or exc})"])
    counts = plan.counts()
    print(
        f"{len(plan.rows):,} appointments: {counts['kept']:,} kept, {counts['moved']:,} moved, "
        f"{counts['unplaced']:,} unplaced -> {args.out}"
    )
    print(
        f"objective {plan.objective:,} (urgency-weighted days of delay), "
        f"bound {plan.bound:,.0f}, gap {plan.gap:.2%} ({plan.timings['total']:.1f} s)"
    )
    print(
        f"by hand (earliest deadline first): objective {greedy.objective:,}, "
        f"{greedy.counts()['unplaced']:,} unplaced"
    )
    return 0


# --- demo map ------------------------------------------------------------


def cmd_demo_map(args: argparse.Namespace) -> int:
    from crisiscell.engine import demo_map
    from crisiscell.engine.groupmap import parse_map
    from crisiscell.engine.mapfiles import write_map

    if args.sites is not None and args.sites < 1:
        return _fail(["--sites must be at least 1"])
    gm = parse_map(demo_map.generate(seed=args.seed, sites=args.sites))
    if args.out:
        fmt = args.format or {".yml": "yaml", ".json": "json", ".xlsx": "xlsx"}.get(
            Path(args.out).suffix.lower(), "csv" if not Path(args.out).suffix else "yaml"
        )
        write_map(gm, fmt, Path(args.out))
    elif args.format in ("xlsx", "csv"):
        return _fail([f"--format {args.format} needs --out"])
    else:
        write_map(gm, args.format or "yaml", sys.stdout)
    return 0


# --- demo appointments ---------------------------------------------------


def cmd_demo_appointments(args: argparse.Namespace) -> int:
    import datetime as dt
    import zoneinfo

    from crisiscell.engine import demo_appointments, demo_map
    from crisiscell.engine.appointment_files import csv_text, write_appointments
    from crisiscell.engine.groupmap import MapInvalid, parse_map
    from crisiscell.engine.mapfiles import MapFileError, read_map

    errors = []
    if args.days < 1:
        errors.append("--days must be at least 1")
    if args.sites is not None and args.sites < 1:
        errors.append("--sites must be at least 1")
    if args.map and args.sites is not None:
        errors.append("--sites makes a demo map: give it or --map, not both")
    if args.out and Path(args.out).suffix.lower() not in (".csv", ".xlsx"):
        errors.append(f"--out {args.out}: expected a .csv or .xlsx file")
    first_day = None
    if args.first_day:
        try:
            first_day = dt.date.fromisoformat(args.first_day)
        except ValueError:
            errors.append(f"--from {args.first_day!r}: expected a date, YYYY-MM-DD")
    if errors:
        return _fail(errors)
    if args.map:
        try:
            gm = read_map(Path(args.map))
        except (MapInvalid, MapFileError) as exc:
            return _fail(exc.errors)
    else:
        gm = parse_map(demo_map.generate(seed=args.seed, sites=args.sites))
    tz = zoneinfo.ZoneInfo(gm.group.timezone)
    if first_day is None:
        first_day = dt.datetime.now(tz).date()
    appointments = demo_appointments.generate(gm, first_day, args.days, seed=args.seed)
    if args.out:
        write_appointments(appointments, Path(args.out), tz)
        kinds: dict[str, int] = {}
        for a in appointments:
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
        detail = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        print(f"{len(appointments)} appointments ({detail}) -> {args.out}")
    else:
        sys.stdout.write(csv_text(appointments, tz))
    return 0


# --- map import / export --------------------------------------------------


def cmd_map_import(args: argparse.Namespace) -> int:
    from crisiscell.engine.groupmap import MapInvalid
    from crisiscell.engine.mapfiles import MapFileError, read_map

    try:
        gm = read_map(Path(args.file))
    except (MapInvalid, MapFileError) as exc:
        print(f"{args.file}: {len(exc.errors)} error(s), nothing was imported", file=sys.stderr)
        return _fail(exc.errors)
    _django()
    from crisiscell.inventory.importer import import_map

    try:
        counts = import_map(gm)
    except MapInvalid as exc:
        print(f"{args.file}: {len(exc.errors)} error(s), nothing was imported", file=sys.stderr)
        return _fail(exc.errors)
    print("imported " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def cmd_map_export(args: argparse.Namespace) -> int:
    from crisiscell.engine.mapfiles import write_map

    _django()
    from crisiscell.inventory.snapshot import load_map

    if args.format in ("xlsx", "csv") and not args.out:
        return _fail([f"--format {args.format} needs --out"])
    gm = load_map()
    write_map(gm, args.format, Path(args.out) if args.out else sys.stdout)
    return 0


# --- directory ------------------------------------------------------------


def cmd_directory_import(args: argparse.Namespace) -> int:
    from crisiscell.engine.contacts_csv import ContactsInvalid

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _fail([f"{args.file}: cannot read the file ({exc.strerror or exc})"])
    _django()
    from crisiscell.directory.actions import import_file

    try:
        counts = import_file(None, data, name=path.name, replace=args.replace)
    except ContactsInvalid as exc:
        print(f"{args.file}: {len(exc.errors)} error(s), nothing was imported", file=sys.stderr)
        return _fail(exc.errors)
    print(
        f"imported {counts.created} added, {counts.updated} changed, "
        f"{counts.unchanged} unchanged, {counts.deleted} deleted"
    )
    return 0


def cmd_directory_export(args: argparse.Namespace) -> int:
    _django()
    from crisiscell.directory.importer import export_contacts

    data = export_contacts()
    try:
        Path(args.out).write_bytes(data)
    except OSError as exc:
        return _fail([f"{args.out}: cannot write the file ({exc.strerror or exc})"])
    print(f"exported the directory -> {args.out}")
    return 0


# --- crisis and its log ---------------------------------------------------


def _pick_crisis(crisis_id: int | None):
    from crisiscell.crisis.models import Crisis

    if crisis_id is not None:
        crisis = Crisis.objects.filter(pk=crisis_id).first()
        if crisis is None:
            raise LookupError(f"unknown crisis {crisis_id}")
        return crisis
    crisis = Crisis.objects.filter(active=True).first() or Crisis.objects.first()
    if crisis is None:
        raise LookupError("no crisis yet: open one with `crisiscell crisis open --title TEXT`")
    return crisis


def _user(username: str | None):
    from django.contrib.auth import get_user_model

    if username is None:
        return None  # the system: an operator at the machine's console
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise LookupError(f"unknown user {username!r}")
    return user


def cmd_crisis_open(args: argparse.Namespace) -> int:
    _django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from crisiscell.crisis.actions import open_crisis

    try:
        crisis = open_crisis(_user(args.author), args.title)
    except (LookupError, PermissionDenied, ValidationError) as exc:
        return _fail(_messages(exc))
    print(crisis.pk)
    return 0


def cmd_log_add(args: argparse.Namespace) -> int:
    _django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from crisiscell.crisis.actions import write_entry

    try:
        crisis = _pick_crisis(args.crisis) if args.crisis is not None else None
        entry = write_entry(
            _user(args.author),
            kind=args.kind,
            text=args.text,
            links=args.link,
            crisis_id=crisis.pk if crisis else None,
        )
    except (LookupError, PermissionDenied, ValidationError) as exc:
        return _fail(_messages(exc))
    print(f"#{entry.seq} {entry.hash}")
    return 0


def cmd_log_verify(args: argparse.Namespace) -> int:
    _django()
    from crisiscell.crisis.log import verify_crisis

    try:
        crisis = _pick_crisis(args.crisis)
    except LookupError as exc:
        return _fail([exc])
    return _report(verify_crisis(crisis), f"crisis {crisis.pk} ({crisis.title})")


def cmd_log_export(args: argparse.Namespace) -> int:
    _django()
    from crisiscell.crisis.log import export

    try:
        crisis = _pick_crisis(args.crisis)
    except LookupError as exc:
        return _fail([exc])
    if Path(args.out).suffix.lower() == ".pdf":
        from crisiscell.crisis.log_pdf import log_pdf
        from crisiscell.inventory.group_time import group_timezone as _group_tz

        Path(args.out).write_bytes(log_pdf(crisis, _group_tz(), args.language))
        print(f"{crisis.entry_count} entries, head {crisis.head} -> {args.out}")
        return 0
    doc = export(crisis)
    Path(args.out).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"{doc['count']} entries, head {doc['head']} -> {args.out}")
    return 0


def cmd_log_verify_file(args: argparse.Namespace) -> int:
    from crisiscell.engine import ledger

    try:
        doc = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _fail([f"{args.file}: cannot read a JSON export: {exc}"])
    return _report(ledger.verify_document(doc), args.file)


def _report(result, what: str) -> int:
    if result.ok:
        print(f"{what}: intact, {result.count} entries, head {result.head}")
        return 0
    print(f"{what}: NOT intact: {len(result.faults)} fault(s)", file=sys.stderr)
    for fault in result.faults:
        print(f"  {fault.message}", file=sys.stderr)
    return 1


def _messages(exc: Exception) -> list[str]:
    return list(getattr(exc, "messages", None) or [str(exc)])


# --- database, demo and server -------------------------------------------


def cmd_manage(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["crisiscell", *args.rest])
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    # a demo is tried without a phone at hand: the code is asked only of users who enrol
    os.environ.setdefault("CRISISCELL_TWO_FACTOR", "optional")
    _django()
    from crisiscell.web.demo import load_demo

    for line in load_demo(seed=args.seed, sites=args.sites):
        print(line, flush=True)
    if args.no_serve:
        return 0
    return _serve(args.host, args.port, args.threads)


def cmd_serve(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return _serve(args.host, args.port, args.threads)


def _serve(host: str, port: int, threads: int) -> int:
    from waitress import serve

    from crisiscell.kits.schedule import start_thread
    from crisiscell.wsgi import application

    start_thread()  # the downtime kits, made again every CRISISCELL_KIT_EVERY_MINUTES
    print(f"crisiscell: serving on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    serve(application, host=host, port=port, threads=threads, ident="crisiscell")
    return 0


# --- argument parsing ----------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crisiscell", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("impact", help="care impact of a network situation, on a map file")
    s.add_argument("--map", required=True, help="group map: .yaml, .json, .xlsx or a folder of CSV")
    s.add_argument(
        "--host", action="append", default=[], metavar="ID=STATE", help="set a host state"
    )
    s.add_argument("--isolate", action="append", default=[], metavar="ZONE", help="isolate a zone")
    s.add_argument("--block", action="append", default=[], metavar="FROM:TO", help="block a flow")
    s.add_argument(
        "--internet-cut", action="store_true", help="cut every flow to or from the internet"
    )
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=cmd_impact)

    s = sub.add_parser(
        "plan-isolation", help="cuts that stop lateral movement at the least cost to care"
    )
    s.add_argument("--map", required=True, help="group map: .yaml, .json, .xlsx or a folder of CSV")
    s.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="ID=STATE",
        help="a host state (compromised, suspected, …)",
    )
    s.add_argument("--alternatives", type=int, default=1, metavar="N", help="up to N plans")
    s.add_argument(
        "--exposure-weight",
        type=float,
        default=200_000,
        metavar="W",
        help="care cost of leaving one clean server reachable (default 200000)",
    )
    s.add_argument(
        "--suspected-are-clean",
        action="store_true",
        help="treat suspected hosts as clean, not as footholds of the attacker",
    )
    s.add_argument(
        "--two-way",
        action="store_true",
        help="the attacker also goes against the flows' direction (a compromised server "
        "pushes to its clients)",
    )
    s.add_argument("--time-limit", type=float, default=8.0, metavar="SECONDS")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=cmd_plan_isolation)

    s = sub.add_parser(
        "reprogram", help="put the appointments a crisis postpones back into the coming weeks"
    )
    s.add_argument("--map", required=True, help="group map: .yaml, .json, .xlsx or a folder of CSV")
    s.add_argument(
        "--appointments", required=True, help="appointments: .csv, .xlsx, FHIR .json or .ndjson"
    )
    s.add_argument("--today", required=True, metavar="DATE", help="the first crisis day")
    s.add_argument("--crisis-until", required=True, metavar="DATE", help="the last crisis day")
    s.add_argument(
        "--down", action="append", default=[], metavar="SERVICE", help="no capacity in the crisis"
    )
    s.add_argument(
        "--degraded",
        action="append",
        default=[],
        metavar="SERVICE",
        help="its degraded_capacity share in the crisis",
    )
    s.add_argument("--horizon-weeks", type=int, default=8, metavar="N", help="from --today")
    s.add_argument("--notice-days", type=int, default=2, metavar="N")
    s.add_argument(
        "--extra", type=float, default=0.0, metavar="SHARE", help="extra capacity after the crisis"
    )
    s.add_argument("--extra-weeks", type=int, default=6, metavar="N")
    s.add_argument("--surgeons", metavar="FILE.csv", help="surgeons' operating days and minutes")
    s.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS")
    s.add_argument("--out", required=True, metavar="FILE", help="the plan: .csv or .json")
    s.set_defaults(func=cmd_reprogram)

    s = sub.add_parser("demo-map", help="write a realistic, deterministic demo group map")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument(
        "--sites",
        type=int,
        default=None,
        help="number of sites (default: the 16 of the demo group)",
    )
    s.add_argument("--format", choices=["yaml", "json", "xlsx", "csv"], default=None)
    s.add_argument("--out", help="file (or folder for csv); default: standard output")
    s.set_defaults(func=cmd_demo_map)

    s = sub.add_parser(
        "demo-appointments",
        help="write a realistic, deterministic appointment load (CSV or XLSX) for a map",
    )
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--days", type=int, default=14, help="calendar days (default 14)")
    s.add_argument(
        "--from", dest="first_day", metavar="DATE", help="first day, YYYY-MM-DD (default: today)"
    )
    s.add_argument("--map", help="group map file (default: the demo group of --seed, --sites)")
    s.add_argument("--sites", type=int, default=None, help="sites of the demo map")
    s.add_argument("--out", help="FILE.csv or FILE.xlsx; default: CSV on standard output")
    s.set_defaults(func=cmd_demo_appointments)

    s = sub.add_parser("map", help="import or export the group map of the database")
    msub = s.add_subparsers(dest="map_command", required=True, metavar="ACTION")
    m = msub.add_parser(
        "import", help="import (or update) the group map from a file, all or nothing"
    )
    m.add_argument("file", help=".yaml, .yml, .json, .xlsx, or a folder of CSV files")
    m.set_defaults(func=cmd_map_import)
    m = msub.add_parser("export", help="export the group map")
    m.add_argument("--format", choices=["yaml", "json", "xlsx", "csv"], default="yaml")
    m.add_argument("--out", help="file (folder for csv); default: standard output")
    m.set_defaults(func=cmd_map_export)

    s = sub.add_parser("directory", help="import or export the crisis directory (phone book)")
    dsub = s.add_subparsers(dest="directory_command", required=True, metavar="ACTION")
    d = dsub.add_parser("import", help="import contacts from a CSV file, all or nothing")
    d.add_argument("file", metavar="FILE.csv", help="UTF-8, separated by ; or ,")
    d.add_argument(
        "--replace", action="store_true", help="also delete the contacts the file does not name"
    )
    d.set_defaults(func=cmd_directory_import)
    d = dsub.add_parser("export", help="export the directory as a CSV file")
    d.add_argument("--out", required=True, metavar="FILE.csv")
    d.set_defaults(func=cmd_directory_export)

    s = sub.add_parser("crisis", help="open a crisis")
    csub = s.add_subparsers(dest="crisis_command", required=True, metavar="ACTION")
    c = csub.add_parser(
        "open", help="open a crisis (prints its id); one crisis is active at a time"
    )
    c.add_argument("--title", required=True)
    c.add_argument("--author", metavar="USERNAME", help="who opens it (default: the system)")
    c.set_defaults(func=cmd_crisis_open)

    s = sub.add_parser("log", help="the crisis log (main courante): add, verify, export")
    lsub = s.add_subparsers(dest="log_command", required=True, metavar="ACTION")
    c = lsub.add_parser("add", help="append an entry (to the active crisis by default)")
    c.add_argument("--crisis", type=int, metavar="ID")
    c.add_argument("--kind", required=True, help="event, decision, action, message_in, …")
    c.add_argument("--text", required=True)
    c.add_argument("--author", metavar="USERNAME", help="who writes it (default: the system)")
    c.add_argument("--link", action="append", default=[], metavar="TYPE:ID", help="site:ARL, …")
    c.set_defaults(func=cmd_log_add)
    c = lsub.add_parser("verify", help="check the chain in the database (exit 1 if not intact)")
    c.add_argument("--crisis", type=int, metavar="ID")
    c.set_defaults(func=cmd_log_verify)
    c = lsub.add_parser("export", help="export the log as JSON with its chain head")
    c.add_argument("--crisis", type=int, metavar="ID")
    c.add_argument(
        "--out", required=True, metavar="FILE.json", help="FILE.pdf: the printable log instead"
    )
    c.add_argument("--language", choices=["fr", "en"], default="fr", help="of the PDF")
    c.set_defaults(func=cmd_log_export)
    c = lsub.add_parser("verify-file", help="check an exported log, with no database")
    c.add_argument("file", metavar="FILE.json")
    c.set_defaults(func=cmd_log_verify_file)

    from crisiscell.cli_accounts import add_parsers as account_parsers

    account_parsers(sub, _django)

    from crisiscell.cli_kits import add_parsers as kits_parsers

    kits_parsers(sub, _django)

    s = sub.add_parser("demo", help="load the demo group into the database, then serve it")
    s.add_argument("--no-serve", action="store_true", help="load only")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--sites", type=int, default=None)
    _server_args(s)
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("serve", help="serve the web interface with waitress")
    _server_args(s)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser(
        "manage", help="run a Django management command (migrate, createsuperuser, …)"
    )
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_manage)
    return p


def _server_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--threads", type=int, default=8)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
