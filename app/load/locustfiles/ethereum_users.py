"""The built-in scenarios against an Ethereum JSON-RPC node (anvil, geth, Hardhat): signed
transfers through `eth_sendRawTransaction` (eth-account), the explorer's reads, and `newHeads`
subscribers. Request names are the JSON-RPC methods."""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections import deque
from itertools import count
from typing import Any

import gevent
import orjson
from eth_account import Account
from eth_utils import to_checksum_address
from locust import task

from app.load import histogram
from app.load.locustfiles.engine import current, plan
from app.load.locustfiles.inclusion import InclusionTracker, tracker
from app.load.locustfiles.users import (
    ChainDeckUser,
    SendingUser,
    SubscriberUser,
    take_sender,
)
from app.load.scenarios import ETHEREUM_READS, ETHEREUM_SEND, ETHEREUM_SUBSCRIBE

SIGN_AHEAD = 16
IDS = count(1)
ACCOUNTS: dict[int, Any] = {}  # sender index → [account, next nonce]
POLL_S = 0.1


class EthereumTracker(InclusionTracker):
    """Polls the head (every node has `eth_blockNumber`; not every one has a socket)."""

    def _rpc(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": next(IDS), "method": method, "params": params})
        response = self.http.post("/", body=body, headers={"Content-Type": "application/json"})
        answer = orjson.loads(response.read())
        if "error" in answer:
            raise OSError(f"{method}: {answer['error']}")
        return answer["result"]

    def head(self) -> int:
        return int(self._rpc("eth_blockNumber"), 16)

    def fetch(self, first: int, last: int) -> list[tuple[int, list[str]]]:
        blocks = []
        for height in range(first, min(last, first + 49) + 1):
            block = self._rpc("eth_getBlockByNumber", hex(height), False)
            if block is None:
                break
            blocks.append((height, [h.lower() for h in block.get("transactions") or ()]))
        return blocks

    def _follow(self) -> None:
        while True:
            self._poll(3600.0)

    def _poll(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            with contextlib.suppress(Exception):  # a node restarting: the next poll catches up
                self.catch_up(self.head())
            gevent.sleep(POLL_S)


class EthereumUser(ChainDeckUser):
    abstract = True

    def rpc(self, method: str, *params: Any, name: str | None = None) -> Any:
        body = {"jsonrpc": "2.0", "id": next(IDS), "method": method, "params": list(params)}
        with self.client.post("/", json=body, name=name or method, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return None
            answer = orjson.loads(r.content)
            if "error" in answer:
                r.failure(f"{method}: {answer['error'].get('message', answer['error'])}")
                return None
            r.success()
            return answer.get("result")


class EthereumTransferUser(EthereumUser, SendingUser):
    abstract = True

    def on_start(self) -> None:
        index = take_sender(self)
        if index not in ACCOUNTS:
            ACCOUNTS[index] = [Account.from_key(plan()["senders"][index]), 0]
        self.account = ACCOUNTS[index]
        self.signed: deque[tuple[str, str]] = deque()
        self.tracker = tracker(plan()["hosts"][0], EthereumTracker)

    def on_stop(self) -> None:
        # as TransferUser: signed and never sent gives its nonces back, so no gap holds back
        # the transfers of the next user on this account
        self.account[1] -= len(self.signed)
        self.signed.clear()
        super().on_stop()

    def _next(self) -> tuple[str, str]:
        if not self.signed:
            account, p = self.account[0], plan()
            for _ in range(SIGN_AHEAD):
                tx = {
                    "nonce": self.account[1],
                    "to": to_checksum_address(p["sink"]),
                    "value": 1,
                    "gas": 21_000,
                    "gasPrice": p["gas_price"],
                    "chainId": int(p["chain_id"]),
                }
                signed = account.sign_transaction(tx)
                self.account[1] += 1
                raw = "0x" + bytes(signed.raw_transaction).hex()
                self.signed.append((raw, "0x" + bytes(signed.hash).hex()))
        return self.signed.popleft()

    @task
    def send(self) -> None:
        ready = self.next_send()
        if ready is None:
            return
        raw, tx_id, sent_at = ready
        body = {"jsonrpc": "2.0", "id": next(IDS), "method": ETHEREUM_SEND, "params": [raw]}
        with self.client.post("/", json=body, name=ETHEREUM_SEND, catch_response=True) as r:
            self.in_flight = None
            r.request_meta["response_time"] = (time.time() - sent_at) * 1000
            answer = orjson.loads(r.content) if r.status_code == 200 and r.content else {}
            if "result" in answer:
                current().accepted += 1
                r.success()
                return
            if r.status_code == 0 or r.status_code >= 500:
                self.tracker.unsure_of(tx_id)
                current().reject(str(r.status_code))
                r.failure(f"{r.status_code}")
                return
            self.tracker.forget(tx_id)
            message = str((answer.get("error") or {}).get("message", r.status_code))
            current().reject(message[:60])
            r.failure(f"{ETHEREUM_SEND}: {message}")
        self._resync()

    def _resync(self) -> None:
        count_hex = self.rpc(
            "eth_getTransactionCount", self.account[0].address, "pending", name="nonce resync"
        )
        if count_hex is not None:
            self.account[1] = int(count_hex, 16)
            self.signed.clear()


class EthereumReadUser(EthereumUser):
    """The explorer's mix over JSON-RPC."""

    abstract = True

    def on_start(self) -> None:
        self.transactions: list[str] = []
        self.addresses: list[str] = []

    @task(2)
    def head(self) -> None:
        self.rpc(ETHEREUM_READS[0])

    @task(3)
    def block(self) -> None:
        block = self.rpc(ETHEREUM_READS[1], "latest", True)
        for tx in (block or {}).get("transactions") or ():
            self.transactions = [tx["hash"], *self.transactions[:49]]
            self.addresses = [tx["from"], *self.addresses[:49]]

    @task(2)
    def transaction(self) -> None:
        if self.transactions:
            self.rpc(ETHEREUM_READS[2], random.choice(self.transactions))

    @task(2)
    def balance(self) -> None:
        if self.addresses:
            self.rpc(ETHEREUM_READS[3], random.choice(self.addresses), "latest")


class EthereumSubscriberUser(SubscriberUser):
    """`eth_subscribe newHeads` on the node's socket; lag from the head's timestamp (whole
    seconds on Ethereum, so the lag is as coarse)."""

    abstract = True
    subscribe_name = ETHEREUM_SUBSCRIBE
    path = ""

    def subscribe(self) -> None:
        self.ws.send(
            json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
            )
        )

    def on_message(self, message: dict[str, Any]) -> None:
        head = (message.get("params") or {}).get("result")
        if isinstance(head, dict) and "timestamp" in head:
            lag_ms = time.time() * 1000 - int(head["timestamp"], 16) * 1000
            histogram.add(current().lag, max(0.0, lag_ms))
