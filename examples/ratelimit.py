"""Rate limits as PostHog applies them to personal API keys, for `create_app(rate_limit=...)`.

PostHog throttles personal-API-key requests per key: deletes at 480/minute and
4800/hour, everything else at 240/minute (`posthog/rate_limit.py`). Each limit
is a sliding window over the key's recent requests, like DRF's
`SimpleRateThrottle`; the wait it reports becomes `Retry-After`.
"""

from __future__ import annotations

import collections
import dataclasses
import re
import threading
import time
from collections.abc import Callable

from persons_server import Context

from .keys import ApiKey

_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}


@dataclasses.dataclass(frozen=True, slots=True)
class Rate:
    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`480/minute` (also `s`, `m`, `h`, `d`, or `N/SECONDS` as a number)."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*([a-z]+|\d+(?:\.\d+)?)\s*", text)
        if not match:
            raise ValueError(f"expected COUNT/PERIOD such as 240/minute, got {text!r}")
        count, period = int(match[1]), match[2]
        if period[0].isdigit():
            seconds = float(period)
        else:
            names = [name for name in _PERIODS if name.startswith(period)]
            if len(names) != 1:
                raise ValueError(f"unknown period {period!r}")
            seconds = _PERIODS[names[0]]
        if count < 1 or seconds <= 0:
            raise ValueError(f"a rate needs a positive count and period: {text!r}")
        return cls(count, seconds)


# PostHog's delete actions (`PersonViewSet.get_throttles`), by handler name.
DELETE_HANDLERS = frozenset(
    {
        "persons_destroy",
        "persons_bulk_delete_create",
        "persons_delete_events_create",
        "persons_delete_recordings_create",
    }
)


@dataclasses.dataclass(frozen=True, slots=True)
class RateLimits:
    enabled: bool = True
    other: tuple[Rate, ...] = (Rate(240, 60),)
    delete: tuple[Rate, ...] = (Rate(480, 60), Rate(4800, 3600))
    delete_handlers: frozenset[str] = DELETE_HANDLERS


class RateLimiter:
    """Callable hook: seconds to wait when the key is over a limit, else None."""

    def __init__(
        self, limits: RateLimits, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._history: dict[tuple[str, str, int], collections.deque[float]] = {}

    def __call__(self, ctx: Context) -> float | None:
        principal = ctx.principal
        if not self.limits.enabled or not isinstance(principal, ApiKey):
            return None
        if ctx.handler in self.limits.delete_handlers:
            bucket, rates = "delete", self.limits.delete
        else:
            bucket, rates = "other", self.limits.other
        now = self._clock()
        with self._lock:
            windows = []
            wait = 0.0
            for index, rate in enumerate(rates):
                window = self._history.setdefault(
                    (principal.key_hash, bucket, index), collections.deque()
                )
                while window and window[0] <= now - rate.seconds:
                    window.popleft()
                if len(window) >= rate.count:
                    wait = max(wait, rate.seconds - (now - window[0]))
                windows.append(window)
            if wait > 0:
                return wait
            for window in windows:
                window.append(now)
        return None
