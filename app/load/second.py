"""One second of a load run, as a worker counts it and the master adds it up: requests and their
latencies (overall and per endpoint), failures grouped by error, transactions sent, accepted,
rejected by code, included and dropped, inclusion and delivery latencies. Plain dicts on the
wire (Locust's msgpack link and our JSON lines), no Locust import: the app reads them too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.load import histogram
from app.load.histogram import Buckets

ERROR_KINDS_KEPT = 50  # distinct error texts counted; the rest are "other"


@dataclass
class Endpoint:
    requests: int = 0
    failures: int = 0
    latency: Buckets = field(default_factory=dict)

    def add(self, other: dict[str, Any]) -> None:
        self.requests += other["requests"]
        self.failures += other["failures"]
        histogram.merge(self.latency, other["latency"])

    def wire(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "failures": self.failures,
            "latency": histogram.to_wire(self.latency),
        }


@dataclass
class Second:
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # HTTP status (or error) → count
    included: int = 0
    dropped: int = 0
    inclusion: Buckets = field(default_factory=dict)
    lag: Buckets = field(default_factory=dict)  # subscribers: new-block delivery lag
    lagged: int = 0  # subscribers: messages the node dropped for a slow reader
    # gauges: the latest reading of each reporting process, summed or maxed by the master
    pending: int = 0
    users: int = 0
    cpu_max: float = 0.0
    reports: int = 0  # how many processes' reports this second holds

    # -- counting, on a worker ---------------------------------------------------------------
    def request(self, name: str, ms: float, error: str | None) -> None:
        endpoint = self.endpoints.get(name) or self.endpoints.setdefault(name, Endpoint())
        endpoint.requests += 1
        histogram.add(endpoint.latency, ms)
        if error is not None:
            endpoint.failures += 1
            self.error(error)

    def error(self, text: str) -> None:
        key = text if text in self.errors or len(self.errors) < ERROR_KINDS_KEPT else "other"
        self.errors[key] = self.errors.get(key, 0) + 1

    def reject(self, code: str) -> None:
        self.rejected[code] = self.rejected.get(code, 0) + 1

    # -- adding up, on the master --------------------------------------------------------------
    def add(self, wire: dict[str, Any]) -> None:
        for name, endpoint in wire["endpoints"].items():
            self.endpoints.setdefault(name, Endpoint()).add(endpoint)
        for key, n in wire["errors"].items():
            self.errors[key] = self.errors.get(key, 0) + n
        for key, n in wire["rejected"].items():
            self.rejected[key] = self.rejected.get(key, 0) + n
        self.sent += wire["sent"]
        self.accepted += wire["accepted"]
        self.included += wire["included"]
        self.dropped += wire["dropped"]
        self.lagged += wire["lagged"]
        histogram.merge(self.inclusion, wire["inclusion"])
        histogram.merge(self.lag, wire["lag"])
        self.pending += wire["pending"]
        self.users += wire["users"]
        self.cpu_max = max(self.cpu_max, wire["cpu_max"])
        self.reports += 1

    def wire(self) -> dict[str, Any]:
        return {
            "endpoints": {name: e.wire() for name, e in self.endpoints.items()},
            "errors": self.errors,
            "sent": self.sent,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "included": self.included,
            "dropped": self.dropped,
            "inclusion": histogram.to_wire(self.inclusion),
            "lag": histogram.to_wire(self.lag),
            "lagged": self.lagged,
            "pending": self.pending,
            "users": self.users,
            "cpu_max": self.cpu_max,
        }

    # -- figures ---------------------------------------------------------------------------------
    @property
    def requests(self) -> int:
        return sum(e.requests for e in self.endpoints.values())

    @property
    def failures(self) -> int:
        return sum(e.failures for e in self.endpoints.values())

    def latency(self) -> Buckets:
        return histogram.merged(e.latency for e in self.endpoints.values())

    def tick(self, t: int, phase: str, at: int = 0) -> dict[str, Any]:
        """The spec's once-a-second line (as an event: the CLI renames `event` to `type`);
        `at` is the second's wall-clock time, to line it up with the node's own figures."""
        latency = histogram.figures(self.latency())
        return {
            "event": "tick",
            "t": t,
            "at": at,
            "phase": phase,
            "users": self.users,
            "rps": self.requests,
            "failures_s": self.failures,
            "p50": latency["p50"],
            "p95": latency["p95"],
            "p99": latency["p99"],
            "sent": self.sent,
            "accepted": self.accepted,
            "rejected": sum(self.rejected.values()),
            "included": self.included,
            "pending": self.pending,
            "dropped": self.dropped,
            "inclusion_p95": histogram.percentile(self.inclusion, 95),
            "lag_p95": histogram.percentile(self.lag, 95),
            "cpu_max": round(self.cpu_max, 1),
        }
