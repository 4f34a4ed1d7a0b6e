"""No regulator: only the firm's own SLA targets apply."""

from __future__ import annotations

from deadlines.regulation.base import Regulator

REGULATOR = Regulator(code="generic", name="No regulator (own SLA targets only)", clocks=())
