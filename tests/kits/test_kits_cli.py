"""`crisiscell kits …` as a user runs it: build after `crisiscell demo --no-serve` (real
subprocesses, their own database), and bad input exiting 2 with the errors on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from crisiscell import cli

from .test_kits_build import CENSUS


def crisiscell(*args: str, data: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CRISISCELL_DATABASE_URL"}
    env["CRISISCELL_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "crisiscell.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_kits_build_on_the_demo_group(tmp_path):
    data, out = tmp_path / "data", tmp_path / "kits"
    demo = crisiscell("demo", "--no-serve", data=data)
    assert demo.returncode == 0, demo.stderr
    assert "demo census loaded" in demo.stdout
    built = crisiscell("kits", "build", "--site", "VIR", "--out", str(out), data=data)
    assert built.returncode == 0, built.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["generated_at"] and manifest["files"]
    assert {e["site"] for e in manifest["files"]} == {"VIR"}
    encrypted = [e for e in manifest["files"] if e["encrypted"]]
    assert encrypted  # the demo census has patients at Virton
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(out / encrypted[0]["path"])
    sheet = crisiscell(
        "kits", "passwords", "--site", "VIR", "--out", str(tmp_path / "p.pdf"), data=data
    )
    assert sheet.returncode == 0, sheet.stderr
    bad = crisiscell("kits", "build", "--site", "NOPE", "--out", str(out), data=data)
    assert bad.returncode == 2 and "NOPE" in bad.stderr


@pytest.mark.django_db
def test_bad_census_files_exit_2_naming_the_lines(tmp_path, capsys):
    from tests.web.conftest import DOC, import_doc

    import_doc(DOC)
    good = tmp_path / "census.csv"
    good.write_text(CENSUS, encoding="utf-8")
    assert cli.main(["kits", "census", str(good)]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(CENSUS + "IP-3,X,NOWHERE,1,,1990-01-01,F,,,\n", encoding="utf-8")
    assert cli.main(["kits", "census", str(bad)]) == 2
    assert "line 4" in capsys.readouterr().err
    assert cli.main(["kits", "census", str(tmp_path / "missing.csv")]) == 2
    assert cli.main(["kits", "watch", "--every", "0"]) == 2
