"""Heartbeat and stale eviction (interval 1s, stale_after 3s): a client that
never answers protocol pings but sends app pings stays; a silent one goes."""
import time
import unittest

from harness import Herald, token, wait_for
from rawws import PING, PONG, RawWS


class HeartbeatTest(unittest.TestCase):
    def test_protocol_pings_eviction_and_app_ping_keepalive(self):
        with Herald(heartbeat__interval="1s", heartbeat__stale_after="3s") as h:
            silent = RawWS(h.port, "token=" + token("silent"))
            silent.recv()
            app_pinger = RawWS(h.port, "token=" + token("ios"))
            app_pinger.recv()

            # The silent client sees protocol pings, and never answers them.
            op, _ = silent.recv_frame(timeout=3)
            self.assertEqual(op, PING)

            start = time.time()
            silent_closed_at = None
            while time.time() - start < 7:
                app_pinger.send_json({"type": "ping"})
                # Read what arrived; protocol pings are deliberately left unanswered.
                while True:
                    msg = app_pinger.recv(timeout=2, skip_pings=False)
                    if msg.get("type") == "pong":
                        break
                if silent_closed_at is None and h.stats()["evicted_stale"] >= 1:
                    silent_closed_at = time.time() - start
                time.sleep(0.5)

            self.assertIsNotNone(silent_closed_at, "the silent client was not evicted")
            self.assertGreaterEqual(silent_closed_at, 2.0)
            code = silent.recv_until_closed(timeout=2)
            self.assertIn(code, (4001, None))  # a close frame if the socket took one

            st = h.stats()
            self.assertEqual(st["evicted_stale"], 1)
            self.assertTrue(h.presence("ios")["connected"])
            self.assertFalse(h.presence("silent")["connected"])
            # The app-pinging client is still fully usable.
            self.assertEqual(h.publish(user="ios", event="still-here")["delivered"], 1)
            while True:
                msg = app_pinger.recv(timeout=2)
                if msg.get("type") == "event":
                    break
            self.assertEqual(msg["event"], "still-here")
            app_pinger.close()

    def test_protocol_pongs_alone_keep_a_session(self):
        with Herald(heartbeat__interval="1s", heartbeat__stale_after="3s") as h:
            ws = RawWS(h.port, "token=" + token("pong-only"))
            ws.recv()
            deadline = time.time() + 6
            while time.time() < deadline:
                op, payload = ws.recv_frame(timeout=3)
                if op == PING:
                    ws.send_frame(PONG, payload)
            self.assertEqual(h.stats()["evicted_stale"], 0)
            self.assertTrue(h.presence("pong-only")["connected"])
            ws.close()


if __name__ == "__main__":
    unittest.main()
