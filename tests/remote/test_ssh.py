"""An SSH host as deployments reach it, against real OpenSSH servers on loopback: host keys
checked (unknown refused, pinned or known accepted), a key that logs in, output streamed into
the step's log, a failing command failing clearly, SFTP, and an unreachable host said plainly."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.remote.ssh import SshError, SshHost, SshSession
from tests.helpers.sshd import SshServer, ssh_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    with ssh_server(tmp_path_factory.mktemp("sshd")) as running:
        yield running


def pinned(server: SshServer, **kw: object) -> SshHost:
    host = SshHost(
        "127.0.0.1", server.user, server.port, key=server.client_key, host_key=server.host_key
    )
    return dataclasses.replace(host, **kw)  # type: ignore[arg-type]


def test_a_command_streams_its_output_into_the_log(server: SshServer) -> None:
    lines: list[str] = []

    async def go() -> int:
        async with SshSession(pinned(server, env={"CHAINDECK_NODE": "lab 1"})) as ssh:
            return await ssh.run(
                f'cd {server.root} && echo "node $CHAINDECK_NODE" && echo oops >&2',
                lines.append,
                env={"CHAINDECK_VERSION": "0.2"},
            )

    assert asyncio.run(go()) == 0
    shown = lines[1:]  # a host's shell may add lines of its own (a login banner, a warning)
    assert "  node lab 1" in shown and "  oops" in shown
    assert shown.index("  node lab 1") < shown.index("  oops")
    assert lines[0].startswith("127.0.0.1$ cd ")


def test_a_failing_command_fails_with_its_status(server: SshServer) -> None:
    async def go() -> None:
        async with SshSession(pinned(server)) as ssh:
            await ssh.run("echo half way; exit 3", lambda _line: None)

    with pytest.raises(SshError, match="exited 3"):
        asyncio.run(go())


def test_files_go_over_sftp(server: SshServer, tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "bin").mkdir(parents=True)
    (build / "bin" / "node").write_text("#!/bin/sh\necho new build\n")
    (build / "bin" / "node").chmod(0o755)

    async def go() -> None:
        async with SshSession(pinned(server)) as ssh:
            await ssh.upload(build, str(server.root / "release-2"), lambda _line: None)

    asyncio.run(go())
    assert (server.root / "release-2" / "bin" / "node").read_text() == "#!/bin/sh\necho new build\n"


def test_an_unknown_host_is_refused_and_a_known_one_accepted(
    server: SshServer, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    stranger = SshHost("127.0.0.1", server.user, server.port, server.client_key, known_hosts=empty)
    with pytest.raises(SshError, match="host key is not known"):
        asyncio.run(SshSession(stranger).connect())
    wrong = pinned(server, host_key="ssh-ed25519 " + "A" * 68)
    with pytest.raises(SshError):
        asyncio.run(SshSession(wrong).connect())

    known = tmp_path / "known_hosts_ok"
    known.write_text(server.known_hosts_line + "\n")
    friend = SshHost("127.0.0.1", server.user, server.port, server.client_key, known_hosts=known)

    async def go() -> int:
        async with SshSession(friend) as ssh:
            return await ssh.run("true", lambda _line: None)

    assert asyncio.run(go()) == 0


def test_a_wrong_key_or_no_server_is_said_plainly(server: SshServer, tmp_path: Path) -> None:
    import subprocess

    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    refused = SshHost("127.0.0.1", server.user, server.port, other, host_key=server.host_key)
    with pytest.raises(SshError, match="login refused with the key"):
        asyncio.run(SshSession(refused).connect())
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    nobody = SshHost("127.0.0.1", server.user, closed, server.client_key, host_key=server.host_key)
    with pytest.raises(SshError, match="unreachable"):
        asyncio.run(SshSession(nobody).connect())
