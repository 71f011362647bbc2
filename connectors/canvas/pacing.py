"""Pacing by Canvas's throttle headers, so a push runs just under the quota instead of
bouncing off ``403 Forbidden (Rate Limit Exceeded)``.

Canvas meters each token with a leaky bucket: a request adds its cost (``X-Request-Cost``),
the bucket drains at a fixed rate, and every answer says what is left
(``X-Rate-Limit-Remaining``). While more than half the quota is left, requests go at once.
Below that, they are spaced at the drain rate (estimated from the headers: what came back
plus what was spent, over the time it took), faster while the quota is above ``reserve`` and
slower below, so the remaining quota settles near ``reserve`` of the largest seen. A throttled
answer holds every sender until one request's cost has drained.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

import httpx

__all__ = ["QuotaPacer"]

FREE_SHARE = 0.5
"""Above this share of the quota left, no pacing at all."""
WINDOW = 48
"""Responses the drain rate is estimated over."""
FALLBACK_INTERVAL = 0.05
"""Spacing before enough answers came back to estimate the drain rate."""


class QuotaPacer:
    """A :class:`~gateway.net.policy.Pacer` for Canvas; one per push, shared by its clients."""

    def __init__(self, *, reserve: float = 0.3, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        self.reserve = reserve
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._lock = asyncio.Lock()
        self._next = 0.0
        self._samples: deque[tuple[float, float, float]] = deque(maxlen=WINDOW)
        self.capacity: float | None = None
        """The largest quota seen (remaining plus the request's cost)."""
        self.remaining: float | None = None
        self.throttled = 0
        """Throttled answers seen (for the run log and tests)."""
        self.waited = 0.0
        """Seconds spent waiting, summed over requests."""

    async def wait(self) -> None:
        async with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval()
        if start > now:
            self.waited += start - now
            await self._sleep(start - now)

    def observe(self, response: httpx.Response) -> None:
        left = _number(response.headers.get("x-rate-limit-remaining"))
        if left is None:
            return
        now = self._clock()
        self.remaining = left
        if response.status_code in (403, 429) and "rate limit" in response.text.lower():
            self.throttled += 1
            drain = self.drain_rate()
            hold = self._cost() / drain if drain else FALLBACK_INTERVAL * 4
            self._next = max(self._next, now + hold)
            return
        cost = _number(response.headers.get("x-request-cost")) or 0.0
        self.capacity = max(self.capacity or 0.0, left + cost)
        self._samples.append((now, left, cost))

    def drain_rate(self) -> float | None:
        """Quota regained per second over the recent answers, or None (too few yet)."""
        if len(self._samples) < 4:
            return None
        first, last = self._samples[0], self._samples[-1]
        elapsed = last[0] - first[0]
        if elapsed < 0.02:
            return None
        spent = sum(cost for _, _, cost in list(self._samples)[1:])
        return max(0.0, (last[1] - first[1] + spent) / elapsed) or None

    def _cost(self) -> float:
        costs = [cost for _, _, cost in self._samples if cost > 0]
        return sum(costs) / len(costs) if costs else 1.0

    def _interval(self) -> float:
        if self.remaining is None or not self.capacity:
            return 0.0
        share = self.remaining / self.capacity
        if share >= FREE_SHARE:
            return 0.0
        drain = self.drain_rate()
        if drain is None:
            return FALLBACK_INTERVAL
        # At `reserve` the request rate equals the drain rate (the quota holds); above it
        # the rate is higher, below it lower, down to a quarter at an empty quota.
        factor = min(2.0, max(0.25, 1.0 + 2.0 * (share - self.reserve)))
        return self._cost() / (drain * factor)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
