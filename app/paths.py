"""Where the app keeps its files: one root (platformdirs, or `--data-dir`) and fixed names in it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_root() -> Path:
    """`CHAINDECK_DATA_DIR` when set (a CI job keeps its clusters and runs in its workspace),
    else the platform's user data dir."""
    if os.environ.get("CHAINDECK_DATA_DIR"):
        return Path(os.environ["CHAINDECK_DATA_DIR"])
    from platformdirs import user_data_dir

    return Path(user_data_dir("chaindeck", appauthor=False))


def default_logs() -> Path:
    """The platform's log folder (~/.local/state/chaindeck/log, ~/Library/Logs/chaindeck,
    %LOCALAPPDATA%\\chaindeck\\Logs)."""
    from platformdirs import user_log_dir

    return Path(user_log_dir("chaindeck", appauthor=False))


@dataclass(frozen=True)
class AppPaths:
    root: Path
    log_root: Path | None = None  # None: the logs live in the root (a chosen data dir)

    @classmethod
    def at(cls, root: Path | None = None) -> AppPaths:
        """`root` or CHAINDECK_DATA_DIR keeps everything, logs included, in one folder (a test,
        a CI job); otherwise the platform's data folder, and its log folder for the logs. Both
        are created."""
        paths = cls.of(root)
        paths.root.mkdir(parents=True, exist_ok=True)
        paths.logs.mkdir(parents=True, exist_ok=True)
        return paths

    @classmethod
    def of(cls, root: Path | None = None) -> AppPaths:
        """The same paths, creating nothing: for a command that only looks up what is there (a
        mistyped profile name must not leave a data folder behind)."""
        chosen = root is not None or bool(os.environ.get("CHAINDECK_DATA_DIR"))
        return cls(
            (root or default_root()).expanduser().resolve(),
            None if chosen else default_logs(),
        )

    @property
    def database(self) -> Path:
        return self.root / "chaindeck.db"

    @property
    def metrics(self) -> Path:
        """Health history (app/storage/metrics_store.py): its own file, so its steady writes
        never wait on or bloat the profiles and runs database."""
        return self.root / "metrics.db"

    @property
    def devnet(self) -> Path:
        """The embedded devnet's chain (the node's own data dir)."""
        return self.root / "devnet"

    @property
    def clusters(self) -> Path:
        """Local clusters, a folder each (app/clusters/folder.py)."""
        return self.root / "clusters"

    @property
    def logs(self) -> Path:
        return self.log_root or self.root / "logs"

    @property
    def app_log(self) -> Path:
        return self.logs / "chaindeck.log"

    @property
    def crash_log(self) -> Path:
        """Where faulthandler writes the Python stacks of a crash (a segfault in Qt, say)."""
        return self.logs / "crash.log"
