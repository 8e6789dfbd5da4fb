"""docs/protocol.md, resume half: a dropped socket is resumed with exactly the
missed frames, in order, then live ones."""
import unittest

from harness import Herald, token, wait_for, ServerTestCase
from rawws import Closed, RawWS


def open_session(h, user):
    """A client of `user` with its token and session id."""
    t = token(user)
    ws = RawWS(h.port, "token=" + t)
    return ws, t, ws.recv()["session_id"]


class ResumeTest(ServerTestCase):
    overrides = {"session__resume_window": "5s", "session__resume_buffer": 10}

    def test_resume_replays_exactly_the_missed_frames(self):
        h = self.h
        ws, t, sid = open_session(h, "rita")
        for i in range(2):
            h.publish(user="rita", event=f"before{i}")
        seen = ws.events(2)
        self.assertEqual([e["seq"] for e in seen], [1, 2])
        ws.drop()
        wait_for(lambda: not h.presence("rita")["connected"])
        missed = [h.publish(user="rita", event=f"missed{i}")["id"] for i in range(3)]

        back = RawWS(h.port, f"token={t}&session_id={sid}&last_seq=2")
        welcome = back.recv()
        self.assertEqual((welcome["type"], welcome["session_id"], welcome["resumed"]), ("welcome", sid, True))
        self.assertEqual(back.recv(), {"type": "session_restored", "session_id": sid, "replayed": 3})
        replay = back.events(3)
        self.assertEqual([e["seq"] for e in replay], [3, 4, 5])
        self.assertEqual([e["id"] for e in replay], missed)
        live = h.publish(user="rita", event="live")
        self.assertEqual(live["delivered"], 1)
        self.assertEqual(back.events(1)[0]["seq"], 6)
        back.close()

    def test_client_close_1000_ends_the_session(self):
        h = self.h
        ws, t, sid = open_session(h, "nora")
        ws.close(1000)
        with self.assertRaises(Closed) as c:
            ws.recv()
        self.assertEqual(c.exception.code, 1000)
        again = RawWS(h.port, f"token={t}&session_id={sid}&last_seq=0")
        w = again.recv()
        self.assertFalse(w["resumed"])
        self.assertNotEqual(w["session_id"], sid)
        again.close()

    def test_close_with_another_code_keeps_the_session_resumable(self):
        h = self.h
        ws, t, sid = open_session(h, "gina")
        ws.close(1001)
        wait_for(lambda: not h.presence("gina")["connected"])
        back = RawWS(h.port, f"token={t}&session_id={sid}&last_seq=0")
        self.assertTrue(back.recv()["resumed"])
        back.close()

    def test_unknown_or_foreign_session_id_gives_a_fresh_session(self):
        h = self.h
        ws = RawWS(h.port, "token=" + token("owner"))
        sid = ws.recv()["session_id"]
        ws.drop()
        other = RawWS(h.port, "token=" + token("intruder") + f"&session_id={sid}&last_seq=0")
        w = other.recv()
        self.assertFalse(w["resumed"])
        self.assertNotEqual(w["session_id"], sid)
        other.close()
        unknown = RawWS(h.port, "token=" + token("owner") + "&session_id=s-0000&last_seq=0")
        self.assertFalse(unknown.recv()["resumed"])
        unknown.close()

    def test_missed_more_than_the_buffer_gives_a_fresh_session(self):
        h = self.h
        ws, t, sid = open_session(h, "flood")
        ws.drop()
        wait_for(lambda: not h.presence("flood")["connected"])
        for i in range(12):  # resume_buffer is 10
            h.publish(user="flood", event=f"e{i}")
        back = RawWS(h.port, f"token={t}&session_id={sid}&last_seq=0")
        w = back.recv()
        self.assertFalse(w["resumed"])
        back.close()


class ResumeExpiryTest(unittest.TestCase):
    def test_session_expires_after_resume_window(self):
        with Herald(session__resume_window="1s") as h:
            t = token("late")
            ws = RawWS(h.port, "token=" + t)
            sid = ws.recv()["session_id"]
            ws.drop()
            wait_for(lambda: h.stats()["sessions"] == 0, timeout=5)
            back = RawWS(h.port, f"token={t}&session_id={sid}&last_seq=0")
            self.assertFalse(back.recv()["resumed"])
            back.close()


if __name__ == "__main__":
    unittest.main()
