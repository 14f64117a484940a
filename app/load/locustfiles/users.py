"""What a user of each built-in scenario does against a native ChainDeck node (shared/spec/load.md
"Scenarios"). The classes are abstract; each scenario's locustfile names the ones it runs."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import gevent
import orjson
import websocket
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.exception import StopUser

from app.load import histogram
from app.load.locustfiles.engine import RUN, current, plan
from app.load.locustfiles.inclusion import tracker
from app.load.locustfiles.poster import Poster
from app.load.locustfiles.sign_ahead import SignAhead
from app.load.scenarios import NATIVE_READS, NATIVE_SEND, NATIVE_SUBSCRIBE
from app.signing import Signer, TransferBodies

LATE_S = 0.1  # open model: a send this late (or one slot late, if longer) is dropped
AMOUNT_UNITS = 1
FEE_UNITS = 10_000  # the node's default minimum fee
JSON = {"Content-Type": "application/json"}


class Slots:
    """Small numbers handed to users and given back when they stop, so a user that starts
    after another stopped takes its sender (and that sender's nonce) over."""

    def __init__(self) -> None:
        self.free: list[int] = []
        self.next = 0

    def take(self) -> int:
        if self.free:
            return self.free.pop()
        self.next += 1
        return self.next - 1

    def give_back(self, slot: int) -> None:
        self.free.append(slot)


HOST_SLOTS = Slots()
SENDER_SLOTS = Slots()
SIGNERS: dict[int, Signer] = {}


class ChainDeckUser(FastHttpUser):
    """Spread over the target's nodes: the worker's k-th user of the run goes to node
    (worker_index + workers * k) mod n."""

    abstract = True
    wait_time = constant(0)
    host = "http://127.0.0.1"

    def __init__(self, environment: Environment) -> None:
        self.host_slot = HOST_SLOTS.take()
        hosts = plan().get("hosts") or [environment.host]
        place = RUN.worker_index() + plan().get("workers", 1) * self.host_slot
        self.host = hosts[place % len(hosts)]
        super().__init__(environment)

    def on_stop(self) -> None:
        HOST_SLOTS.give_back(self.host_slot)


class Schedule:
    """The open model on one worker: slot k is due at start + k / rate, whoever sends it."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.start = time.time()
        self.next = 0

    def due(self) -> float | None:
        """The next slot's due time, or None (and one more dropped) when it is already late."""
        at = self.start + self.next / self.rate
        self.next += 1
        if time.time() - at > max(LATE_S, 1 / self.rate):
            current().dropped += 1
            return None
        return at


SCHEDULE: list[Schedule] = []


def take_sender(user: Any) -> int:
    """A sending user's sender (an index into the plan's funded keys), kept in `user.slot`; the
    open model's schedule starts with the worker's first sender."""
    p = plan()
    user.slot = SENDER_SLOTS.take()
    index = RUN.worker_index() + p["workers"] * user.slot
    if index >= len(p["senders"]):
        SENDER_SLOTS.give_back(user.slot)
        raise StopUser()  # more users than the run funded senders for
    if p.get("rate") and not SCHEDULE:
        SCHEDULE.append(Schedule(p["rate"] / p["workers"]))
    return index


class SendingUser(ChainDeckUser):
    """A user with a funded sender: its seat, its tracker, and the steps before every send."""

    abstract = True
    tracker: Any
    slot: int
    in_flight: str | None = None  # the transfer sent and not yet answered

    def _next(self) -> tuple[Any, str]:
        raise NotImplementedError

    def next_send(self) -> tuple[Any, str, float] | None:
        """The next transfer, its hash and its send time, already expected by the tracker and
        counted as sent; None when the open model dropped this slot."""
        sent_at = due_time()
        if sent_at is None:
            return None
        payload, tx_id = self._next()
        self.tracker.expect(tx_id, sent_at)
        self.in_flight = tx_id
        current().sent += 1
        return payload, tx_id, sent_at

    def on_stop(self) -> None:
        # Stopped mid-send (Locust kills a user's greenlet when the hold ends): the node may or
        # may not have the transfer, so it is counted if it shows up and never left pending.
        if self.in_flight is not None:
            self.tracker.unsure_of(self.in_flight)
            self.in_flight = None
        SENDER_SLOTS.give_back(self.slot)
        super().on_stop()


def due_time() -> float | None:
    """When to send: now (closed model), a slot's due time after waiting for it (open model),
    or None when the slot is already late (counted as dropped)."""
    if not SCHEDULE:
        return time.time()
    due = SCHEDULE[0].due()
    if due is not None:
        gevent.sleep(max(0.0, due - time.time()))
    return due


class TransferUser(SendingUser):
    abstract = True

    def on_start(self) -> None:
        index = take_sender(self)
        if index not in SIGNERS:
            SIGNERS[index] = Signer(plan()["chain_id"], bytes.fromhex(plan()["senders"][index]))
        self.signer = SIGNERS[index]
        self.signed = SignAhead(
            TransferBodies(self.signer, plan()["sink"], AMOUNT_UNITS, FEE_UNITS)
        )
        self.tracker = tracker(plan()["hosts"][0])
        self.poster = Poster(self.host)

    def on_stop(self) -> None:
        self.signed.give_back()
        self.poster.close()
        super().on_stop()

    def _next(self) -> tuple[bytes, str]:
        return self.signed.next()

    def _resync(self) -> None:
        """A rejected nonce: start again from what the node has."""
        with self.client.get(
            f"/api/v1/wallets/{self.signer.address}/balance",
            name="nonce resync",
            catch_response=True,
        ) as answer:
            if answer.status_code == 200:
                self.signed.restart_at(int(orjson.loads(answer.content)["pendingNonce"]))
                answer.success()

    @task
    def send(self) -> None:
        ready = self.next_send()
        if ready is None:
            return
        body, tx_id, sent_at = ready
        started = time.time()
        code, content, failure = self.poster.post(NATIVE_SEND, body)
        self.in_flight = None
        # the open model's latency runs from the intended send time
        response_ms = (time.time() - (sent_at if SCHEDULE else started)) * 1000
        if code in (201, 409):  # 409: the node has it already
            current().accepted += 1
        else:
            if code == 0 or code >= 500:
                self.tracker.unsure_of(tx_id)  # it may have landed
            else:
                self.tracker.forget(tx_id)
            current().reject(str(code))
            failure = failure or RequestFailed(f"{code} {error_code(content)}".strip())
        self.environment.events.request.fire(
            request_type="POST",
            name=NATIVE_SEND,
            response_time=response_ms,
            response_length=len(content),
            exception=failure,
            context={},
        )
        if code == 422:
            self._resync()


class RequestFailed(Exception):
    """A request the node answered with an error: the status and the node's error code."""


class ReadUser(ChainDeckUser):
    """The explorer's mix: newest blocks, a block, a transaction, a balance, the status."""

    abstract = True

    def on_start(self) -> None:
        self.blocks: list[str] = []
        self.transactions: list[str] = []
        self.addresses: list[str] = []

    def _json(self, path: str, name: str) -> Any:
        with self.client.get(path, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code} {error_code(answer.content)}".strip())
                return None
            return orjson.loads(answer.content)

    @task(3)
    def newest_blocks(self) -> None:
        blocks = self._json("/api/v1/blocks?limit=10", NATIVE_READS[0])
        if blocks:
            self.blocks = [b["hash"] for b in blocks]

    @task(3)
    def block(self) -> None:
        if not self.blocks:
            return self.newest_blocks()
        block = self._json(f"/api/v1/blocks/{random.choice(self.blocks)}", NATIVE_READS[1])
        for tx in (block or {}).get("transactions") or ():
            self.transactions = [tx["hash"], *self.transactions[:49]]
            self.addresses = [tx["from"], tx["to"], *self.addresses[:48]]

    @task(2)
    def transaction(self) -> None:
        if self.transactions:
            self._json(f"/api/v1/transactions/{random.choice(self.transactions)}", NATIVE_READS[2])

    @task(2)
    def balance(self) -> None:
        if self.addresses:
            self._json(f"/api/v1/wallets/{random.choice(self.addresses)}/balance", NATIVE_READS[3])

    @task(1)
    def status(self) -> None:
        self._json("/api/v1/network/status", NATIVE_READS[4])


class SubscriberUser(ChainDeckUser):
    """Holds `/ws` open and measures each new block's delivery lag (block timestamp → here)."""

    abstract = True
    subscribe_name = NATIVE_SUBSCRIBE
    path = "/ws"

    def subscribe(self) -> None:
        self.ws.send(json.dumps({"type": "subscribe", "channels": ["blocks"]}))

    def on_start(self) -> None:
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            self.ws = websocket.create_connection(
                "ws" + self.host[len("http") :] + self.path, timeout=5, skip_utf8_validation=True
            )
            self.subscribe()
        except Exception as exc:
            error = exc
        self.environment.events.request.fire(
            request_type="WS",
            name=self.subscribe_name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )
        if error is not None:
            gevent.sleep(1)
            raise StopUser()

    def on_stop(self) -> None:
        if hasattr(self, "ws"):
            self.ws.close()
        super().on_stop()

    @task
    def listen(self) -> None:
        try:
            message = orjson.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return
        except Exception:
            self.on_start()  # the socket dropped: count it as a failed connect and reconnect
            return
        self.on_message(message)

    def on_message(self, message: dict[str, Any]) -> None:
        if message.get("type") == "new_block":
            lag_ms = time.time() * 1000 - float(message["block"]["timestamp"])
            histogram.add(current().lag, max(0.0, lag_ms))
        elif message.get("type") == "lagged":
            current().lagged += int(message.get("dropped", 0))


def error_code(body: bytes | None) -> str:
    try:
        return str(orjson.loads(body or b"{}").get("error", ""))
    except (ValueError, AttributeError):
        return ""
