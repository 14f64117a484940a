"""A node's data dir is its own (node-api.md, "Limits and safety"): locked, private, its token
secret whole, a full disk told as such, and a clean stop when its whole process group is told to
stop. Real node processes; a real tmpfs for the full disk where this machine lets us mount one."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.node_process import OPERATOR, NodeProcess
from tests.integration.test_node_command import run_cli


def _refusal(*args: str) -> subprocess.CompletedProcess[str]:
    done = run_cli("node", "--port", "0", "--operator", ":".join(OPERATOR), *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_a_second_node_on_a_data_dir_exits_2_naming_the_first(tmp_path: Path) -> None:
    with NodeProcess(tmp_path / "d") as first:
        done = _refusal("--data-dir", str(tmp_path / "d"))
        assert f"in use by pid {first.pid}" in done.stderr
        # The first is untouched: it still answers and writes.
        headers = {"Authorization": f"Bearer {first.token()}"}
        with first.client(headers=headers) as client:
            mined = client.post("/api/v1/mine", json={"blocks": 1})
            assert mined.status_code == 200, mined.text
    # A node killed with -9 leaves no lock behind: the kernel drops it.
    crashed = NodeProcess(tmp_path / "d").start()
    crashed.kill()
    NodeProcess(tmp_path / "d").start().stop()


def test_the_data_dir_and_every_file_in_it_become_the_owners_alone(tmp_path: Path) -> None:
    data = tmp_path / "d"
    NodeProcess(data).start().stop()
    # As an app or an older version may have left it: readable by everyone.
    data.chmod(0o755)
    for path in data.iterdir():
        path.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        node = NodeProcess(data).start()
    finally:
        os.umask(old_umask)
    try:
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
        assert {"chain.sqlite3", "chain.sqlite3-wal", "token-secret"} <= set(files)
        assert set(files.values()) == {0o600}, files
    finally:
        node.stop()


@pytest.mark.parametrize("content", [b"", b"ab", b"00" * 31, b"zz" * 32, b"00" * 33])
def test_a_token_secret_that_is_not_32_bytes_refuses_to_start(
    tmp_path: Path, content: bytes
) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "token-secret").write_bytes(content)
    done = _refusal("--data-dir", str(data))
    assert "token-secret" in done.stderr and "32 bytes" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def _hs256(claims: dict, key: bytes) -> str:
    """An HS256 token by hand: PyJWT itself no longer signs with an empty key."""

    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    head = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = part(json.dumps(claims).encode())
    signature = part(hmac.new(key, head + b"." + body, hashlib.sha256).digest())
    return (head + b"." + body + b"." + signature).decode()


def test_a_token_signed_with_a_short_key_is_refused(tmp_path: Path) -> None:
    with NodeProcess(tmp_path / "d") as node, node.client() as client:
        now = int(time.time())
        claims = {"sub": OPERATOR[0], "iat": now, "exp": now + 600}
        for key in (b"", b"x"):
            forged = _hs256(claims, key)
            answer = client.post(
                "/api/v1/mine", json={"blocks": 1}, headers={"Authorization": f"Bearer {forged}"}
            )
            assert answer.status_code == 401, answer.text
        assert client.get("/api/v1/network/status").json()["blockHeight"] == 0


def test_sigterm_to_the_whole_process_group_is_a_clean_stop(tmp_path: Path) -> None:
    """What systemctl stop, timeout and kill -- -PGID do: the helpers get the signal too."""
    node = NodeProcess(tmp_path / "d").start()
    assert node.proc is not None
    os.killpg(node.pid, signal.SIGTERM)
    code = node.proc.wait(30)
    node.stop()
    log = node.stderr_text()
    assert code == 0, log
    assert "CRITICAL" not in log and "Traceback" not in log, log
    # And the chain opens again as it was left.
    NodeProcess(tmp_path / "d").start().stop()


# --- a full disk --------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 6 MiB tmpfs, mounted for this test alone."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root on Linux")
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m,mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path, leave: int = 0) -> Path:
    """Fill `disk` to within `leave` bytes; returns the filler to delete later."""
    filler = disk / f"filler-{uuid.uuid4().hex}"
    with open(filler, "wb") as out:
        chunk = b"\0" * 65536
        with contextlib.suppress(OSError):
            while True:
                free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
                if free <= leave:
                    break
                out.write(chunk[: max(1, min(len(chunk), free - leave))])
                out.flush()
    return filler


def _health(url: str) -> tuple[int, dict]:
    answer = httpx.get(url + "/health", timeout=10)
    return answer.status_code, answer.json()


def test_a_full_disk_shows_on_health_and_the_node_recovers_by_itself(small_disk: Path) -> None:
    node = NodeProcess(small_disk / "d").start()
    try:
        headers = {"Authorization": f"Bearer {node.token()}"}
        with node.client(headers=headers) as client:
            filler = _fill(small_disk)
            refused = None
            for n in range(400):  # each write grows the WAL: it soon finds the disk full
                answer = client.post(
                    "/api/v1/transactions",
                    json={"from": "wallet1", "to": "wallet2", "amount": 1, "description": "x" * n},
                )
                if answer.status_code != 201:
                    refused = answer
                    break
            assert refused is not None and refused.status_code == 503, "the disk never filled"
            assert refused.json()["error"] == "storage_failed"
            code, body = _health(node.url)
            assert (code, body["error"]) == (503, "storage_failed")
            assert "disk is full" in body["message"]

            filler.unlink()
            deadline = time.monotonic() + 20
            while _health(node.url)[0] != 200:  # nobody writes: the node finds out by itself
                assert time.monotonic() < deadline, _health(node.url)
                time.sleep(0.2)
            again = client.post(
                "/api/v1/transactions", json={"from": "wallet1", "to": "wallet2", "amount": 1}
            )
            assert again.status_code == 201, again.text
    finally:
        node.stop()
    assert "Traceback" not in node.stderr_text()


@pytest.mark.parametrize("leave", [0, 40_000, 100_000])
def test_a_first_start_on_a_full_disk_says_so_and_the_next_start_works(
    small_disk: Path, leave: int
) -> None:
    data = small_disk / "d"
    filler = _fill(small_disk, leave)
    node = NodeProcess(data)
    try:
        node.start()
    except RuntimeError as exc:
        message = str(exc)
    else:
        node.stop()
        pytest.fail(f"a new chain fitted in {leave} bytes: leave less for this test")
    assert message.startswith("node exited (2)"), message
    assert "Traceback" not in message and "damaged" not in message, message
    assert "disk is full" in message, message
    filler.unlink()
    NodeProcess(data).start().stop()
