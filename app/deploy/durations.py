"""Durations in plan files: a number of seconds, or load.md's text (`30s`, `2m`, `1h`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic.functional_validators import BeforeValidator

from app.load.plan import LoadError, parse_duration


def _seconds(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except LoadError as exc:
            raise ValueError(str(exc)) from None
    else:
        raise ValueError("a duration such as 30s, 2m or 1h")
    if seconds <= 0:
        raise ValueError("must be more than 0")
    return seconds


Seconds = Annotated[float, BeforeValidator(_seconds)]
