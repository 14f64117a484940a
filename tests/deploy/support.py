"""Deployment tests' helpers: `chaindeck` as a user runs it, local clusters in the test's own
data dir, and transfers flowing through a cluster while it changes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.leftovers import kill_nodes_under


def chaindeck(
    *args: str, data_dir: Path, timeout: float = 300, node_options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    extra = ["--", *node_options] if node_options else []
    return subprocess.run(
        [sys.executable, "-m", "app", *args, "--data-dir", str(data_dir), *extra],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def cluster_nodes(data_dir: Path, name: str) -> list[dict[str, Any]]:
    shown = chaindeck("cluster", "status", name, "--json", data_dir=data_dir)
    return list(json.loads(shown.stdout)["nodes"])


@contextmanager
def local_cluster(
    data_dir: Path, name: str, followers: int, *node_options: str
) -> Iterator[list[dict[str, Any]]]:
    """A cluster up for the test, down (and nothing left) after it."""
    up = chaindeck(
        "cluster",
        "up",
        name,
        "--followers",
        str(followers),
        "--json",
        data_dir=data_dir,
        node_options=node_options,
    )
    assert up.returncode == 0, up.stderr
    try:
        yield list(json.loads(up.stdout)["nodes"])
    finally:
        chaindeck("cluster", "down", name, data_dir=data_dir)
        assert kill_nodes_under(data_dir) == []


def write_plan(folder: Path, text: str) -> Path:
    path = folder / "plan.toml"
    path.write_text(text)
    return path


def operator(data_dir: Path, cluster: str) -> tuple[str, str]:
    user, password = (data_dir / "clusters" / cluster / "operator").read_text().strip().split(":")
    return user, password


class Transfers:
    """Operator transfers sent round-robin to every node while something happens; remembers
    each one a node accepted (201)."""

    def __init__(self, urls: list[str], credentials: tuple[str, str]) -> None:
        self.urls = urls
        self.credentials = credentials
        self.accepted: list[str] = []
        self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send, daemon=True)

    def __enter__(self) -> Transfers:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _token(self, client: httpx.Client, url: str) -> str | None:
        user, password = self.credentials
        try:
            answer = client.post(
                f"{url}/api/v1/auth/login", json={"username": user, "password": password}
            )
        except httpx.HTTPError:
            return None
        return answer.json()["token"] if answer.status_code == 200 else None

    def _send(self) -> None:
        tokens: dict[str, str | None] = {}
        with httpx.Client(timeout=5.0) as client:
            i = 0
            while not self._stop.is_set():
                url = self.urls[i % len(self.urls)]
                i += 1
                token = tokens.get(url) or self._token(client, url)
                tokens[url] = token
                try:
                    answer = client.post(
                        f"{url}/api/v1/transactions",
                        json={"from": "wallet1", "to": "wallet2", "amount": 0.001},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError:
                    answer = None
                if answer is not None and answer.status_code == 201:
                    self.accepted.append(answer.json()["hash"])
                else:
                    self.refused += 1
                    tokens[url] = None  # a restarted node signs tokens anew
                    time.sleep(0.05)
                time.sleep(0.02)

    def unconfirmed(self, url: str, timeout: float = 30.0) -> list[str]:
        """The accepted transfers `url` does not have confirmed within `timeout`."""
        deadline = time.monotonic() + timeout
        waiting = list(self.accepted)
        with httpx.Client(base_url=url, timeout=5.0) as client:
            while waiting and time.monotonic() < deadline:
                waiting = [
                    h
                    for h in waiting
                    if client.get(f"/api/v1/transactions/{h}").json().get("status") != "confirmed"
                ]
                if waiting:
                    time.sleep(0.5)
        return waiting
