"""A real `chaindeck node` child process on loopback, started and always stopped by its owner."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

OPERATOR = ("operator", "test-password")


class NodeProcess:
    def __init__(
        self,
        data_dir: Path | None = None,
        *args: str,
        operator: tuple[str, str] | None = OPERATOR,
        env: dict[str, str] | None = None,
        launcher: list[str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.args = list(args)
        self.operator = operator
        self.env = env
        # How `chaindeck` is run: from source by default, or a bundle's executable.
        self.launcher = launcher or [sys.executable, "-m", "app"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready: dict[str, Any] = {}
        self.url = ""
        self.stderr_path: Path | None = None

    def command(self) -> list[str]:
        cmd = [*self.launcher, "node", "--port", "0"]
        cmd += ["--data-dir", str(self.data_dir)] if self.data_dir else ["--ephemeral"]
        if self.operator:
            cmd += ["--operator", ":".join(self.operator)]
        return cmd + self.args

    def start(self, timeout: float = 30.0) -> NodeProcess:
        log_dir = Path(os.environ.get("PYTEST_TMP", "/tmp"))
        self.stderr_path = log_dir / f"chaindeck-node-{os.getpid()}-{time.monotonic_ns()}.log"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            # The node's parent watchdog: a test or benchmark that dies never leaves a node.
            env={**os.environ, "CHAINDECK_PARENT_PID": str(os.getpid()), **(self.env or {})},
            start_new_session=True,
        )
        line = self._read_line(timeout)
        if not line:
            code = self.proc.wait(timeout=10)
            raise RuntimeError(f"node exited ({code}) before ready: {self.stderr_text()}")
        self.ready = json.loads(line)
        self.url = self.ready["url"]
        return self

    def _read_line(self, timeout: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buffer = b""
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise TimeoutError(f"no ready line in {timeout}s: {self.stderr_text()}")
            if not selector.select(left):
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
        selector.close()
        return buffer.split(b"\n", 1)[0]

    def stderr_text(self) -> str:
        if self.stderr_path and self.stderr_path.exists():
            return self.stderr_path.read_text(errors="replace")[-4000:]
        return ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Ask the node to stop; returns its exit code (escalates to SIGKILL after timeout)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()
        # Outside a test run (benchmarks) the log is only wanted when the node failed.
        if self.proc.returncode == 0 and "PYTEST_TMP" not in os.environ and self.stderr_path:
            self.stderr_path.unlink(missing_ok=True)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if getattr(self, "_stderr", None) is not None:
            self._stderr.close()

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0, **kwargs)

    def token(self) -> str:
        assert self.operator is not None
        with self.client() as client:
            response = client.post(
                "/api/v1/auth/login",
                json={"username": self.operator[0], "password": self.operator[1]},
            )
            response.raise_for_status()
            return response.json()["token"]

    def __enter__(self) -> NodeProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
