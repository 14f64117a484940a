"""How figures read in the window: coins, ages, short hashes."""

from __future__ import annotations

import time
from typing import Any


def coins(value: Any) -> str:
    if value is None:
        return "—"
    text = f"{float(value):,.8f}".rstrip("0").rstrip(".")
    return text or "0"


def short_hash(value: str | None, keep: int = 10) -> str:
    if not value:
        return ""
    return value if len(value) <= keep + 6 else f"{value[:keep]}…{value[-4:]}"


def age(timestamp_ms: int | float, now: float | None = None) -> str:
    """How long ago, the same way in every table: "now", "12 s ago", "5 min ago", "3 h ago"."""
    return ago(max(0.0, (now or time.time()) - timestamp_ms / 1000))


def when(timestamp_ms: int | float) -> str:
    """The moment itself, for a tooltip beside an age: "2026-12-03 13:07:41"."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp_ms / 1000))


def ago(seconds: float) -> str:
    if seconds < 1:
        return "now"
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds // 3600:.0f} h ago"
    return f"{seconds // 86400:,.0f} d ago"


def size(n: int) -> str:
    return f"{n:,} B" if n < 10_000 else f"{n / 1024:,.1f} KiB"


def rate(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}{unit}" if value < 100 else f"{value:,.0f}{unit}"


def plural(count: int, noun: str, many: str | None = None) -> str:
    """ "1 alert", "3 alerts", "1,200 nodes"."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"
