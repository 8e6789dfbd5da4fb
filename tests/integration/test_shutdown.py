"""docs/operations.md: SIGTERM/SIGINT → every WebSocket gets close 1001, exit 0
within server.shutdown_grace."""
import asyncio
import signal
import time
import unittest

import websockets

from harness import Herald, token
from rawws import RawWS


class ShutdownTest(unittest.TestCase):
    def check_shutdown(self, sig):
        h = Herald(server__shutdown_grace="3s").start()
        raw = [RawWS(h.port, "token=" + token(f"u{i}")) for i in range(20)]
        for ws in raw:
            ws.recv()
        # A detached session waiting for resume must not hold shutdown up.
        dropped = RawWS(h.port, "token=" + token("gone"))
        dropped.recv()
        dropped.drop()

        async def lib_client():
            async with websockets.connect(h.ws_url("token=" + token("lib"))) as ws:
                await ws.recv()
                started.set_result(True)
                try:
                    await asyncio.wait_for(ws.recv(), 10)
                except websockets.ConnectionClosed as e:
                    return e.rcvd.code if e.rcvd else None

        async def go():
            task = asyncio.ensure_future(lib_client())
            await started
            t0 = time.time()
            h.proc.send_signal(sig)
            code = await task
            return code, t0

        loop = asyncio.new_event_loop()
        started = loop.create_future()
        code, t0 = loop.run_until_complete(go())
        loop.close()
        self.assertEqual(code, 1001)
        for ws in raw:
            self.assertEqual(ws.recv_until_closed(timeout=5), 1001)
        rc = h.proc.wait(timeout=5)
        elapsed = time.time() - t0
        self.assertEqual(rc, 0)
        self.assertLess(elapsed, 3.0)
        self.assertIn("stopped", h.log_text())

    def test_sigterm(self):
        self.check_shutdown(signal.SIGTERM)

    def test_sigint(self):
        self.check_shutdown(signal.SIGINT)

    def test_a_client_that_never_answers_the_close_still_lets_herald_exit(self):
        h = Herald(server__shutdown_grace="2s", server__close_timeout="500ms").start()
        mute = RawWS(h.port, "token=" + token("mute"), rcvbuf=4096)
        mute.recv()
        t0 = time.time()
        h.proc.send_signal(signal.SIGTERM)
        self.assertEqual(h.proc.wait(timeout=5), 0)
        self.assertLess(time.time() - t0, 2.0)


if __name__ == "__main__":
    unittest.main()
