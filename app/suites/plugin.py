"""The pytest plugin behind every ChainDeck test run (`pytest -p app.suites.plugin`).

Fixtures every suite receives, the bundled ones and a user's own folders alike:

- `target`: `Target(url, kind, username, password)`; `kind` is "native" or "ethereum".
- `http`: an `httpx.Client` on the target's URL (10 s timeouts).
- `node`: `NodeApi` for a ChainDeck node: `get`/`post`, `chain_id`, `operator_headers()`,
  `fund(address, coins)`, `wait_confirmed(hash)`, `mine()`, `run_label`.

What a run writes to the chain it tests (the Tests tab says so before it starts): one transfer
of PURSE_COINS from the node's richest managed wallet to a managed wallet labelled with the
run's label (`test-run-…`), the "purse" that funds every throwaway account the tests make;
wallets the tests create carry the same label; at the end the purse's remainder goes back to
the wallet it came from, so the user's wallets lose only what the tests spent and the fees.
- `eth`: `EthRpc` for an Ethereum node: `eth.call("eth_blockNumber")`.

Tests marked `native` are not applicable to an Ethereum target and the other way round for
`ethereum`; they are skipped with that reason. Tests that need the operator are skipped when
the run has no credentials.

Options: `--chaindeck-target URL`, `--chaindeck-kind native|ethereum`; credentials come from
the environment (`CHAINDECK_TARGET_USER`, `CHAINDECK_TARGET_PASSWORD`) so they never show in a
process list. With `--chaindeck-events-fd N` the plugin writes one JSON line per event to that
file descriptor: `collected`, `test` (outcome, duration, message, longrepr, output), `finished`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

import httpx
import pytest

from app.suites import PURSE_COINS

NOT_FOR_ETHEREUM = "not applicable: the target is an Ethereum node"
NOT_FOR_NATIVE = "not applicable: the target is a ChainDeck node"
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
RETURN_FEE = 0.0001  # the node's default minimum fee (node-api.md)


def new_run_label() -> str:
    return time.strftime("test-run-%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@dataclass(frozen=True)
class Target:
    url: str
    kind: str
    username: str | None = None
    password: str | None = None

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")


class NodeApi:
    """A ChainDeck node as node-api.md describes it, with the waits journeys need."""

    def __init__(self, target: Target, http: httpx.Client) -> None:
        self.target = target
        self.http = http
        self._token: str | None = None
        self.run_label = os.environ.get("CHAINDECK_RUN_LABEL") or new_run_label()
        self._purse: dict[str, Any] | None = None  # {"label", "source"} once funded

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params or None)

    def post(self, path: str, body: Any = None, *, auth: bool = False) -> httpx.Response:
        headers = self.operator_headers() if auth else None
        return self.http.post(path, json=body, headers=headers)

    @property
    def chain_id(self) -> str:
        response = self.get("/api/v1/network/status")
        assert response.status_code == 200, (
            f"GET /api/v1/network/status: {response.status_code} {response.text[:200]}"
        )
        return str(response.json()["chainId"])

    def operator_headers(self) -> dict[str, str]:
        """`Authorization` for operator calls; skips the test when the run has no credentials."""
        if self._token is None:
            if not self.target.username or self.target.password is None:
                pytest.skip(
                    "needs the node's operator credentials (CHAINDECK_TARGET_USER/PASSWORD)"
                )
            response = self.http.post(
                "/api/v1/auth/login",
                json={"username": self.target.username, "password": self.target.password},
            )
            assert response.status_code == 200, f"operator login failed: {response.text}"
            self._token = response.json()["token"]
        return {"Authorization": f"Bearer {self._token}"}

    def mine(self, blocks: int = 1) -> list[dict[str, Any]]:
        response = self.post("/api/v1/mine", {"blocks": blocks}, auth=True)
        assert response.status_code == 200, response.text
        return response.json()

    def richest_wallet(self) -> dict[str, Any]:
        response = self.http.get("/api/v1/wallets", headers=self.operator_headers())
        assert response.status_code == 200, response.text
        wallets = response.json()
        if not wallets:
            pytest.skip("the node manages no wallet to fund tests from")
        return max(wallets, key=lambda w: w["balance"])

    def purse(self) -> str:
        """The label of this run's purse: a managed wallet funded once from the richest one."""
        if self._purse is None:
            source = self.richest_wallet()
            made = self.post("/api/v1/wallets", {"label": self.run_label}, auth=True)
            assert made.status_code == 201, f"creating the run's purse: {made.text}"
            coins = min(PURSE_COINS, float(source["balance"]) / 2)
            sent = self.post(
                "/api/v1/transactions",
                {
                    "from": source["address"],
                    "to": self.run_label,
                    "amount": coins,
                    "description": f"ChainDeck {self.run_label}: its purse (the rest comes back)",
                },
                auth=True,
            )
            assert sent.status_code == 201, f"funding the run's purse: {sent.text}"
            self.wait_confirmed(sent.json()["hash"])
            self._purse = {"label": self.run_label, "source": source["address"]}
        return str(self._purse["label"])

    def fund(self, address: str, coins: float) -> str:
        """A node-signed transfer from this run's purse; returns its hash."""
        response = self.post(
            "/api/v1/transactions",
            {"from": self.purse(), "to": address, "amount": coins},
            auth=True,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["hash"])

    def return_purse(self) -> None:
        """What the purse holds goes back where it came from (pending spends settled first)."""
        if self._purse is None:
            return
        label, source = self._purse["label"], self._purse["source"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            balance = self.get(f"/api/v1/wallets/{label}/balance").json()
            if balance["nonce"] == balance["pendingNonce"]:
                break
            time.sleep(0.1)
        left = round(float(balance["balance"]) - RETURN_FEE, 8)
        if left > 0:
            self.post(
                "/api/v1/transactions",
                {
                    "from": label,
                    "to": source,
                    "amount": left,
                    "fee": RETURN_FEE,
                    "description": f"ChainDeck {label}: what its purse had left",
                },
                auth=True,
            )

    def wait_confirmed(self, tx_hash: str, timeout: float = 30.0) -> dict[str, Any]:
        """Polls until the transaction is in a block; on an interval-sealing node that can
        take a block time, so it mines when it may (operator) after a short wait."""
        deadline = time.monotonic() + timeout
        nudged = False
        started = time.monotonic()
        while True:
            response = self.get(f"/api/v1/transactions/{tx_hash}")
            assert response.status_code == 200, (
                f"GET /api/v1/transactions/{tx_hash}: {response.status_code} {response.text[:200]}"
            )
            body = response.json()
            if body.get("status") == "confirmed":
                return dict(body)
            if time.monotonic() > deadline:
                raise AssertionError(f"{tx_hash} not confirmed in {timeout:.0f} s: {body}")
            if not nudged and time.monotonic() - started > 1.0 and self.target.username:
                nudged = True
                self.post("/api/v1/mine", {"blocks": 1}, auth=True)
            time.sleep(0.05)


class EthRpc:
    """Ethereum JSON-RPC over HTTP; an error answer fails the test with the node's message."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self._id = 0

    def call(self, method: str, *params: Any) -> Any:
        self._id += 1
        response = self.http.post(
            "", json={"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}
        )
        assert response.status_code == 200, f"{method}: HTTP {response.status_code}"
        body = response.json()
        if "error" in body:
            raise AssertionError(f"{method}: {body['error']}")
        return body["result"]

    def offers(self, method: str, *params: Any) -> bool:
        """Whether the node implements `method` (optional methods differ between clients)."""
        self._id += 1
        body = self.http.post(
            "", json={"jsonrpc": "2.0", "id": self._id, "method": method, "params": list(params)}
        ).json()
        return "error" not in body or body["error"].get("code") != -32601


# -- options and fixtures ------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaindeck", "ChainDeck test runs")
    group.addoption("--chaindeck-target", metavar="URL", help="the node under test")
    group.addoption(
        "--chaindeck-kind", choices=("native", "ethereum"), default="native", help="its protocol"
    )
    group.addoption("--chaindeck-events-fd", type=int, metavar="FD", help="JSON-lines events")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "native: needs a ChainDeck node (node-api.md)")
    config.addinivalue_line("markers", "ethereum: needs an Ethereum JSON-RPC node")
    config.addinivalue_line("markers", "operator: needs the node's operator credentials")
    fd = config.getoption("chaindeck_events_fd")
    if fd is not None:
        config.pluginmanager.register(EventStream(os.fdopen(fd, "w", buffering=1)), "cd-events")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kind = config.getoption("chaindeck_kind")
    for item in items:
        if kind == "ethereum" and item.get_closest_marker("native"):
            item.add_marker(pytest.mark.skip(reason=NOT_FOR_ETHEREUM))
        elif kind == "native" and item.get_closest_marker("ethereum"):
            item.add_marker(pytest.mark.skip(reason=NOT_FOR_NATIVE))


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    url = pytestconfig.getoption("chaindeck_target")
    if not url:
        raise pytest.UsageError("no target: pass --chaindeck-target URL (chaindeck test does)")
    return Target(
        url=url.rstrip("/"),
        kind=pytestconfig.getoption("chaindeck_kind"),
        username=os.environ.get("CHAINDECK_TARGET_USER") or None,
        password=os.environ.get("CHAINDECK_TARGET_PASSWORD"),
    )


@pytest.fixture(scope="session")
def http(target: Target) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=target.url, timeout=TIMEOUT) as client:
        yield client


@pytest.fixture(scope="session")
def node(target: Target, http: httpx.Client) -> Iterator[NodeApi]:
    api = NodeApi(target, http)
    yield api
    with contextlib.suppress(httpx.HTTPError, AssertionError, KeyError, ValueError):
        api.return_purse()  # best effort: a node gone by now keeps the purse, labelled


@pytest.fixture(scope="session")
def eth(http: httpx.Client) -> EthRpc:
    return EthRpc(http)


# -- the event stream -------------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _from_test_frame(text: str, test_file: str) -> str:
    """A native traceback without pytest's and pluggy's frames above the test's own."""
    at = text.find(f'{test_file}", line')
    if at < 0:
        return text
    start = text.rfind("\n", 0, at) + 1
    return "Traceback (most recent call last):\n" + text[start:]


class EventStream:
    """One JSON line per event, flushed at once, so the app shows each test as it ends."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.pending: dict[str, dict[str, Any]] = {}

    def emit(self, event: dict[str, Any]) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):  # the app went away
            self.out.write(json.dumps(event) + "\n")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.emit({"event": "collected", "tests": [item.nodeid for item in session.items]})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.emit(
                {
                    "event": "test",
                    "nodeid": report.nodeid or "<collection>",
                    "outcome": "error",
                    "duration": 0.0,
                    "message": "could not collect",
                    "longrepr": _text(report.longrepr),
                    "output": "",
                }
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self.pending.setdefault(
            report.nodeid,
            {
                "event": "test",
                "nodeid": report.nodeid,
                "outcome": "passed",
                "duration": 0.0,
                "message": "",
                "longrepr": "",
                "output": "",
            },
        )
        result["duration"] += report.duration
        if report.failed:
            # A failing call is a failure; a failing set-up or tear-down is an error.
            result["outcome"] = "failed" if report.when == "call" else "error"
            result["longrepr"] = _from_test_frame(_text(report.longrepr), report.location[0])
            crash = getattr(report.longrepr, "reprcrash", None)
            result["message"] = _text(getattr(crash, "message", "")) or result["longrepr"][-300:]
        elif report.skipped and result["outcome"] == "passed":
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else _text(longrepr)
            result["message"] = reason.removeprefix("Skipped: ")
            applies = not result["message"].startswith("not applicable")
            result["outcome"] = "skipped" if applies else "n/a"
        if report.sections:
            result["output"] = "\n".join(
                f"--- {name} ---\n{text}" for name, text in report.sections
            )
        if report.when == "teardown":
            self.emit(self.pending.pop(report.nodeid))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.emit({"event": "finished", "exitstatus": int(exitstatus)})
        self.out.flush()
