"""`chaindeck status TARGET` (one snapshot) and `chaindeck watch TARGET` (new blocks, live), for
ChainDeck and Ethereum nodes alike (shared/spec/cli.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from app.cli.targets import TargetError, resolve_target
from app.clients.block_stream import Block, BlockStream, StateChanged
from app.clients.errors import NodeError
from app.clients.ethereum import EthereumClient
from app.clients.native import NativeClient
from app.clients.probe import probe
from app.tasks import cancel_all


def _parser(name: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"chaindeck {name}", description=description)
    p.add_argument("target", metavar="TARGET", help="node URL or saved connection profile")
    p.add_argument("--kind", choices=("native", "ethereum"), help="skip probing the protocol")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    return p


async def _client(text: str, kind: str | None, data_dir: Path | None) -> Any:
    target = resolve_target(text, kind, data_dir)
    found = target.kind or (await probe(target.url)).kind
    if found == "ethereum":
        return EthereumClient(target.url)
    return NativeClient(target.url, target.username, target.password)


def _fail(command: str, message: str) -> int:
    print(f"chaindeck {command}: {message}", file=sys.stderr)
    return 2


# -- status ------------------------------------------------------------------------------------


def run_status(argv: list[str], out: TextIO = sys.stdout) -> int:
    args = _parser("status", "One status snapshot of a node.").parse_args(argv)
    try:
        return asyncio.run(_status(args, out))
    except (TargetError, NodeError) as exc:
        return _fail("status", str(exc))


async def _status(args: argparse.Namespace, out: TextIO) -> int:
    client = await _client(args.target, args.kind, args.data_dir)
    try:
        snap = await client.snapshot()
    finally:
        await client.close()
    if args.json:
        print(json.dumps(snap.to_json()), file=out)
        return 0
    rows = [
        ("kind", f"{snap.kind} ({snap.version})"),
        ("role", snap.role or "-"),
        ("chain id", snap.chain_id),
        ("height", str(snap.height)),
        ("latest hash", snap.latest_hash),
        ("peers", "-" if snap.peers is None else str(snap.peers)),
        ("mempool", "-" if snap.mempool is None else str(snap.mempool)),
        ("latency", f"{snap.latency_ms:.1f} ms"),
    ]
    for peer in snap.extra.get("peerList", []):
        rows.append(("  peer", f"{peer['url']} {peer['role']} at {peer['height']}"))
    if snap.extra.get("gasPriceGwei") is not None:
        rows.append(("gas price", f"{snap.extra['gasPriceGwei']:g} gwei"))
    if snap.extra.get("syncing"):
        rows.append(("syncing", "yes"))
    if snap.problem:
        rows.append(("problem", snap.problem))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}", file=out)
    return 0


# -- watch -------------------------------------------------------------------------------------


def run_watch(argv: list[str], out: TextIO = sys.stdout) -> int:
    p = _parser("watch", "Follow new blocks live: one line (or JSON object) per block.")
    p.add_argument("--count", type=int, metavar="N", help="stop after N blocks")
    args = p.parse_args(argv)
    if args.count is not None and args.count < 1:
        p.error("--count must be 1 or more")
    try:
        return asyncio.run(_watch(args, out))
    except (TargetError, NodeError) as exc:
        return _fail("watch", str(exc))


async def _watch(args: argparse.Namespace, out: TextIO) -> int:
    client = await _client(args.target, args.kind, args.data_dir)
    blocks = BlockStream(client)

    async def follow() -> None:
        seen = 0
        said = ""
        async for item in blocks:
            if isinstance(item, StateChanged) and item.state != said:
                if item.state == "lost" or said == "lost":  # a drop, and the way back
                    print(f"chaindeck watch: {item.state}: {item.detail}", file=sys.stderr)
                said = item.state
            if not isinstance(item, Block):
                continue
            _print_block(item.block, args.json, out)
            seen += 1
            if args.count is not None and seen >= args.count:
                return

    # Ctrl+C or SIGTERM ends the follower task and we stop cleanly; this task is never cancelled.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # no loop signal handlers on Windows
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(follow()), asyncio.create_task(stop.wait())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if tasks[0] in done:
            tasks[0].result()  # a NodeError from the feed reaches run_watch
    finally:
        await cancel_all(tasks)
        await client.close()
    return 0


def _print_block(block: dict[str, Any], as_json: bool, out: TextIO) -> None:
    tx_count = block.get("txCount", len(block.get("transactions", [])))
    when = datetime.fromtimestamp(block["timestamp"] / 1000, UTC)
    if as_json:
        record = {
            "height": block["height"],
            "hash": block["hash"],
            "txCount": tx_count,
            "timestamp": block["timestamp"],
        }
        print(json.dumps(record), file=out, flush=True)
    else:
        stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        print(
            f"{block['height']:>8}  {block['hash']}  {tx_count:>5} tx  {stamp} UTC",
            file=out,
            flush=True,
        )
