"""Reconnect and retry delays, the same rule as herald-client.js."""
import json
import random as _random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Exponential steps from `initial` to `max` seconds, each shortened by up
    to `jitter` of itself at random, so clients that lost the same server do
    not all come back at once."""

    initial: float = 0.5
    max: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5

    def delay(self, attempt, random=_random.random):
        """The wait before try number `attempt` (0-based)."""
        step = min(self.max, self.initial * self.factor ** min(attempt, 64))
        return step * (1 - self.jitter * random())


def hinted_delay(reason):
    """The wait a server going away asks for in its close 1001 reason
    {"reconnect": true, "delay_ms": N}, in seconds; None when it gives none."""
    try:
        hint = json.loads(reason or "")
    except (TypeError, ValueError):
        return None
    if not isinstance(hint, dict) or hint.get("reconnect") is not True:
        return None
    ms = hint.get("delay_ms")
    if isinstance(ms, bool) or not isinstance(ms, (int, float)) or ms < 0:
        return None
    return min(float(ms), 60000.0) / 1000.0
