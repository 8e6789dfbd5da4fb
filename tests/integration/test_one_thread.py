"""One I/O thread (server.threads = 1, as on a one-core box): connections
have no strands and every actor but the registry runs on that thread. The
contract holds the same: pings, exact fan-out counts in order, presence,
resume, a graceful stop."""
import unittest

from harness import ServerTestCase, token, wait_for
from rawws import RawWS


class OneThreadTest(ServerTestCase):
    overrides = {"server__threads": 1, "session__resume_window": "5s"}

    def test_fan_out_ping_presence_and_resume_on_one_thread(self):
        h = self.h
        self.assertIn("with 1 I/O threads", h.log_text())
        clients = [RawWS(h.port, "token=" + token(f"one-{i}")) for i in range(20)]
        welcomes = [c.recv() for c in clients]
        self.assertTrue(all(w["type"] == "welcome" for w in welcomes))

        clients[0].send_json({"type": "ping"})
        self.assertEqual(clients[0].recv()["type"], "pong")

        answers = [h.publish(broadcast=True, event=f"b{i}", data={"i": i}) for i in range(30)]
        self.assertTrue(all(a["delivered"] == 20 for a in answers))
        for c in clients:
            got = c.events(30)
            self.assertEqual([e["data"]["i"] for e in got], list(range(30)))
            self.assertEqual([e["seq"] for e in got], list(range(1, 31)))

        self.assertTrue(h.presence("one-3")["connected"])

        # Resume a dropped session: exactly the missed frames, then live ones.
        t = token("one-0")
        sid = welcomes[0]["session_id"]
        clients[0].drop()
        wait_for(lambda: not h.presence("one-0")["connected"])
        h.publish(user="one-0", event="missed")
        back = RawWS(h.port, f"token={t}&session_id={sid}&last_seq=30")
        self.assertTrue(back.recv()["resumed"])
        self.assertEqual(back.recv()["replayed"], 1)
        self.assertEqual(back.events(1)[0]["event"], "missed")
        self.assertEqual(h.publish(user="one-0", event="live")["delivered"], 1)
        self.assertEqual(back.events(1)[0]["event"], "live")
        for c in clients[1:] + [back]:
            c.close()
        wait_for(lambda: h.stats()["sessions"] == 0)


if __name__ == "__main__":
    unittest.main()
