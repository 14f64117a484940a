"""One inclusion tracker per worker: follows the node's blocks (`/ws`, polling while there is
none), fetches each block once and matches its transactions against what this worker's users
sent. Inclusion latency is submit (or, in the open model, the intended send time) → block seen."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import gevent
import gevent.lock
import orjson
import websocket
from geventhttpclient import HTTPClient
from geventhttpclient.url import URL

from app.load import histogram
from app.load.locustfiles.engine import current, set_pending

log = logging.getLogger("chaindeck.inclusion")
RANGE = 500  # blocks a request (the node's /blocks/range limit)
POLL_S = 0.5
FETCH_S = 0.5  # the feed says when each block came; the hashes can wait for one fetch
WS_RETRY_S = 5.0
HASHES = "&txs=hashes"  # ChainDeck's addition to /blocks/range (docs/spec/node-api.md)


class RefusedQuery(OSError):
    """The node answered that it does not take the request as asked (400, 422)."""


class InclusionTracker:
    hashes_only = True  # until the node refuses `txs=hashes`

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = HTTPClient.from_url(
            URL(self.url), concurrency=2, connection_timeout=5, network_timeout=15
        )
        self.expected: dict[str, float] = {}  # accepted, not yet in a block: hash → sent at
        self.unsure: dict[str, float] = {}  # sent, answer lost: counted if it shows up
        self.seen_at: dict[int, float] = {}  # height → when the feed announced it
        self.height = self.head()
        self.seen_height = self.height
        self.follower = gevent.spawn(self._follow)

    # -- what the users tell it ------------------------------------------------------------------
    def expect(self, tx_hash: str, sent_at: float) -> None:
        self.expected[tx_hash] = sent_at
        set_pending(len(self.expected))

    def forget(self, tx_hash: str) -> None:
        self.expected.pop(tx_hash, None)
        set_pending(len(self.expected))

    def unsure_of(self, tx_hash: str) -> None:
        sent_at = self.expected.pop(tx_hash, None)
        if sent_at is not None:
            self.unsure[tx_hash] = sent_at
        set_pending(len(self.expected))

    # -- one protocol's chain -------------------------------------------------------------------
    def head(self) -> int:
        return int(self._get("/api/v1/network/status")["blockHeight"])

    def fetch(self, first: int, last: int) -> list[tuple[int, list[str]]]:
        """Blocks first..last (or fewer: the node caps a range): height and transaction hashes.
        Only the hashes are asked for (`txs=hashes`): full blocks cost the node under test
        several times what the load's own transfers do; a node that does not know the option
        is asked for full blocks from then on."""
        path = f"/api/v1/blocks/range?from={first}&to={last}"
        if self.hashes_only:
            try:
                return [(int(b["height"]), b["transactions"]) for b in self._get(path + HASHES)]
            except RefusedQuery:
                self.hashes_only = False
        blocks = self._get(path)
        return [
            (int(b["height"]), [tx["hash"] for tx in b.get("transactions") or ()]) for b in blocks
        ]

    # -- following the chain ---------------------------------------------------------------------
    def _get(self, path: str) -> Any:
        response = self.http.get(path)
        body = response.read()
        if response.status_code in (400, 422):
            raise RefusedQuery(f"{path}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise OSError(f"{path}: HTTP {response.status_code}")
        return orjson.loads(body)

    def _follow(self) -> None:
        ws_url = "ws" + self.url[len("http") :] + "/ws"
        while True:
            try:
                ws = websocket.create_connection(ws_url, timeout=5, skip_utf8_validation=True)
                ws.send(json.dumps({"type": "subscribe", "channels": ["blocks"]}))
                self.catch_up(self.head())
                self._listen(ws)
            except Exception as exc:  # no /ws, a dropped socket, a restarting node: poll a while
                log.info("block feed: %s; polling", exc)
                self._poll(WS_RETRY_S)

    def _listen(self, ws: websocket.WebSocket) -> None:
        """The feed says how high the chain is and when each block came (inclusion is timed to
        then); a fetcher reads the new blocks' hashes at most every FETCH_S in one request, so a
        chain sealing hundreds of blocks a second costs the node two range reads a second per
        worker, not hundreds (at ten a second, 32 users on 2 shared cores included ~9% fewer
        transfers a second, median of 4 rounds)."""
        fetcher = gevent.spawn(self._fetch_behind)
        try:
            while True:
                try:
                    message = orjson.loads(ws.recv())
                except websocket.WebSocketTimeoutException:
                    continue  # a quiet chain
                if message.get("type") == "new_block":
                    height = int(message["block"]["height"])
                    if height > self.height:  # not fetched yet
                        self.seen_at.setdefault(height, time.time())
                    self.seen_height = max(self.seen_height, height)
                elif message.get("type") == "lagged":
                    self.seen_height = max(self.seen_height, self.head())
                if fetcher.dead:
                    fetcher.get()  # its error: the feed starts over (polling meanwhile)
        finally:
            fetcher.kill()

    def _fetch_behind(self) -> None:
        while True:
            if self.seen_height > self.height:
                self.catch_up(self.seen_height)
            gevent.sleep(FETCH_S)

    def _poll(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            try:
                self.catch_up(self.head())
            except Exception as exc:
                log.info("polling blocks: %s", exc)
            gevent.sleep(POLL_S)

    def catch_up(self, height: int) -> None:
        while self.height < height:
            blocks = self.fetch(self.height + 1, min(height, self.height + RANGE))
            if not blocks:
                return
            fetched = time.time()
            second = current()
            for block_height, hashes in blocks:
                seen = self.seen_at.pop(block_height, fetched)
                for tx_hash in hashes:
                    sent_at = self.expected.pop(tx_hash, None) or self.unsure.pop(tx_hash, None)
                    if sent_at is not None:
                        second.included += 1
                        histogram.add(second.inclusion, (seen - sent_at) * 1000)
                self.height = block_height
        set_pending(len(self.expected))


_TRACKER: InclusionTracker | None = None
# Starting a tracker asks the node its height, which lets the other users' greenlets run: they
# wait here for that one tracker instead of each starting its own (32 users made 32 block feeds
# and 32 fetchers, which cost the node under test more than the load's transfers).
_STARTING = gevent.lock.BoundedSemaphore()


def tracker(url: str, kind: type[InclusionTracker] = InclusionTracker) -> InclusionTracker:
    """This worker's one tracker, started by its first sending user."""
    global _TRACKER
    with _STARTING:
        if _TRACKER is None:
            _TRACKER = kind(url)
    return _TRACKER
