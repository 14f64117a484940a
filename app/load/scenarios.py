"""The built-in scenarios (shared/spec/load.md): their locustfiles and the request names each
records, so a threshold narrowed to an endpoint that the scenario never calls is refused before
the run starts."""

from __future__ import annotations

from pathlib import Path

LOCUSTFILES = Path(__file__).resolve().parent / "locustfiles"

NATIVE_READS = (
    "/api/v1/blocks",
    "/api/v1/blocks/{ref}",
    "/api/v1/transactions/{hash}",
    "/api/v1/wallets/{ref}/balance",
    "/api/v1/network/status",
)
NATIVE_SEND = "/api/v1/transactions/raw"
NATIVE_SUBSCRIBE = "/ws"
ETHEREUM_READS = ("eth_blockNumber", "eth_getBlockByNumber", "eth_getTransactionByHash",
                  "eth_getBalance")  # fmt: skip
ETHEREUM_SEND = "eth_sendRawTransaction"
ETHEREUM_SUBSCRIBE = "eth_subscribe newHeads"

SCENARIOS = ("transfers", "reads", "subscribers", "mixed")


def locustfile(scenario: str, kind: str = "native") -> Path:
    """The scenario's locustfile for the node's protocol; a user's own file as it is."""
    if scenario in SCENARIOS:
        prefix = "ethereum_" if kind == "ethereum" else ""
        return LOCUSTFILES / f"{prefix}{scenario}.py"
    return Path(scenario).resolve()


def endpoint_names(scenario: str, kind: str | None) -> set[str]:
    """Request names the scenario records (both protocols' when the kind is not known yet)."""
    kinds = [kind] if kind in ("native", "ethereum") else ["native", "ethereum"]
    names: set[str] = set()
    for k in kinds:
        send = NATIVE_SEND if k == "native" else ETHEREUM_SEND
        reads = NATIVE_READS if k == "native" else ETHEREUM_READS
        subscribe = NATIVE_SUBSCRIBE if k == "native" else ETHEREUM_SUBSCRIBE
        names |= {
            "transfers": {send},
            "reads": set(reads),
            "subscribers": {subscribe},
            "mixed": {send, *reads},
        }[scenario]
    return names
