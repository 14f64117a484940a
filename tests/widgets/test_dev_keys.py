"""The devnet's dev wallet keys: shown with a warning, the same on every machine (derived from
the dev seed as the contract says), usable to sign, exported for scripts."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import httpx
from nacl.signing import SigningKey
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.signing import Signer, TransferBodies
from main import Composition


def address_of(private_key_hex: str) -> str:
    public = bytes(SigningKey(bytes.fromhex(private_key_hex)).verify_key)
    return "0x" + hashlib.blake2b(public, digest_size=32).digest()[:20].hex()


def test_dev_keys_are_shown_usable_and_exported(
    qtbot: QtBot, deck: Composition, tmp_path: Path
) -> None:
    panel = deck.window.wallets_panel
    assert not panel.keys_button.isHidden()  # the devnet is shown
    dialog = panel.open_dev_keys()
    assert (
        "anyone who knows the seed has them"
        in dialog.findChild(type(dialog.message), "devKeysWarning").text()
    )
    assert [k["label"] for k in dialog.keys] == [f"wallet{n}" for n in range(1, 11)]
    for n, key in enumerate(dialog.keys, start=1):  # the contract's derivation, recomputed here
        seed = hashlib.blake2b(f"chaindeck-dev-wallet:chaindeck:{n}".encode(), digest_size=32)
        assert key["privateKey"] == seed.hexdigest()
        assert key["address"] == address_of(key["privateKey"])

    dialog.copy_key()
    assert QApplication.clipboard().text() == dialog.keys[0]["privateKey"]

    # The key is the wallet's: a transfer signed with it outside the app is accepted.
    chain_id = deck.node.status["chainId"]
    signer = Signer(chain_id, bytes.fromhex(dialog.keys[0]["privateKey"]))
    body, tx_hash = TransferBodies(signer, dialog.keys[1]["address"], 100_000_000, 10_000).next()
    assert deck.devnet.url is not None
    answer = httpx.post(
        deck.devnet.url + "/api/v1/transactions/raw",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["hash"] == tx_hash

    target = tmp_path / "keys.json"
    dialog.export(str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    exported = json.loads(target.read_text())
    assert exported["devSeed"] == "chaindeck" and exported["chainId"] == chain_id
    assert exported["wallets"] == dialog.keys
    assert "Exported 10 keys" in dialog.message.text()
    dialog.reject()
