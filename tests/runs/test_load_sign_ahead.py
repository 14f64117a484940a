"""Transfers signed ahead in the worker's signing thread (app/load/locustfiles/sign_ahead.py)
come out in nonce order with no gap across batches, are the transfers signed field by field,
and give back exactly the nonces not sent. Run in a child process, as the load users are."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.helpers.locust_child import run_child

CHILD = textwrap.dedent(
    """
    import json
    from app.load.locustfiles.sign_ahead import BATCH, SignAhead
    from app.signing import Signer, TransferBodies, tx_hash

    def user(signer):
        return SignAhead(TransferBodies(signer, "0x" + "22" * 20, 1, 10_000))

    signer = Signer("chain-a", b"\\x11" * 32)
    ahead = user(signer)
    taken = [ahead.next() for _ in range(BATCH * 3 + 5)]
    nonces = [json.loads(body)["nonce"] for body, _ in taken]
    hashes_match = all(tx_hash(json.loads(body)) == h for body, h in taken)
    ahead.give_back()
    after_give_back = signer.nonce
    taker = user(signer)  # another user takes the sender over
    first_of_taker = json.loads(taker.next()[0])["nonce"]
    taker.restart_at(7)
    after_restart = json.loads(taker.next()[0])["nonce"]
    print(json.dumps({
        "in_order": nonces == list(range(len(nonces))),
        "hashes_match": hashes_match,
        "after_give_back": after_give_back,
        "taken": len(taken),
        "first_of_taker": first_of_taker,
        "after_restart": after_restart,
    }))
    """
)


def test_signed_ahead_in_order_and_the_unsent_given_back(tmp_path: Path) -> None:
    got = run_child(CHILD, tmp_path)
    assert got["in_order"] and got["hashes_match"]
    # the thread had signed further ahead; what was never handed out is given back
    assert got["after_give_back"] == got["taken"]
    assert got["first_of_taker"] == got["taken"]
    assert got["after_restart"] == 7
