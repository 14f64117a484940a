"""`chaindeck node`: the command line of the node (shared/spec/cli.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from backend.chain.units import AmountError, coins_to_units
from backend.node.config import DEFAULT_PORT, NodeConfig


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("chaindeck", appauthor=False)) / "node"


def add_node_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port; 0 picks a free one ({DEFAULT_PORT})"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help="where the chain is kept")
    where.add_argument(
        "--ephemeral", action="store_true", help="keep the chain in a temporary dir, gone at exit"
    )
    # None marks "not given": a follower takes these from its producer and refuses them.
    parser.add_argument(
        "--block-time",
        type=float,
        metavar="S",
        help="0 (default): seal as soon as transactions wait; S > 0: seal every S seconds",
    )
    parser.add_argument("--accounts", type=int, help="dev wallets at genesis (10)")
    parser.add_argument(
        "--dev-seed",
        metavar="TEXT",
        help="derive the dev wallets' keys from TEXT (published keys, for scripts; a new chain "
        "only). Default: random keys",
    )
    parser.add_argument("--balance", help="coins for each dev wallet (1000)")
    parser.add_argument("--chain-id", metavar="ID", help="chain id (a new chain: chaindeck-devnet)")
    parser.add_argument("--difficulty", type=int, metavar="BITS", help="proof-of-work bits (0)")
    parser.add_argument(
        "--peer",
        metavar="URL",
        help="follow the producer at URL: replicate and verify its chain, serve reads, forward "
        "transactions (the chain's settings come from it)",
    )
    parser.add_argument(
        "--operator",
        metavar="USER:PASSWORD",
        help="operator credentials (or CHAINDECK_OPERATOR); default: made up and printed once",
    )
    parser.add_argument(
        "--private", action="store_true", help="require an operator token for every endpoint"
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web page origin (https://example.org) allowed to open the WebSocket; repeatable. "
        "By default only pages served from loopback may",
    )
    parser.add_argument(
        "--max-ws-clients",
        type=int,
        default=1000,
        metavar="N",
        help="WebSocket clients served at once; past that an upgrade is refused with 503 (1000)",
    )


CHAIN_OPTIONS = {
    "block_time": 0.0,
    "accounts": 10,
    "dev_seed": None,
    "balance": "1000",
    "chain_id": None,
    "difficulty": 0,
}


def config_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> NodeConfig:
    peer = args.peer
    for name, default in CHAIN_OPTIONS.items():
        if getattr(args, name) is None:
            setattr(args, name, default)
        elif peer:
            option = "--" + name.replace("_", "-")
            parser.error(f"{option} does not apply with --peer: a follower takes the producer's")
    if peer is not None:
        peer = peer.rstrip("/")
        if not peer.startswith(("http://", "https://")) or "/" in peer.split("://", 1)[1]:
            parser.error("--peer must be a node's base URL, like http://127.0.0.1:8645")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be from 0 to 65535")
    if args.block_time < 0 or args.block_time != args.block_time:
        parser.error("--block-time must be 0 or more seconds")
    if not 0 <= args.accounts <= 1000:
        parser.error("--accounts must be from 0 to 1000")
    if args.dev_seed is not None and not (
        0 < len(args.dev_seed) <= 200 and args.dev_seed.isprintable()
    ):
        parser.error("--dev-seed must be 1 to 200 printable characters")
    if args.max_ws_clients < 0:
        parser.error("--max-ws-clients must be 0 or more")
    for origin in args.allow_origin:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            parser.error("--allow-origin must be an origin like https://example.org, or *")
    if not 0 <= args.difficulty <= 32:
        parser.error("--difficulty must be from 0 to 32 bits")
    try:
        balance = coins_to_units(float(args.balance) if "." in args.balance else int(args.balance))
    except (ValueError, AmountError) as exc:
        parser.error(f"--balance must be a positive number of coins ({exc})")
    if args.chain_id is not None and not (
        0 < len(args.chain_id) <= 64 and args.chain_id.isprintable()
    ):
        parser.error("--chain-id must be 1 to 64 printable characters")
    operator = args.operator or os.environ.get("CHAINDECK_OPERATOR")
    user, password = "operator", None
    if operator:
        user, sep, password = operator.partition(":")
        if not sep or not user or not password:
            parser.error("--operator must be USER:PASSWORD")
    return NodeConfig(
        data_dir=args.data_dir or default_data_dir(),
        host=args.host,
        port=args.port,
        ephemeral=args.ephemeral,
        block_time=args.block_time,
        accounts=args.accounts,
        dev_seed=args.dev_seed,
        balance_units=balance,
        chain_id=args.chain_id,
        difficulty=args.difficulty,
        peer=peer,
        operator_user=user,
        operator_password=password,
        private=args.private,
        max_ws_clients=args.max_ws_clients,
        allow_origins=tuple(args.allow_origin),
    )


def build_parser(prog: str = "chaindeck node") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a ChainDeck node in the foreground. Prints one JSON ready line on stdout.",
    )
    add_node_arguments(parser)
    return parser


def main(argv: list[str] | None = None, prog: str = "chaindeck node") -> int:
    parser = build_parser(prog)
    config = config_from_args(parser.parse_args(argv), parser)
    from backend.server import run

    return run(config)


if __name__ == "__main__":
    sys.exit(main())
