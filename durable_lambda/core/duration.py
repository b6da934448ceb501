"""``Duration``: a span of time in whole, non-negative seconds, as every config states time."""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from durable_lambda.core.config_base import ConfigModel
from durable_lambda.core.errors import ValidationError

__all__ = ["Duration"]


def _whole_seconds(value: object) -> object:
    """Let a float through only when it is a whole number of seconds (up to float rounding)."""
    if isinstance(value, bool):
        raise ValueError("must be a number of seconds, not a bool")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number of seconds")
        nearest = round(value)
        # 0.1 hour is 360.00000000000006 s in floating point: that is still a whole 360.
        if abs(value - nearest) > 1e-9 * max(1.0, abs(value)):
            raise ValueError("must be a whole number of seconds")
        return nearest
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scaled(value: Any, factor: float) -> Any:
    """``value * factor`` for a number; anything else is left for validation to reject."""
    return value * factor if _is_number(value) else value


@functools.total_ordering
class Duration(ConfigModel):
    """A span of time in whole seconds, never negative.

    Months and years are fixed lengths (the official SDK defines neither): a month is 30 days and
    a year 365 days. Float inputs are accepted only where they come to whole seconds.

    Args:
        seconds: The length in seconds (positional or keyword); 0 by default.

    Raises:
        ValidationError: for a negative, fractional, non-finite or non-numeric length.

    Example:
        >>> Duration.of(hours=1, minutes=30) == Duration.from_minutes(90)
        True

    """

    SECONDS_PER_MONTH: ClassVar[int] = 30 * 86_400
    SECONDS_PER_YEAR: ClassVar[int] = 365 * 86_400

    seconds: Annotated[int, BeforeValidator(_whole_seconds), Field(ge=0)] = 0

    if TYPE_CHECKING:

        def __init__(self, seconds: float = 0) -> None: ...

    else:
        # model_validate hands a dict's keys to __init__: let unknown ones through to pydantic,
        # which names them in a ValidationError, while the type checker sees the narrow form.
        def __init__(self, seconds=0, **unknown):
            super().__init__(seconds=seconds, **unknown)

    @classmethod
    def of(
        cls,
        *,
        weeks: float = 0,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> Duration:
        """Return the sum of the given parts, e.g. ``Duration.of(days=1, hours=6)``."""
        parts = {"weeks": weeks, "days": days, "hours": hours, "minutes": minutes}
        for part, value in (*parts.items(), ("seconds", seconds)):
            if not _is_number(value):
                raise ValidationError(
                    f"Duration.{part}: must be a number (got {value!r})", field=part
                )
        total = weeks * 604_800 + days * 86_400 + hours * 3_600 + minutes * 60 + seconds
        return cls(total)

    @classmethod
    def from_seconds(cls, value: float) -> Duration:
        """Return a duration of ``value`` seconds."""
        return cls(value)

    @classmethod
    def from_minutes(cls, value: float) -> Duration:
        """Return a duration of ``value`` minutes."""
        return cls(_scaled(value, 60))

    @classmethod
    def from_hours(cls, value: float) -> Duration:
        """Return a duration of ``value`` hours."""
        return cls(_scaled(value, 3_600))

    @classmethod
    def from_days(cls, value: float) -> Duration:
        """Return a duration of ``value`` days."""
        return cls(_scaled(value, 86_400))

    @classmethod
    def from_weeks(cls, value: float) -> Duration:
        """Return a duration of ``value`` weeks."""
        return cls(_scaled(value, 604_800))

    @classmethod
    def from_months(cls, value: float) -> Duration:
        """Return a duration of ``value`` months of 30 days."""
        return cls(_scaled(value, cls.SECONDS_PER_MONTH))

    @classmethod
    def from_years(cls, value: float) -> Duration:
        """Return a duration of ``value`` years of 365 days."""
        return cls(_scaled(value, cls.SECONDS_PER_YEAR))

    def to_seconds(self) -> int:
        """Return the length in whole seconds."""
        return self.seconds

    # Typed for Duration only, so mypy flags `Duration(5) + 5`; untyped callers get TypeError.
    def __add__(self, other: Duration) -> Duration:
        if not isinstance(other, Duration):
            return NotImplemented
        return Duration(self.seconds + other.seconds)

    def __lt__(self, other: Duration) -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self.seconds < other.seconds
