"""What a producer tells a follower that no signature covers: the labels of its wallets, which
come on transactions (`fromLabel`, `toLabel`) in block ranges, on the feed and in answers. They
are checked before they are believed (node-api.md, "Followers trust what is signed")."""

from __future__ import annotations

import logging

import orjson

from backend.chain.block import Block, InvalidBlock
from backend.chain.block_json import block_from_json
from backend.chain.crypto import is_address
from backend.node.wallets import LABEL_RE, WalletBook

log = logging.getLogger("chaindeck.follower")


def labels_in(txs: object) -> dict[str, str]:
    """The wallet labels the producer put on transactions (`fromLabel`, `toLabel`)."""
    found: dict[str, str] = {}
    for tx in txs if isinstance(txs, list) else ():
        if not isinstance(tx, dict):
            continue
        for side in ("from", "to"):
            address, label = tx.get(side), tx.get(f"{side}Label")
            if isinstance(address, str) and isinstance(label, str) and label:
                found[address] = label
    return found


def parse_blocks(raw: bytes) -> tuple[list[Block], InvalidBlock | None, dict[str, str]]:
    """The blocks that parse, up to the first that does not (and why it does not): the good
    ones before a bad one are still applied. And the labels on their transactions."""
    try:
        items = orjson.loads(raw)
    except ValueError:
        return [], InvalidBlock("blocks/range answered something that is not JSON"), {}
    if not isinstance(items, list):
        return [], InvalidBlock("blocks/range did not answer a list"), {}
    blocks: list[Block] = []
    labels: dict[str, str] = {}
    for item in items:
        try:
            blocks.append(block_from_json(item))
        except InvalidBlock as exc:
            return blocks, exc, labels
        labels.update(labels_in(item.get("transactions")))
    return blocks, None, labels


def learn_unsigned(wallets: WalletBook, labels: dict[str, str]) -> list[tuple[str, str]]:
    """Take the producer's labels into `wallets`; returns the (address, label) pairs refused.

    Whoever sits between producer and follower could write any label. So a label must look like
    one, an address keeps the first label it was given, and a label known here is never moved to
    another address (a relay that rewrote `toLabel` made `wallet1` resolve to its own address).
    """
    refused: list[tuple[str, str]] = []
    for address, label in labels.items():
        if wallets.labels.get(address) == label:
            continue
        if not is_address(address) or not LABEL_RE.fullmatch(label):
            refused.append((address, label))
            continue
        if address in wallets.labels or label in wallets.by_label:
            refused.append((address, label))
            continue
        wallets.labels[address] = label
        wallets.by_label[label] = address
    return refused


class LabelLearner:
    """A follower's learning of the producer's labels, before anything that shows them is
    served (so two reads never differ by a label learnt in between), warning once a run about
    a label it refused."""

    def __init__(self, wallets: WalletBook) -> None:
        self.wallets = wallets
        self.warned = False

    def learn(self, labels: dict[str, str]) -> None:
        refused = learn_unsigned(self.wallets, labels)
        if refused and not self.warned:
            address, label = refused[0]
            log.warning(
                "ignored the producer's label %r for %s: it would rebind a label this follower "
                "knows",
                label,
                address,
            )
            self.warned = True
