"""What a node is started with (the `chaindeck node` options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_CHAIN_ID = "chaindeck-devnet"
DEFAULT_PORT = 8645
MIN_FEE_UNITS = 10_000  # 0.0001 coin
MAX_BLOCK_TXS = 5_000


@dataclass(slots=True)
class NodeConfig:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    ephemeral: bool = False
    block_time: float = 0.0
    accounts: int = 10
    dev_seed: str | None = None  # dev wallets' keys derived from it; None: random keys
    balance_units: int = 1000 * 100_000_000
    chain_id: str | None = None
    difficulty: int = 0
    peer: str | None = None
    operator_user: str = "operator"
    operator_password: str | None = None
    private: bool = False
    min_fee: int = MIN_FEE_UNITS
    max_block_txs: int = MAX_BLOCK_TXS
    ws_queue: int = 1024
    max_ws_clients: int = 1000
    allow_origins: tuple[str, ...] = ()

    @property
    def db_path(self) -> Path:
        return self.data_dir / "chain.sqlite3"
