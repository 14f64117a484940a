"""A verifier process: checks signatures for the node (backend/node/verifier.py).

Imports no asyncio (70 ms of a start), and the chain code only when it first checks.
"""

from __future__ import annotations

import os
import socket

from backend.child_link import child_setup, serve

VERIFIER_NICENESS = 5
Item = tuple[bytes, bytes, bytes, str]  # public key, signing bytes, signature, sender


def verify_items(items: list[Item]) -> list[bool]:
    from backend.chain.crypto import address_from_public_key, verify

    return [
        len(pk) == 32
        and len(sig) == 64
        and address_from_public_key(pk) == sender
        and verify(pk, msg, sig)
        for pk, msg, sig, sender in items
    ]


class _Checker:
    def verify(self, items: list[Item]) -> list[bool]:
        return verify_items(items)


def verifier_main(sock: socket.socket, parent: int) -> None:
    child_setup(parent)
    # The event loop and the database writer are the serial path every transaction takes;
    # when the cores are short, they go first and the verifiers take the time left over.
    if hasattr(os, "nice"):  # not on Windows
        os.nice(VERIFIER_NICENESS)
    serve(sock, _Checker())
