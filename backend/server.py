"""Runs a node: open the chain, serve the API, print the ready line, stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from types import FrameType

import orjson
import uvicorn

from backend.api.app import create_app
from backend.api.auth import Auth, resolve_operator, token_secret
from backend.api.context import ApiContext
from backend.api.fast_lane import FastLane
from backend.api.guard import Guard
from backend.api.http_protocol import NodeHttpProtocol
from backend.api.metrics import NodeMetrics
from backend.api.ws_hub import Hub
from backend.node.config import NodeConfig
from backend.node.data_dir import DataDirError, DataDirLock, describe_os_error, make_private
from backend.node.follower import Follower
from backend.node.node import Node
from backend.node.upstream import FollowError
from backend.storage.chain_store import StoreError

log = logging.getLogger("chaindeck.server")
PARENT_ENV = "CHAINDECK_PARENT_PID"


class _Server(uvicorn.Server):
    """uvicorn re-raises a caught SIGINT/SIGTERM after shutting down, which would kill the
    process before the node closes its database. We stop on the first signal, and force on a
    second SIGINT, without re-raising."""

    node: Node | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True
        if self.node is not None:
            self.node.helpers.stop_requested = True  # a helper the same signal stopped is no crash


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _public_url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


async def _announce_when_started(server: uvicorn.Server, node: Node, url: str) -> None:
    while not server.started:
        if server.should_exit:
            return
        await asyncio.sleep(0.01)
    line = {
        "event": "ready",
        "url": url,
        "role": node.role,
        "chainId": node.chain_id,
        "dataDir": str(node.config.data_dir),
    }
    # Logged first, so whoever reads "ready" finds the log already saying where the node serves.
    log.info("serving %s (chain %s, height %d)", url, node.chain_id, node.head.height)
    sys.stdout.write(orjson.dumps(line).decode() + "\n")
    sys.stdout.flush()


async def _stop_when_parent_dies(server: uvicorn.Server) -> None:
    """A node started by the app (CHAINDECK_PARENT_PID) stops cleanly when the app is gone,
    even after a kill -9 of the app and where there is no parent-death signal."""
    try:
        parent = int(os.environ.get(PARENT_ENV, ""))
    except ValueError:
        return
    while os.getppid() == parent:
        await asyncio.sleep(0.5)
    log.warning("the app that started this node is gone; stopping")
    server.should_exit = True


async def serve(config: NodeConfig) -> int:
    lock = DataDirLock(config.data_dir)
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock.acquire()  # first: a second node on this dir names the holder, whatever its port
        make_private(config.data_dir)
        user, password = resolve_operator(
            config.data_dir, config.operator_user, config.operator_password
        )
        secret = token_secret(config.data_dir)
    except (DataDirError, OSError) as exc:
        reason = (
            exc
            if isinstance(exc, DataDirError)
            else describe_os_error(exc, str(exc.filename or config.data_dir))
        )
        print(f"chaindeck node: {reason}", file=sys.stderr)
        lock.release()
        return 2
    try:
        sock = _bind(config.host, config.port)
    except OSError as exc:
        print(
            f"chaindeck node: cannot listen on {config.host}:{config.port}: {exc.strerror}",
            file=sys.stderr,
        )
        lock.release()
        return 2
    try:
        return await _serve_locked(config, sock, user, password, secret)
    finally:
        lock.release()


async def _serve_locked(
    config: NodeConfig, sock: socket.socket, user: str, password: str, secret: bytes
) -> int:
    node = Follower(config, (user, password)) if config.peer else Node(config)
    url = _public_url(config.host, sock.getsockname()[1])
    node.url = url
    try:
        await node.start()
    except (StoreError, FollowError) as exc:
        print(f"chaindeck node: {exc}", file=sys.stderr)
        sock.close()
        await node.stop()
        return 2
    auth = Auth(user, password, secret, private=config.private)
    hub = Hub(node.status, queue_limit=config.ws_queue)
    ctx = ApiContext(node=node, auth=auth, hub=hub, metrics=NodeMetrics(node))
    app = create_app(ctx)
    guard = Guard.for_host(config.host, config.allow_origins, config.max_ws_clients)
    guard.ws_clients = lambda: len(hub.clients)
    server = _Server(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="off",
            http=NodeHttpProtocol.serving(FastLane(ctx), guard),
            ws="websockets-sansio",
            ws_ping_interval=20,
            timeout_graceful_shutdown=5,
            timeout_keep_alive=60,  # the app and load clients hold connections open between polls
            server_header=False,
            # Trusting X-Forwarded-For from loopback let any local program dodge the login rate
            # limit by naming another address; it also cost ~2% of the loop per request.
            proxy_headers=False,
        )
    )
    server.node = node
    node.helpers.listeners.append(lambda _why: setattr(server, "should_exit", True))
    hub.start()
    announcer = asyncio.create_task(_announce_when_started(server, node, url))
    watchdog = asyncio.create_task(_stop_when_parent_dies(server))
    try:
        await server.serve(sockets=[sock])
    finally:
        announcer.cancel()
        watchdog.cancel()
        await hub.stop()
        await node.stop()
        log.info("stopped at height %d", node.head.height)
    if node.helpers.fatal is not None:
        print(f"chaindeck node: {node.helpers.fatal}", file=sys.stderr)
        return 1
    return 0


def run(config: NodeConfig) -> int:
    # Reader threads take the GIL back after every SQLite step, and so do the threads that seal
    # and encode big blocks; with the default 5 ms switch interval each take can wait for a busy
    # loop that long. 0.5 ms against 5 ms, with writes and verifiers in helper processes
    # (ab_node_throughput.py, medians of 4): one by one x1.18, 32 in flight x1.04, batches
    # x1.03, read p95 under batches 13.5 -> 11.0 ms.
    sys.setswitchinterval(0.0005)
    # Everything the node and its helpers create (the database, its WAL, the seeds) is the
    # owner's alone, whatever the caller's umask.
    os.umask(0o077)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # A follower polls its producer every second: httpx's per-request lines would drown the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    temp: Path | None = None
    if config.ephemeral:
        temp = Path(tempfile.mkdtemp(prefix="chaindeck-node-"))
        config.data_dir = temp
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # uvloop has no Windows build; the stdlib loop is fine there
        runner = asyncio.Runner()
    try:
        with runner:
            return runner.run(serve(config))
    except KeyboardInterrupt:
        return 0
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
