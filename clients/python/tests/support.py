"""Runs the SDK's tests against the real binary, with the integration tests'
harness (tests/integration: Herald on a free port, local sinks)."""
import asyncio
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "integration"))

from harness import API_KEY, SECRET, Herald, free_port, wait_for  # noqa: E402,F401
from sinks import SinkServer  # noqa: E402,F401

import herald_client  # noqa: E402,F401


def base_url(h):
    return f"http://127.0.0.1:{h.port}"


def ws_url(h):
    return f"ws://127.0.0.1:{h.port}/ws"


async def eventually(predicate, timeout=10.0, interval=0.02):
    """Waits in the loop until predicate() is true; fails the test when it never is."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return
        await asyncio.sleep(interval)
    raise AssertionError("condition not met in time")
