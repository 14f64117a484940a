"""Running the bundled suites against a chain someone works on does not quietly change their
wallets: one labelled purse funds every throwaway account, wallets the run makes carry its label,
and what the purse has left goes back to the wallet it came from."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.helpers.node_process import NodeProcess
from tests.runs.test_test_command import chaindeck_test

PURSE_COINS = 100
PURSE = re.compile(
    r"test-run-\d{8}-\d{6}-[0-9a-f]{4}"
)  # the run's own label; its wallets add to it


def wallets(node: NodeProcess) -> dict[str, dict[str, Any]]:
    with node.client() as client:
        token = client.post(
            "/api/v1/auth/login", json={"username": node.operator[0], "password": node.operator[1]}
        ).json()["token"]
        listed = client.get("/api/v1/wallets", headers={"Authorization": f"Bearer {token}"})
    return {w["label"]: w for w in listed.json()}


def test_a_run_writes_only_through_its_labelled_purse() -> None:
    node = NodeProcess(None).start()
    try:
        before = wallets(node)
        done = chaindeck_test(node.url, "--suite", "conformance", "--suite", "e2e")
        assert done.returncode == 0, done.stdout + done.stderr
        deadline = time.monotonic() + 30
        after = wallets(node)
        made = sorted(set(after) - set(before))
        purse = [label for label in made if PURSE.fullmatch(label)]
        assert len(purse) == 1, made
        while time.monotonic() < deadline and any(after[p]["balance"] > 0 for p in purse):
            time.sleep(0.2)  # the purse's return is confirmed in the next block
            after = wallets(node)
        assert made and all(label.startswith("test-run-") for label in made), made
        assert all(after[p]["balance"] == 0 for p in purse), [after[p] for p in purse]
        changed = [label for label in before if after[label]["balance"] != before[label]["balance"]]
        assert len(changed) == 1, changed  # the richest wallet, which funded the purse
        spent = before[changed[0]]["balance"] - after[changed[0]]["balance"]
        assert 0 < spent < PURSE_COINS  # what the tests spent and the fees; the rest came back
    finally:
        node.kill()
