"""The devnet's dev wallet keys, derived from its dev seed (`chaindeck node --dev-seed`): shown
and exported for scripts, like anvil's and Ganache's published accounts. Only the wallets whose
address the seed reproduces are listed, so a chain made with another seed (or none) shows none."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from app.signing import Signer, dev_wallet_seed

DEV_LABEL = re.compile(r"wallet([1-9][0-9]{0,3})")
WARNING = (
    "Devnet keys, derived from a published seed: anyone who knows the seed has them. "
    "Never send anything of value to these addresses on another chain."
)


def dev_keys(dev_seed: str | None, wallets: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Label, address and private key (the ed25519 seed, hex) of each dev wallet in `wallets`
    (the node's managed wallets) that `dev_seed` derives."""
    if not dev_seed:
        return []
    found = []
    for wallet in wallets:
        match = DEV_LABEL.fullmatch(str(wallet.get("label") or ""))
        if not match:
            continue
        seed = dev_wallet_seed(dev_seed, int(match.group(1)))
        if Signer("", seed).address == wallet.get("address"):
            found.append(
                {"label": match.group(0), "address": wallet["address"], "privateKey": seed.hex()}
            )
    return found


def export(path: Path, dev_seed: str, chain_id: str, keys: list[dict[str, str]]) -> None:
    """A JSON file only its owner reads (the keys are published, the habit is not)."""
    document = {
        "warning": WARNING,
        "chainId": chain_id,
        "devSeed": dev_seed,
        "derivation": 'BLAKE2b-256("chaindeck-dev-wallet:<devSeed>:<n>") for wallet<n>',
        "wallets": keys,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=2)
        file.write("\n")
