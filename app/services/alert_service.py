"""Alerts: the rules evaluated on every fleet round and every host sample, fired and resolved
alerts kept in the app's SQLite, and signals for the panel, the status bar and the tray."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.fleet.member import MemberState
from app.health.alerts import Alert, Evaluator, Facts, Rule
from app.health.series import HOST, Row
from app.services.fleet_service import FleetService
from app.services.health_service import HealthService
from app.storage.alert_store import AlertStore
from app.tasks import cancel_all, spawn


def facts_of(s: MemberState) -> Facts:
    _p50, p95 = s.latency_percentiles()
    return {
        "up": s.state in ("up", "problem"),
        "problem": s.problem,
        "behind": s.behind,
        "block_age_s": s.block_age_s(),
        "mempool": s.mempool,
        "latency_p95": p95,
        "error_pct": s.error_pct,
        "mem_pct": s.mem_pct,
    }


class AlertService(QObject):
    alertFired = Signal(object)  # Alert
    alertResolved = Signal(object)  # Alert
    activeChanged = Signal(object)  # list[Alert] firing now
    rulesChanged = Signal(object)  # list[Rule]
    recorded = Signal(object)  # Alert, once in the history

    def __init__(
        self,
        fleet: FleetService,
        health: HealthService,
        store: AlertStore,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.fleet = fleet
        self.store = store
        self.evaluator = Evaluator()
        self.evaluator.set_rules(store.rules_sync())
        self._tasks: list[asyncio.Task[Any]] = []
        self._writes = asyncio.Lock()
        fleet.fleetUpdated.connect(self._take_round)
        health.hostSampled.connect(self._take_host)

    @property
    def rules(self) -> list[Rule]:
        return list(self.evaluator.rules.values())

    @property
    def active(self) -> list[Alert]:
        return sorted(self.evaluator.firing.values(), key=lambda a: a.started)

    async def start(self) -> None:
        await self.store.close_open(time.time())

    async def stop(self) -> None:
        await cancel_all(self._tasks)

    async def set_rules(self, rules: list[Rule]) -> None:
        await self.store.save_rules(rules)
        self._changed(self.evaluator.set_rules(rules))
        self.rulesChanged.emit(self.rules)

    async def history(self, limit: int = 500) -> list[Alert]:
        return await self.store.history(limit)

    # -- evaluation ---------------------------------------------------------------------------
    def _take_round(self, _cluster: str, states: list[MemberState]) -> None:
        changed: list[Alert] = []
        for state in states:
            if state.state != "unknown":
                changed += self.evaluator.evaluate(state.name, facts_of(state))
        self._changed(changed)

    def _take_host(self, row: Row) -> None:
        """Every second: this host's rules, and the end of alerts on nodes no longer watched
        (a stopped cluster sends no more rounds, so its own rounds cannot do it)."""
        changed = self.evaluator.evaluate(HOST, {"up": True, "mem_pct": row.get("mem_pct")})
        watched = {s.name for members in self.fleet.states.values() for s in members}
        changed += self.evaluator.forget(watched | {HOST})
        self._changed(changed)

    def _changed(self, alerts: list[Alert]) -> None:
        if not alerts:
            return
        for alert in alerts:
            (self.alertFired if alert.firing else self.alertResolved).emit(alert)
            spawn(self._tasks, self._record(alert), "alert-record")
        self.activeChanged.emit(self.active)

    async def _record(self, alert: Alert) -> None:
        # One at a time, in order: a quick resolve must find the id its firing insert gave.
        async with self._writes:
            await self.store.record(alert)
        self.recorded.emit(alert)
