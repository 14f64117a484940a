"""The Load tab starting a worker on another machine over SSH (offscreen; a real OpenSSH server
on loopback as that machine, real Locust, the embedded devnet): the hosts checked as typed, the
run's verdict naming each worker, and the settings kept with the run."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from main import Composition
from tests.helpers.sshd import chaindeck_on, ssh_server
from tests.widgets.test_load_panel import run_once


def test_a_load_run_with_a_worker_on_an_ssh_host(
    qtbot: QtBot, deck: Composition, tmp_path: Path
) -> None:
    with ssh_server(tmp_path / "host") as host:
        known = tmp_path / "known_hosts"
        known.write_text(host.known_hosts_line + "\n")
        where = f"{host.user}@127.0.0.1:{host.port}"
        panel = deck.window.load_panel
        form = panel.form
        form.scenario.setCurrentText("reads")
        form.users.setValue(4)
        form.duration.setText("2s")
        form.drain.setText("2s")
        form.workers.setValue(1)

        form.remote.setChecked(True)
        assert not form.check() and "no hosts" in form.worker_check.text()
        form.ssh_workers.setText("loadhost")  # no user: refused as typed
        assert "'loadhost': USER@HOST or USER@HOST:PORT" in form.worker_check.text()
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        assert panel.message.text() == "fix the SSH hosts first"
        form.ssh_workers.setText(where)
        assert form.worker_check.text() == "1 host"
        form.ssh_key.setText(str(host.client_key))
        form.ssh_known_hosts.setText(str(known))
        form.ssh_chaindeck.setText(str(chaindeck_on(host)))

        run = run_once(qtbot, deck, panel)
        assert run["status"] == "SUCCEEDED", run["message"]
        verdict = panel.verdict.text()
        assert f"{where} pid " in verdict and " requests (0 failed)" in verdict
        summary = run["summary"]
        assert isinstance(summary, dict) and summary["workers"] == 2

        # The run keeps its remote settings: "Run again" fills them back in.
        form.remote.setChecked(False)
        form.ssh_workers.clear()
        panel.history_table.selectRow(0)
        qtbot.waitUntil(lambda: panel.again_button.isEnabled())
        qtbot.mouseClick(panel.again_button, Qt.MouseButton.LeftButton)
        assert form.remote.isChecked() and form.ssh_workers.text() == where
        assert form.ssh_key.text() == str(host.client_key)
