"""Senders for a transfers run, made and funded before the clock starts, so a run never needs
keys from the user: fresh ed25519 keys, each paid from the node's richest managed wallet with the
operator's credentials, confirmed on the chain before any user sends."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.clients.errors import NodeError
from app.clients.ethereum import EthereumClient
from app.clients.native import NativeClient
from app.load.plan import LoadError
from app.signing import Signer
from app.targets import RunTarget

PER_SENDER = 10.0  # coins: 100,000 transfers at the minimum fee
CONFIRM_WITHIN = 60.0  # s
NUDGE_AFTER = 3.0  # s without a block: ask the node to seal one (a devnet that seals on demand)


@dataclass(frozen=True)
class Senders:
    chain_id: str
    seeds: list[str]  # hex; they live as long as the run's files
    addresses: list[str]
    coins_each: float
    source: str  # the managed wallet (or unlocked account) that paid them
    gas_price: int = 0  # Ethereum: wei a gas unit, twice the node's price when funded


NEEDS_OPERATOR = (
    "a transfers run funds its senders from a managed wallet: it needs the node's operator "
    "credentials (a saved profile's, or CHAINDECK_TARGET_USER and CHAINDECK_TARGET_PASSWORD)"
)


async def fund_senders(
    target: RunTarget,
    count: int,
    progress: Callable[[str], None] = lambda _m: None,
    kind: str = "native",
) -> Senders:
    if kind == "ethereum":
        return await _fund_ethereum(target, count, progress)
    client = NativeClient(target.url, target.username, target.password)
    try:
        return await _fund(client, count, progress)
    except NodeError as exc:
        if exc.status == 401 or exc.status == 403:
            raise LoadError(NEEDS_OPERATOR) from None
        raise LoadError(f"funding the senders: {exc}") from None
    finally:
        await client.close()


async def _fund(client: NativeClient, count: int, progress: Callable[[str], None]) -> Senders:
    if not client.username or client.password is None:
        raise LoadError(NEEDS_OPERATOR)
    chain_id = str((await client.status())["chainId"])
    source, coins = _source(await client.wallets(), count, "managed wallet")
    signers = [Signer(chain_id, os.urandom(32)) for _ in range(count)]
    progress(f"funding {count} senders with {coins:g} coins each from {source.get('label')}")
    for signer in signers:
        await client.send(source["address"], signer.address, coins)
    await _confirmed(client, signers[-1].address, coins, progress)
    progress(f"{count} senders funded")
    return Senders(
        chain_id,
        [bytes(s.key).hex() for s in signers],
        [s.address for s in signers],
        coins,
        source["address"],
    )


def _source(wallets: list[dict[str, Any]], count: int, what: str) -> tuple[dict[str, Any], float]:
    """The richest wallet, and what each sender gets from it: up to PER_SENDER, and never more
    than half of what it holds."""
    if not wallets:
        raise LoadError(f"the node has no {what} to fund the senders from")
    source = max(wallets, key=lambda w: float(w["balance"]))
    coins = min(PER_SENDER, round(float(source["balance"]) * 0.5 / count, 8))
    if coins < 0.01:
        raise LoadError(
            f"the richest {what} ({source.get('label') or source['address']}) holds "
            f"{source['balance']}: too little for {count} senders"
        )
    return source, coins


async def _confirmed(
    client: NativeClient, last: str, coins: float, progress: Callable[[str], None]
) -> None:
    """The source's transfers confirm in nonce order, so the last sender paid means all were."""
    started = nudged = time.monotonic()
    while time.monotonic() - started < CONFIRM_WITHIN:
        balance = await client.balance(last)
        if float(balance["balance"]) >= coins:
            return
        if time.monotonic() - nudged > NUDGE_AFTER:
            nudged = time.monotonic()
            progress("waiting for a block with the funding transfers")
            with contextlib.suppress(NodeError):  # one that refuses: its block time will do
                await client.mine(1)
        await asyncio.sleep(0.2)
    raise LoadError(f"the funding transfers were not included within {CONFIRM_WITHIN:.0f} s")


async def _fund_ethereum(target: RunTarget, count: int, progress: Callable[[str], None]) -> Senders:
    """From the node's richest unlocked account (`eth_sendTransaction`), as a devnet has."""
    from eth_account import Account  # only a run against Ethereum needs it

    client = EthereumClient(target.url)
    try:
        chain_id = int(await client.call("eth_chainId"), 16)
        gas_price = int(await client.call("eth_gasPrice"), 16) * 2
        source, coins = _source(await client.wallets(), count, "unlocked account")
        accounts = [Account.create() for _ in range(count)]
        progress(f"funding {count} senders with {coins:g} ETH each from {source['address']}")
        for account in accounts:
            await client.send(source["address"], account.address, coins)
        last = accounts[-1].address
        started = time.monotonic()
        while float((await client.balance(last))["balance"]) < coins:
            if time.monotonic() - started > CONFIRM_WITHIN:
                raise LoadError("the funding transfers were not mined in time")
            await asyncio.sleep(0.2)
    except NodeError as exc:
        raise LoadError(f"funding the senders: {exc}") from None
    finally:
        await client.close()
    progress(f"{count} senders funded")
    return Senders(
        str(chain_id),
        ["0x" + bytes(a.key).hex() for a in accounts],
        [a.address.lower() for a in accounts],
        coins,
        source["address"],
        gas_price,
    )
