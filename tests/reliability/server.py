"""A real crisiscell server in its own process, on its own database, for the reliability
tests: started with the `crisiscell serve` command a hospital would run, talked to over
real HTTP, and killed for real."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "crisiscell.cli"]

SETUP = """
import django, json
django.setup()
from django.contrib.auth import get_user_model
from crisiscell.api.models import ApiToken
from crisiscell.crisis.actions import open_crisis
from crisiscell.crisis.roles import ensure_roles
roles = ensure_roles()
user = get_user_model().objects.create_user("writer-bot")
user.groups.add(roles["crisis_director"])
_row, token = ApiToken.issue(user, "reliability test")
crisis = open_crisis(user, "Reliability test")
print(json.dumps({"token": token, "crisis": crisis.pk}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def scratch_database(tmp_path: Path):
    """A database of its own, of the kind the suite runs on (SQLite file or PostgreSQL)."""
    configured = os.environ.get("CRISISCELL_DATABASE_URL", "")
    if configured.startswith(("postgres:", "postgresql:")):
        import psycopg

        cfg = dj_database_url.parse(configured)
        name = f"crisiscell_reliability_{uuid.uuid4().hex[:10]}"
        admin = dict(
            host=cfg["HOST"] or "127.0.0.1",
            port=cfg["PORT"] or 5432,
            user=cfg["USER"] or "postgres",
            password=cfg["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        )
        with psycopg.connect(**admin) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = configured.rsplit("/", 1)[0] + "/" + name
        try:
            yield url
        finally:
            with psycopg.connect(**admin) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path / 'crisiscell.db'}"


class Server:
    def __init__(self, url: str, data_dir: Path):
        self.env = dict(
            os.environ,
            CRISISCELL_DATABASE_URL=url,
            CRISISCELL_DATA_DIR=str(data_dir),
            CRISISCELL_SECRET_KEY=secrets.token_urlsafe(40),
            CRISISCELL_TWO_FACTOR="required",
            DJANGO_SETTINGS_MODULE="crisiscell.settings",
        )
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = data_dir / "server.log"

    def prepare(self) -> dict:
        """Migrate, make a writer with a token, open a crisis."""
        subprocess.run([*CLI, "manage", "migrate", "-v", "0"], env=self.env, check=True)
        out = subprocess.run(
            [sys.executable, "-c", SETUP], env=self.env, check=True, capture_output=True, text=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    def start(self, threads: int = 8) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [*CLI, "serve", "--port", str(self.port), "--threads", str(threads)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                status, _ = self.request("GET", "/health")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start in 60 s")

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no shutdown handler, no flush, nothing
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, method, path, body=None, token=None, conn=None):
        own = conn is None
        conn = conn or self.connection()
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, (json.loads(data) if data and data[:1] in b"[{" else data)
        finally:
            if own:
                conn.close()

    def log_entries(self, token: str, crisis: int) -> list[dict]:
        entries, after = [], 0
        while True:
            status, page = self.request(
                "GET", f"/api/crises/{crisis}/log?after={after}&limit=5000", token=token
            )
            assert status == 200, page
            if not page["entries"]:
                return entries
            entries += page["entries"]
            after = page["entries"][-1]["seq"]

    def verify(self, crisis: int) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*CLI, "log", "verify", "--crisis", str(crisis)],
            env=self.env,
            capture_output=True,
            text=True,
        )
