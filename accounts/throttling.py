"""Rate throttles whose refusals always say when to come back.

DRF's ``SimpleRateThrottle.wait`` returns ``None`` once a caller's history holds more calls
than the rate allows (two nodes appending at once, or a rate lowered while calls are kept), and
DRF then sends the 429 without ``Retry-After``. ``RetryAfterMixin`` answers from the history
itself: the call becomes possible when the oldest of the last *n* calls leaves the window.
"""

from __future__ import annotations

import math

from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle


class RetryAfterMixin(SimpleRateThrottle):
    """``wait`` in whole seconds, at least 1, for every refusal (RFC 9110 ``Retry-After``)."""

    # Set by ``SimpleRateThrottle`` from the rate (calls per window of seconds).
    num_requests: int | None
    duration: int | None

    def wait(self) -> float:
        """Seconds until the window holds fewer than ``num_requests`` calls again: the
        ``num_requests``-th newest call's time plus the window's length, minus now."""
        assert self.num_requests is not None and self.duration is not None
        if self.num_requests and len(self.history) >= self.num_requests:
            counted_from = self.history[self.num_requests - 1]
            return float(max(1, math.ceil(self.duration - (self.now - counted_from))))
        return float(max(1, math.ceil(self.duration)))


class TokenRateThrottle(RetryAfterMixin, ScopedRateThrottle):
    """DRF's scoped throttle (the token endpoints' ``token`` scope) with ``RetryAfterMixin``."""
