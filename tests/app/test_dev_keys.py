"""Dev keys are listed only where the seed reproduces the node's wallet: a chain made with
random keys, or another seed, shows none rather than wrong ones."""

from __future__ import annotations

from app.dev_keys import dev_keys
from app.signing import Signer, dev_wallet_seed


def test_only_wallets_the_seed_derives_are_listed() -> None:
    derived = Signer("", dev_wallet_seed("s", 2)).address
    wallets = [
        {"label": "wallet1", "address": "0x" + "11" * 20},  # random key: not the seed's
        {"label": "wallet2", "address": derived},
        {"label": "savings", "address": derived},  # not a dev wallet's label
    ]
    assert dev_keys("s", wallets) == [
        {"label": "wallet2", "address": derived, "privateKey": dev_wallet_seed("s", 2).hex()}
    ]
    assert dev_keys("other", wallets) == []
    assert dev_keys(None, wallets) == [] and dev_keys("", wallets) == []
