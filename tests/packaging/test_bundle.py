"""`make bundle` builds the one-folder installer bundle, and the bundle works on its own: the
CLI, the node (with its verifier processes) and the window with its embedded node."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from backend.chain.units import COIN
from tests.helpers.node_process import OPERATOR, NodeProcess
from tests.helpers.wallet import TestWallet, fund, wait_confirmed

ROOT = Path(__file__).resolve().parents[2]
PAYEE = "0x" + "42" * 20

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    # `-o` leaves the venv stamp alone: the test runs inside that venv already.
    subprocess.run(
        [
            "make",
            "-s",
            "-o",
            ".venv/.installed-stamp",
            "bundle",
            f"PY={sys.executable}",
            f"BUNDLE_DIST={out / 'dist'}",
            f"BUNDLE_WORK={out / 'work'}",
        ],
        cwd=ROOT,
        check=True,
        timeout=840,
    )
    executable = out / "dist" / "chaindeck" / "chaindeck"
    assert executable.is_file() and os.access(executable, os.X_OK)
    return executable


def isolated_env(home: Path) -> dict[str, str]:
    """Nothing from the source tree or the user's home may leak into the bundle's run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        QT_QPA_PLATFORM="offscreen",
        CHAINDECK_PARENT_PID=str(os.getpid()),
    )
    return env


def test_version(bundle: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(bundle), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=isolated_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("chaindeck 0.")


@pytest.fixture
def bundled_node(bundle: Path, tmp_path: Path) -> Iterator[NodeProcess]:
    node = NodeProcess(launcher=[str(bundle)], env=isolated_env(tmp_path))
    node.start(timeout=60)
    try:
        yield node
    finally:
        node.stop()


def test_node_serves_and_verifies_signed_transfers(bundled_node: NodeProcess) -> None:
    assert bundled_node.ready["event"] == "ready" and bundled_node.ready["role"] == "producer"
    # A signed transfer goes through the node's verifier processes, which the frozen
    # executable has to start as itself (multiprocessing's spawn + freeze_support).
    with bundled_node.client() as client:
        assert client.get("/health").json()["status"] == "ok"
        token = bundled_node.token()
        wallet = TestWallet(bundled_node.ready["chainId"])
        wait_confirmed(client, fund(client, token, wallet.address, 5, source="wallet1"))
        # More than the node verifies inline: the batch goes to the worker processes.
        batch = [wallet.sign(PAYEE, COIN // 10) for _ in range(20)]
        response = client.post("/api/v1/transactions/batch", json=batch)
        assert response.status_code == 200, response.text
        accepted = response.json()["accepted"]
        assert len(accepted) == 20, response.text
        wait_confirmed(client, accepted[-1])
        balance = client.get(f"/api/v1/wallets/{PAYEE}/balance").json()
    assert balance["balance"] == 2.0


def test_test_runs_work_from_the_bundle(
    bundle: Path, bundled_node: NodeProcess, tmp_path: Path
) -> None:
    env = isolated_env(tmp_path)
    env.update(CHAINDECK_TARGET_USER=OPERATOR[0], CHAINDECK_TARGET_PASSWORD=OPERATOR[1])
    done = subprocess.run(
        [str(bundle), "test", bundled_node.url, "--suite", "e2e", "--json", "report.json"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed: 3 passed" in done.stdout


def test_load_runs_work_from_the_bundle(
    bundle: Path, bundled_node: NodeProcess, tmp_path: Path
) -> None:
    """Locust's master and worker run as the bundle's own executable, its locustfiles on disk."""
    env = isolated_env(tmp_path)
    env.update(CHAINDECK_TARGET_USER=OPERATOR[0], CHAINDECK_TARGET_PASSWORD=OPERATOR[1])
    done = subprocess.run(
        [
            str(bundle),
            "load",
            bundled_node.url,
            "--users",
            "2",
            "--duration",
            "2s",
            "--json",
            "--html",
            "load.html",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["transactions"]["included"] > 0 and summary["errors"] == {}
    assert "Plotly.newPlot(" in (tmp_path / "load.html").read_text()  # plotly.js came along


def listening_port(process: psutil.Process) -> int | None:
    for conn in process.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN:
            return conn.laddr.port
    return None


def test_window_starts_its_embedded_node_through_the_same_executable(
    bundle: Path, tmp_path: Path
) -> None:
    log = (tmp_path / "gui.log").open("wb")
    gui = subprocess.Popen(
        [str(bundle), "--data-dir", str(tmp_path / "app")],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=isolated_env(tmp_path),
        start_new_session=True,
    )
    try:
        node, port = None, None
        deadline = time.monotonic() + 90
        while port is None and time.monotonic() < deadline and gui.poll() is None:
            time.sleep(0.5)
            children = psutil.Process(gui.pid).children(recursive=True)
            node = next((c for c in children if c.cmdline()[1:2] == ["node"]), None)
            port = listening_port(node) if node else None
        assert gui.poll() is None, (tmp_path / "gui.log").read_text()
        assert node is not None and port is not None, "no embedded node is listening"
        assert node.cmdline()[0] == str(bundle)
        status = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).json()
        assert status["height"] == 0
        gui.send_signal(signal.SIGTERM)
        assert gui.wait(60) == 0, (tmp_path / "gui.log").read_text()
        node.wait(30)  # the app stops its node on the way out
    finally:
        if gui.poll() is None:
            os.killpg(gui.pid, signal.SIGKILL)
            gui.wait(10)
        log.close()


def make_package(target: str, bundle: Path) -> subprocess.CompletedProcess[str]:
    """`make deb` / `make appimage` on the bundle built above (`-o bundle`: not built again)."""
    return subprocess.run(
        ["make", "-s", "-o", ".venv/.installed-stamp", "-o", "bundle", target,
         f"PY={sys.executable}", f"BUNDLE_DIST={bundle.parent.parent}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        # uncompressed: gzip is dpkg-deb's work, not ours, and took most of this test's time
        env={**os.environ, "DEB_COMPRESSION": "none"},
    )  # fmt: skip


def test_make_deb_installs_chaindeck_its_menu_entry_and_icon(bundle: Path, tmp_path: Path) -> None:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed (Debian package dpkg)")
    done = make_package("deb", bundle)
    assert done.returncode == 0, done.stdout + done.stderr
    deb = Path(done.stdout.strip().splitlines()[-1])
    assert deb.name.startswith("chaindeck_0.") and deb.suffix == ".deb"
    info = subprocess.run(["dpkg-deb", "--field", str(deb)], capture_output=True, text=True)
    assert "Package: chaindeck" in info.stdout and "libxcb-cursor0" in info.stdout
    # `dpkg -i` into a scratch root: the real thing, without touching this machine's packages.
    root = tmp_path / "root"
    admin = root / "var" / "lib" / "dpkg"
    for folder in ("info", "updates", "triggers"):
        (admin / folder).mkdir(parents=True)
    (admin / "status").write_text("")
    installed = subprocess.run(
        ["dpkg", f"--root={root}", "--force-depends", "--force-not-root",
         "--force-script-chrootless", "--no-triggers", "-i", str(deb)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    share = root / "usr" / "share"
    assert (share / "applications" / "chaindeck.desktop").is_file()
    assert (share / "icons" / "hicolor" / "256x256" / "apps" / "chaindeck.png").is_file()
    assert (share / "metainfo" / "org.chaindeck.ChainDeck.metainfo.xml").is_file()
    version = subprocess.run(
        [str(root / "usr" / "bin" / "chaindeck"), "--version"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=isolated_env(tmp_path),
    )  # fmt: skip
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("chaindeck 0.")


def test_make_appimage_builds_a_runnable_appdir(bundle: Path, tmp_path: Path) -> None:
    done = make_package("appimage", bundle)
    app_dir = bundle.parent.parent / "ChainDeck.AppDir"
    if done.returncode != 0:  # no appimagetool here: the AppDir, and a clear word on the tool
        assert "appimagetool is not installed" in done.stderr, done.stdout + done.stderr
    for name in ("AppRun", "chaindeck.desktop", "chaindeck.png", ".DirIcon"):
        assert (app_dir / name).exists(), name
    version = subprocess.run(
        [str(app_dir / "AppRun"), "--version"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env=isolated_env(tmp_path),
    )  # fmt: skip
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("chaindeck 0.")
