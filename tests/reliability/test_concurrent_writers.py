"""Twenty people write in the main courante at once for 30 s, through a real server:
no error, no entry lost or written twice, and the chain verifies.

Then the server is killed (SIGKILL) while people write: every entry it acknowledged is
there after the restart, and the chain still verifies.

CRISISCELL_TEST_WRITE_SECONDS shortens the run for a quick local check.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from collections import Counter

import pytest

from .server import Server, scratch_database

WRITERS = 20
SECONDS = float(os.environ.get("CRISISCELL_TEST_WRITE_SECONDS", "30"))


class Writer(threading.Thread):
    """Appends entries one after the other on one keep-alive connection until told to stop."""

    def __init__(self, server: Server, token: str, crisis: int, n: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.server, self.token, self.crisis, self.n, self.stop = server, token, crisis, n, stop
        self.acknowledged: list[dict] = []
        self.errors: list[str] = []
        self.broken = False

    def run(self) -> None:
        conn = self.server.connection()
        i = 0
        while not self.stop.is_set():
            text = f"writer {self.n:02d} entry {i:05d}"
            try:
                status, body = self.server.request(
                    "POST",
                    f"/api/crises/{self.crisis}/log",
                    {"kind": "event", "text": text, "links": [f"host:w{self.n}"]},
                    token=self.token,
                    conn=conn,
                )
            except (OSError, http.client.HTTPException) as exc:  # the server went away
                self.errors.append(f"{text}: {exc!r}")
                self.broken = True
                return
            if status == 201 and body["text"] == text:
                self.acknowledged.append(body)
            else:
                self.errors.append(f"{text}: {status} {body!r}"[:300])
            i += 1
        conn.close()


def run_writers(server, token, crisis, seconds, stop_early=None):
    stop = threading.Event()
    writers = [Writer(server, token, crisis, n, stop) for n in range(WRITERS)]
    for w in writers:
        w.start()
    if stop_early:
        stop_early()
    else:
        time.sleep(seconds)
    stop.set()
    for w in writers:
        w.join(120)
    return writers


@pytest.fixture
def server(tmp_path):
    with scratch_database(tmp_path) as url:
        srv = Server(url, tmp_path)
        setup = srv.prepare()
        srv.start()
        try:
            yield srv, setup["token"], setup["crisis"]
        finally:
            srv.stop()


def test_twenty_writers_lose_nothing(server):
    srv, token, crisis = server
    writers = run_writers(srv, token, crisis, SECONDS)
    errors = [e for w in writers for e in w.errors]
    assert not errors, errors[:10]
    acknowledged = [a for w in writers for a in w.acknowledged]
    assert len(acknowledged) > WRITERS  # every writer got through, more than once

    stored = srv.log_entries(token, crisis)
    texts = Counter(e["text"] for e in stored if e["text"].startswith("writer "))
    assert all(n == 1 for n in texts.values()), [t for t, n in texts.items() if n > 1][:5]
    assert set(texts) == {a["text"] for a in acknowledged}
    by_seq = {e["seq"]: e for e in stored}
    for a in acknowledged:  # what the server answered is what it kept
        assert by_seq[a["seq"]]["hash"] == a["hash"]
    assert [e["seq"] for e in stored] == list(range(1, len(stored) + 1))

    check = srv.verify(crisis)
    assert check.returncode == 0, check.stderr
    assert f"intact, {len(stored)} entries" in check.stdout
    print(f"{len(acknowledged)} entries by {WRITERS} writers in {SECONDS:.0f} s")


def test_a_killed_server_keeps_every_acknowledged_entry(server):
    srv, token, crisis = server

    def kill_midway():
        time.sleep(min(SECONDS, 30) / 3)
        srv.kill()

    writers = run_writers(srv, token, crisis, 0, stop_early=kill_midway)
    assert any(w.broken for w in writers)  # the kill did land while they wrote
    acknowledged = [a for w in writers for a in w.acknowledged]
    assert acknowledged

    srv.start()  # the restart a hospital would do
    stored = srv.log_entries(token, crisis)
    by_seq = {e["seq"]: e for e in stored}
    missing = [a["text"] for a in acknowledged if by_seq.get(a["seq"], {}).get("hash") != a["hash"]]
    assert not missing, missing[:10]
    texts = Counter(e["text"] for e in stored)
    assert all(n == 1 for n in texts.values())
    check = srv.verify(crisis)
    assert check.returncode == 0, check.stderr
    # the restarted server goes on appending to the same chain
    status, body = srv.request(
        "POST", f"/api/crises/{crisis}/log", {"kind": "event", "text": "after restart"}, token
    )
    assert status == 201 and body["seq"] == len(stored) + 1
    assert srv.verify(crisis).returncode == 0
