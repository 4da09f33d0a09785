"""The command contract, run as a user would: a real subprocess, a map file, no database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.engine.test_groupmap import DOC


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crisiscell.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def map_file(tmp_path: Path) -> Path:
    path = tmp_path / "group.yaml"
    path.write_text(yaml.safe_dump(DOC, allow_unicode=True), encoding="utf-8")
    return path


def test_impact_json_contract(map_file):
    r = run("impact", "--map", str(map_file), "--host", "srv-pacs-01=compromised", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"services", "applications"}
    rad = out["services"]["ARL-RAD"]
    assert rad["status"] == "degraded"
    assert any("srv-pacs-01" in reason for reason in rad["reasons"])
    assert out["applications"]["PACS"] == {"available_from": []}
    assert out["applications"]["AD"] == {"available_from": ["ARL-WS", "DC-SRV"]}


def test_impact_isolate_block_and_internet_cut(map_file):
    r = run(
        "impact", "--map", str(map_file), "--block", "ARL-WS:DC-SRV", "--internet-cut", "--json"
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["services"]["ARL-RAD"]["status"] == "degraded"
    assert out["applications"]["PACS"]["available_from"] == ["DC-SRV"]
    r = run("impact", "--map", str(map_file), "--isolate", "ARL-WS", "--json")
    assert json.loads(r.stdout)["services"]["ARL-RAD"]["status"] == "degraded"
    r = run("impact", "--map", str(map_file), "--json")
    assert json.loads(r.stdout)["services"]["ARL-RAD"] == {"status": "normal", "reasons": []}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--host", "srv-pac-01=compromised"], "srv-pac-01"),
        (["--host", "srv-pacs-01=burnt"], "burnt"),
        (["--host", "srv-pacs-01"], "expected HOST=STATE"),
        (["--isolate", "ARL-W"], "ARL-W"),
        (["--block", "ARL-WS:NOWHERE"], "NOWHERE"),
        (["--block", "ARL-WS"], "expected FROM:TO"),
    ],
)
def test_impact_unknown_ids_exit_2(map_file, args, message):
    r = run("impact", "--map", str(map_file), *args, "--json")
    assert r.returncode == 2
    assert message in r.stderr
    assert r.stdout == ""


def test_impact_bad_map_exits_2_with_every_error(tmp_path):
    bad = dict(DOC, hosts=[{"id": "srv-ad-01", "zone": "NOWHERE", "role": "server"}])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    r = run("impact", "--map", str(path), "--json")
    assert r.returncode == 2
    assert "hosts[0].zone: unknown zone 'NOWHERE'" in r.stderr
    assert "unknown host 'srv-pacs-01'" in r.stderr
    assert "Traceback" not in r.stderr


def test_impact_missing_file_exits_2(tmp_path):
    r = run("impact", "--map", str(tmp_path / "absent.yaml"), "--json")
    assert r.returncode == 2
    assert "absent.yaml" in r.stderr
    assert "Traceback" not in r.stderr


def test_demo_map_is_deterministic_and_feeds_impact(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert run("demo-map", "--seed", "7", "--out", str(a)).returncode == 0
    assert run("demo-map", "--seed", "7", "--out", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()
    r = run("impact", "--map", str(a), "--internet-cut", "--json")
    assert r.returncode == 0, r.stderr
    statuses = {s["status"] for s in json.loads(r.stdout)["services"].values()}
    assert statuses <= {"normal", "degraded", "down"}
