"""OpenSSH servers on loopback for the tests of SSH targets: one per "host", each with its own
folder (its files, its host key, its authorized key) and a port of its own; a throwaway client
key logs in. Skipped, saying why, where Debian's openssh-server is not installed."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


@dataclass(frozen=True)
class SshServer:
    port: int
    root: Path  # the host's own folder: what its commands work in
    host_key: str  # "ssh-ed25519 AAAA…" (the public half, for a pin or known_hosts)
    client_key: Path  # the private key that logs in
    user: str

    @property
    def known_hosts_line(self) -> str:
        return f"[127.0.0.1]:{self.port} {self.host_key}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def need_sshd() -> None:
    if not Path(SSHD).exists() or shutil.which("ssh-keygen") is None:
        pytest.skip("OpenSSH's server is not installed (Debian package openssh-server)")
    if os.geteuid() != 0:
        pytest.skip("sshd logs users in only when it runs as root")


@contextmanager
def ssh_server(folder: Path) -> Iterator[SshServer]:
    need_sshd()
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # its privilege-separation folder
    folder.mkdir(parents=True, exist_ok=True)
    root = folder / "host"
    root.mkdir()
    _keygen(folder / "host_key")
    _keygen(folder / "client_key")
    authorized = folder / "authorized_keys"
    shutil.copy(folder / "client_key.pub", authorized)
    authorized.chmod(0o600)
    port = _free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1:{port}\n"
        f"HostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {authorized}\n"
        f"PidFile {folder / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\nAllowTcpForwarding yes\n"
        "PermitUserEnvironment no\nAcceptEnv CHAINDECK_*\nSubsystem sftp internal-sftp\n"
        "LogLevel ERROR\n"
        # the host's own programs first (a stand-in systemctl, say), then the system's
        f"SetEnv PATH={root / 'bin'}:/usr/local/bin:/usr/bin:/bin\n"
    )
    with open(folder / "sshd.log", "wb") as sshd_log:
        proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=sshd_log)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "sshd.log").read_text(errors="replace")
                    raise RuntimeError(f"sshd did not start: {log}") from None
                time.sleep(0.05)
        host_key = " ".join((folder / "host_key.pub").read_text().split()[:2])
        user = os.environ.get("USER") or "root"
        yield SshServer(port, root, host_key, folder / "client_key", user)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def chaindeck_on(host: SshServer) -> Path:
    """`chaindeck` as that machine runs it (this checkout, from the host's own folder, with the
    machine's shared temporary folder in `host.root / "tmp"`)."""
    root = Path(__file__).resolve().parents[2]
    chaindeck = host.root / "chaindeck"
    (host.root / "tmp").mkdir(mode=0o1777, exist_ok=True)
    chaindeck.write_text(
        f"#!/bin/sh\ncd {shlex.quote(str(host.root))}\n"
        f'HOME="$PWD" TMPDIR="$PWD/tmp" PYTHONPATH={shlex.quote(str(root))} '
        f'exec {sys.executable} -m app "$@"\n'
    )
    chaindeck.chmod(0o755)
    return chaindeck
