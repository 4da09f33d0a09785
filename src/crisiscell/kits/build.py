"""Making the kits: gather each unit's content, lay it out (Typst), encrypt the ones naming a
patient under their site's password (AES-256), and write them to every export folder with a
`manifest.json` (time, SHA-256 of each file).

Nothing is half-written: each file goes to a temporary name in its folder and is renamed
over the old one only once complete, and the manifest is renamed into place last, so a PC
syncing a folder sees the old kit or the new one, never a torn file. A PDF naming a patient
is never written unencrypted: encryption happens in memory, before any write.

Layout and encryption run on a pool of threads (Typst and qpdf work outside Python's lock).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crisiscell.documents import render_pdf
from crisiscell.documents.protect import new_password, protect
from crisiscell.engine.kit_content import KitContent
from crisiscell.inventory.group_time import group_timezone
from crisiscell.inventory.snapshot import load_map

from . import document, gather
from .models import Kit, SitePassword

MANIFEST = "manifest.json"


class KitError(ValueError):
    """The request cannot be built (unknown site or unit, folder not writable)."""


@dataclass(frozen=True)
class Made:
    """One kit, laid out and maybe encrypted (``data``: emptied once written to disk)."""

    site: str
    unit: str
    path: str  # relative: <site>/<site>_<unit>.pdf
    data: bytes
    sha256: str
    size: int
    pages: int
    encrypted: bool
    patients: int
    appointments: int
    layout_s: float
    protect_s: float


@dataclass
class Result:
    generated_at: datetime
    made: list[Made] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return sum(m.pages for m in self.made)


def _safe(code: str) -> str:
    """A site or unit code as a file name: letters, digits, - and _ only."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in code) or "_"


def relative_path(site: str, unit: str) -> str:
    return f"{_safe(site)}/{_safe(site)}_{_safe(unit)}.pdf"


def site_passwords(sites: Iterable[str], user=None) -> dict[str, str]:
    """Each site's kit password, made on first use (then printed for the sealed envelope)."""
    out = {}
    for site in sorted(set(sites)):
        row, _created = SitePassword.objects.get_or_create(
            site=site,
            defaults={"password": new_password(), "created_at": timezone.now(), "created_by": user},
        )
        out[site] = row.password
    return out


def _make(kit: KitContent, lang: str, tz: tzinfo, password: str | None) -> Made:
    t0 = time.perf_counter()
    pdf = render_pdf("kit", document.document(kit, lang=lang, tz=tz), tagged=False)
    t1 = time.perf_counter()
    out, pages = protect(pdf, password)
    t2 = time.perf_counter()
    return Made(
        site=kit.site_id,
        unit=kit.unit_id,
        path=relative_path(kit.site_id, kit.unit_id),
        data=out,
        sha256=hashlib.sha256(out).hexdigest(),
        size=len(out),
        pages=pages,
        encrypted=password is not None,
        patients=len(kit.patients),
        appointments=len(kit.schedule),
        layout_s=t1 - t0,
        protect_s=t2 - t1,
    )


def iter_make(
    kits: list[KitContent],
    passwords: dict[str, str],
    *,
    lang: str = "fr",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Made]:
    """Lay out and protect every kit, in order, a few at a time (a region's kits are never
    all in memory at once); a kit naming a patient must have its site's password."""
    tz = group_timezone()  # read here: the worker threads do not touch the database
    jobs = []
    for kit in kits:
        password = None
        if kit.holds_patient_data:
            password = passwords[kit.site_id]  # KeyError rather than a PDF in clear
        jobs.append((kit, lang, tz, password))
    pool = ThreadPoolExecutor(max_workers=workers or min(2, os.cpu_count() or 1))
    try:
        for n, m in enumerate(pool.map(lambda job: _make(*job), jobs), start=1):
            if progress:
                progress(n, len(jobs))
            yield m
    finally:  # a failure stops the round: the kits not started are not made
        pool.shutdown(wait=True, cancel_futures=True)


def make(kits: list[KitContent], passwords: dict[str, str], **options) -> list[Made]:
    """Every kit, laid out and protected (`iter_make`), in memory."""
    return list(iter_make(kits, passwords, **options))


def _stage(path: Path, data: bytes) -> Path:
    """``data`` written and synced under a temporary name next to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = _stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _old_entries(folder: Path) -> list[dict]:
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return [e for e in doc["files"] if isinstance(e, dict) and "path" in e]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def write_manifest(folder: Path, made: list[Made], generated_at: datetime) -> dict:
    """Write ``folder``'s manifest, last (entries of kits not rebuilt this time are kept
    while their file is still there). Returns the manifest."""
    rebuilt = {m.path for m in made}
    entries = [
        e
        for e in _old_entries(folder)
        if e["path"] not in rebuilt and (folder / e["path"]).is_file()
    ]
    entries += [
        {
            "path": m.path,
            "sha256": m.sha256,
            "site": m.site,
            "unit": m.unit,
            "encrypted": m.encrypted,
            "generated_at": generated_at.isoformat(),
            "pages": m.pages,
            "bytes": m.size,
        }
        for m in made
    ]
    entries.sort(key=lambda e: e["path"])
    manifest = {"generated_at": generated_at.isoformat(), "files": entries}
    _write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False).encode())
    return manifest


def _write_all(folders: list[Path], made: Iterable[Made], generated_at: datetime) -> list[Made]:
    """Stage every kit in every folder as it is made, then put them all in place, then the
    manifests: a failure on the way leaves the folders as they were (temporary files
    removed). The kits come back without their bytes."""
    staged: list[tuple[Path, Path]] = []
    done: list[Made] = []
    try:
        for m in made:
            for folder in folders:
                staged.append((_stage(folder / m.path, m.data), folder / m.path))
            done.append(replace(m, data=b""))
        for tmp, final in staged:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _final in staged:
            tmp.unlink(missing_ok=True)
        raise
    for folder in folders:
        write_manifest(folder, done, generated_at)
    return done


def check_choice(gm, sites: Collection[str] | None, units: Collection[str] | None) -> None:
    """KitError naming every site and care service chosen that the map does not have."""
    errors = []
    known_sites = {s.id for s in gm.sites}
    known_units = {s.id for s in gm.services}
    for s in sorted(set(sites or ()) - known_sites):
        errors.append(_("Unknown site: %(id)s.") % {"id": s})
    for u in sorted(set(units or ()) - known_units):
        errors.append(_("Unknown care service: %(id)s.") % {"id": u})
    if errors:
        raise KitError(" ".join(errors))


def build(
    folders: Iterable[Path],
    *,
    sites: Collection[str] | None = None,
    units: Collection[str] | None = None,
    now: datetime | None = None,
    lang: str = "fr",
    user=None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Make the kits of ``sites`` (all by default; or only ``units``) and write them to every
    folder of ``folders``; record what was written. Raises KitError for an unknown site or
    unit, or a folder that cannot be written (nothing is recorded then)."""
    t0 = time.perf_counter()
    gm = load_map()
    check_choice(gm, sites, units)
    now = now or timezone.now()
    result = Result(generated_at=now, folders=[Path(f) for f in folders])
    kits = gather.kits(gm, now, sites=sites, units=units, lang=lang)
    result.timings["gather"] = time.perf_counter() - t0
    passwords = site_passwords((k.site_id for k in kits if k.holds_patient_data), user)
    t1 = time.perf_counter()
    made = iter_make(kits, passwords, lang=lang, workers=workers, progress=progress)
    try:
        result.made = _write_all(result.folders, made, now)
    except OSError as exc:
        raise KitError(
            _("Cannot write the kits to %(folder)s: %(error)s")
            % {
                "folder": exc.filename or ", ".join(map(str, result.folders)),
                "error": exc.strerror or exc,
            }
        ) from exc
    result.timings["make_and_write"] = time.perf_counter() - t1
    result.timings["layout"] = sum(m.layout_s for m in result.made)
    result.timings["encryption"] = sum(m.protect_s for m in result.made)
    _record(result)
    result.timings["total"] = time.perf_counter() - t0
    return result


def _record(result: Result) -> None:
    with transaction.atomic():
        for m in result.made:
            Kit.objects.update_or_create(
                site=m.site,
                unit=m.unit,
                defaults={
                    "path": m.path,
                    "generated_at": result.generated_at,
                    "sha256": m.sha256,
                    "size": m.size,
                    "pages": m.pages,
                    "encrypted": m.encrypted,
                    "patients": m.patients,
                    "appointments": m.appointments,
                },
            )
