"""Keys, addresses, signing bytes and hashes exactly as node-api.md defines them.

The vectors were produced once and are frozen here; the signature is also checked against an
independent ed25519 implementation (`cryptography`/OpenSSL), and RFC 8032 test 1 pins the curve.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.chain.crypto import Keypair, address_from_public_key, verify
from backend.chain.transaction import (
    Transaction,
    sign_transfer,
    signing_bytes,
    signing_bytes_reference,
)

SEED = bytes(range(32))
PUBLIC_KEY = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
ADDRESS = "0x9d24e2eeaf27c2a088a564a32fc03a882dcd9804"
TO = "0x" + "ab" * 20
MESSAGE = (
    b'{"amount":150000000,"chainId":"chaindeck-devnet","fee":10000,'
    b'"from":"0x9d24e2eeaf27c2a088a564a32fc03a882dcd9804","memo":"h\\u00e9llo","nonce":7,'
    b'"to":"0xabababababababababababababababababababab"}'
)
SIGNATURE = (
    "96479cea83b731f3d213a5f3c44785b3420bd884e47726fe79d7a9bbfccd49c1"
    "4d4cd97aa06572cfa60f3fc59c10933b78afc14eb89a93b63f44fcaadd33ea09"
)
TX_HASH = "0x5e749023c2e42b85d51dc408c14ece057040e6e8b4ed3b08419f87100763bb64"

# RFC 8032, section 7.1, TEST 1: the empty message.
RFC_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
RFC_SIGNATURE = (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
    "d25bf5f0595bbe24655141438e7a100b"
)


def test_rfc8032_vector() -> None:
    key = Keypair(RFC_SEED)
    assert key.public_key.hex() == RFC_PUBLIC
    assert key.sign(b"").hex() == RFC_SIGNATURE


def test_address_is_first_20_bytes_of_blake2b_256_of_the_public_key() -> None:
    key = Keypair(SEED)
    assert key.public_key.hex() == PUBLIC_KEY
    assert key.address == ADDRESS
    expected = "0x" + hashlib.blake2b(key.public_key, digest_size=32).digest()[:20].hex()
    assert address_from_public_key(key.public_key) == expected == ADDRESS


def test_signing_bytes_are_sorted_compact_json_with_units_and_escaped_unicode() -> None:
    message = signing_bytes("chaindeck-devnet", ADDRESS, TO, 150_000_000, 10_000, 7, "héllo")
    assert message == MESSAGE


def test_signature_and_hash_match_the_vectors() -> None:
    tx = sign_transfer(Keypair(SEED), "chaindeck-devnet", TO, 150_000_000, 10_000, 7, "héllo")
    assert tx.message == MESSAGE
    assert tx.signature.hex() == SIGNATURE
    assert tx.hash == TX_HASH
    assert tx.hash == "0x" + hashlib.blake2b(MESSAGE + tx.signature, digest_size=32).hexdigest()


def test_an_independent_ed25519_implementation_agrees() -> None:
    other = Ed25519PrivateKey.from_private_bytes(SEED)
    assert other.sign(MESSAGE).hex() == SIGNATURE
    assert verify(bytes.fromhex(PUBLIC_KEY), MESSAGE, bytes.fromhex(SIGNATURE))


def test_any_change_breaks_the_signature() -> None:
    tx = sign_transfer(Keypair(SEED), "chaindeck-devnet", TO, 150_000_000, 10_000, 7, "héllo")
    assert tx.signature_valid()
    for change in (
        {"amount": 150_000_001},
        {"fee": 10_001},
        {"nonce": 8},
        {"memo": "hello"},
        {"recipient": "0x" + "cd" * 20},
        {"chain_id": "other"},
    ):
        fields = {
            "chain_id": tx.chain_id,
            "sender": tx.sender,
            "recipient": tx.recipient,
            "amount": tx.amount,
            "fee": tx.fee,
            "nonce": tx.nonce,
            "memo": tx.memo,
            "public_key": tx.public_key,
            "signature": tx.signature,
        } | change
        assert not Transaction(**fields).signature_valid(), change


def test_a_key_that_does_not_match_from_is_invalid() -> None:
    tx = sign_transfer(Keypair(SEED), "chaindeck-devnet", TO, 1, 10_000, 0)
    other = Keypair(bytes(32))
    forged = Transaction(
        chain_id=tx.chain_id,
        sender=tx.sender,
        recipient=tx.recipient,
        amount=tx.amount,
        fee=tx.fee,
        nonce=tx.nonce,
        memo=tx.memo,
        public_key=other.public_key,
        signature=other.sign(tx.message),
    )
    assert not forged.signature_valid()


@settings(max_examples=500, deadline=None)
@given(
    chain_id=st.text(),
    sender=st.text(),
    recipient=st.text(),
    amount=st.integers(0, 2**62),
    fee=st.integers(0, 2**62),
    nonce=st.integers(0, 2**53),
    memo=st.text(),
)
def test_fast_signing_bytes_equal_the_spec_definition(
    chain_id: str, sender: str, recipient: str, amount: int, fee: int, nonce: int, memo: str
) -> None:
    args = (chain_id, sender, recipient, amount, fee, nonce, memo)
    assert signing_bytes(*args) == signing_bytes_reference(*args)


def test_fast_signing_bytes_on_awkward_strings() -> None:
    for memo in ("", '"', "\\", "\n\t\r\x00\x1f\x7f", "é€😀", "\ud800", "</script>"):
        args = ("c", ADDRESS, TO, 1, 2, 3, memo)
        assert signing_bytes(*args) == signing_bytes_reference(*args)
