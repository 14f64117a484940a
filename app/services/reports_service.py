"""File ▸ Open report…: a pipeline's report folder (a CI artefact) read into the histories of
test runs, load runs and deployments (app/pipeline/import_report.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.pipeline.import_report import ReportImportError, import_report
from app.services.lifecycle import Lifecycle
from app.storage.deploy_runs import DeployRunStore
from app.storage.load_runs import LoadRunStore
from app.storage.test_runs import TestRunStore


class ReportsService(QObject, Lifecycle):
    reportOpened = Signal(str)  # what came in, for the user
    reportRefused = Signal(str)  # why not

    def __init__(
        self,
        tests: TestRunStore,
        load: LoadRunStore,
        deploy: DeployRunStore,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.tests, self.load, self.deploy = tests, load, deploy

    async def open_report(self, folder: Path) -> dict[str, int] | None:
        try:
            counts = await import_report(folder, self.tests, self.load, self.deploy)
        except ReportImportError as exc:
            self.reportRefused.emit(str(exc))
            return None
        shown = ", ".join(
            f"{n} {kind} run{'s' if n != 1 else ''}" for kind, n in counts.items() if n
        )
        self.reportOpened.emit(f"{folder.name}: {shown or 'no runs in it'} added to the history")
        return counts
