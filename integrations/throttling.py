"""Rate limits of the API per machine client and per user, shared by every node.

DRF's rate throttle, as the token endpoint uses it: each caller's recent request times are
kept in the cache (Redis in production, keys scoped to the tenant by the cache's key
function), so every node counts the same calls. While Redis is unreachable the cache answers
"nothing kept" (``project.cache.ResilientRedisCache``) and the limit lapses: the API stays up.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings

from accounts.throttling import RetryAfterMixin


class ApiRateThrottle(RetryAfterMixin):
    """``API_CLIENT_RATE`` per API client, ``API_USER_RATE`` per signed-in user (rates like
    ``600/min``); anonymous calls are left to the endpoints' own limits (the token
    endpoints'). A refused call is a 429 with ``Retry-After`` in seconds."""

    def __init__(self) -> None:
        # The rate depends on who calls; it is chosen in ``allow_request``.
        self.ident = ""

    def allow_request(self, request: Request, view: Any) -> bool:
        client = getattr(request._request, "api_client", None)
        if client is not None:
            self.scope, self.ident = "api_client", client.client_id
        elif request.user is not None and request.user.is_authenticated:
            self.scope, self.ident = "api_user", str(request.user.pk)
        else:
            return True
        rates: dict[str, str] = api_settings.DEFAULT_THROTTLE_RATES  # type: ignore[assignment]
        self.rate = rates.get(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}
