"""docs/protocol.md (inbox half) and §5: events published to a user are kept in
the user's durable inbox (SQLite by default) and reach the next fresh session
once, across restarts and kill -9."""
import os
import signal
import unittest

from harness import Herald, token, wait_for
from rawws import RawWS


def connect(h, user, query="", channels=None):
    """A client of `user` (allowed into `channels`) past its welcome."""
    ws = RawWS(h.port, "token=" + token(user, channels=channels) + (("&" + query) if query else ""))
    welcome = ws.recv()
    assert welcome["type"] == "welcome", welcome
    return ws, welcome


def no_event(ws, wait=0.5):
    """True when nothing but pings arrives within `wait` seconds."""
    try:
        m = ws.recv(timeout=wait)
    except TimeoutError:
        return True
    except OSError:
        return True
    return m["type"] != "event"


class InboxTest(unittest.TestCase):
    def test_offline_publish_survives_a_restart_and_arrives_once(self):
        h = Herald().start()
        try:
            sent = [h.publish(user="olga", event="complaint.assigned", data={"n": i}) for i in range(3)]
            self.assertEqual([(r["delivered"], r["stored"]) for r in sent], [(0, True)] * 3)
            h.stop()
            h.start()
            ws, _ = connect(h, "olga")
            got = ws.events(3)
            self.assertEqual([e["id"] for e in got], [r["id"] for r in sent])
            self.assertEqual([e["seq"] for e in got], [1, 2, 3])
            self.assertEqual([e["data"]["n"] for e in got], [0, 1, 2])
            self.assertEqual(got[0]["channel"], "user:olga")
            live = h.publish(user="olga", event="live")
            self.assertEqual(ws.events(1)[0]["id"], live["id"])
            ws.close()
            # What reached a socket is not replayed to the next session.
            wait_for(lambda: not h.presence("olga")["connected"])
            again, _ = connect(h, "olga")
            self.assertTrue(no_event(again))
            again.close()
        finally:
            h.stop()

    def test_last_event_id_replays_what_reached_a_socket_but_not_the_app(self):
        with Herald() as h:
            ws, _ = connect(h, "lea")
            sent = [h.publish(user="lea", event="e", data={"n": i})["id"] for i in range(3)]
            self.assertEqual([e["id"] for e in ws.events(3)], sent)  # the cursor moves past all three
            ws.drop()
            wait_for(lambda: not h.presence("lea")["connected"])
            # The app saw only the first: a fresh session asks from there.
            again, _ = connect(h, "lea", "last_event_id=" + sent[0])
            self.assertEqual([e["id"] for e in again.events(2)], sent[1:])
            self.assertTrue(no_event(again))
            again.close()
            # An id the inbox does not hold: the cursor decides (nothing new).
            third, _ = connect(h, "lea", "last_event_id=e-0000000000000000")
            self.assertTrue(no_event(third))
            third.close()

    def test_kill_9_after_an_acknowledged_publish_loses_nothing(self):
        h = Herald().start()
        try:
            sent = [h.publish(user="kim", event="e", data={"n": i})["id"] for i in range(50)]
            h.proc.send_signal(signal.SIGKILL)
            h.proc.wait()
            h.log.close()
            h.start()
            ws, _ = connect(h, "kim")
            self.assertEqual([e["id"] for e in ws.events(50)], sent)
            ws.close()
        finally:
            h.stop()

    def test_inbox_keeps_the_newest_inbox_max_events(self):
        with Herald(delivery__inbox_max=3) as h:
            sent = [h.publish(user="max", event="e", data={"n": i})["id"] for i in range(5)]
            ws, _ = connect(h, "max")
            self.assertEqual([e["id"] for e in ws.events(3)], sent[2:])
            self.assertTrue(no_event(ws))
            ws.close()

    def test_events_older_than_inbox_ttl_are_not_replayed(self):
        with Herald(delivery__inbox_ttl="1s") as h:
            h.publish(user="tess", event="old")
            import time
            time.sleep(1.3)
            new = h.publish(user="tess", event="new")["id"]
            ws, _ = connect(h, "tess")
            self.assertEqual([e["id"] for e in ws.events(1)], [new])
            self.assertTrue(no_event(ws))
            ws.close()

    def test_ack_moves_the_cursor_when_acks_are_required(self):
        with Herald(delivery__ack_required=True) as h:
            sent = [h.publish(user="ann", event="e", data={"n": i})["id"] for i in range(3)]
            ws, _ = connect(h, "ann")
            self.assertEqual([e["id"] for e in ws.events(3)], sent)
            ws.send_json({"type": "ack", "id": sent[0]})
            ws.send_json({"type": "ping"})
            self.assertEqual(ws.recv()["type"], "pong")
            ws.close()
            wait_for(lambda: not h.presence("ann")["connected"])
            import time
            time.sleep(0.2)  # cursor moves are written within 50 ms
            # Written but not acked: they come again, the acked one does not.
            again, _ = connect(h, "ann")
            self.assertEqual([e["id"] for e in again.events(2)], sent[1:])
            self.assertTrue(no_event(again))
            again.close()

    def test_a_resumed_session_gets_its_buffer_not_the_inbox(self):
        with Herald(session__resume_window="10s") as h:
            t = token("rex")
            ws = RawWS(h.port, "token=" + t)
            sid = ws.recv()["session_id"]
            ws.drop()
            wait_for(lambda: not h.presence("rex")["connected"])
            missed = [h.publish(user="rex", event="e", data={"n": i})["id"] for i in range(2)]
            back = RawWS(h.port, f"token={t}&session_id={sid}&last_seq=0")
            self.assertTrue(back.recv()["resumed"])
            self.assertEqual(back.recv()["type"], "session_restored")
            self.assertEqual([e["id"] for e in back.events(2)], missed)
            self.assertTrue(no_event(back))
            back.close()
            # The replay reached a socket, so a later fresh session starts clean.
            wait_for(lambda: not h.presence("rex")["connected"])
            import time
            time.sleep(0.2)
            fresh, _ = connect(h, "rex")
            self.assertTrue(no_event(fresh))
            fresh.close()

    def test_two_sessions_of_a_user_each_get_a_live_event_once(self):
        with Herald() as h:
            a, _ = connect(h, "duo")
            b, _ = connect(h, "duo")
            r = h.publish(user="duo", event="e")
            self.assertEqual((r["delivered"], r["stored"]), (2, True))
            self.assertEqual(a.events(1)[0]["id"], r["id"])
            self.assertEqual(b.events(1)[0]["id"], r["id"])
            self.assertTrue(no_event(a) and no_event(b, 0.1))
            a.close()
            b.close()

    def test_channel_events_and_anonymous_users_are_not_stored(self):
        with Herald(auth__required=False) as h:
            self.assertFalse(h.publish(channel="news", event="e")["stored"])
            self.assertFalse(h.publish(broadcast=True, event="e")["stored"])
            ws = RawWS(h.port)
            anon = ws.recv()["user"]
            r = h.publish(user=anon, event="e")
            self.assertEqual((r["delivered"], r["stored"]), (1, False))
            ws.close()

    def test_an_unusable_storage_path_stops_the_start_with_a_clear_error(self):
        h = Herald(storage__path="/proc/herald/cannot/be/here.db")
        with self.assertRaises(RuntimeError) as c:
            h.start()
        self.assertIn("storage", str(c.exception))
        self.assertIn("/proc/herald/cannot", str(c.exception))
        self.assertEqual(h.proc.wait(5), 1)

    def test_health_reports_storage(self):
        with Herald() as h:
            status, body = h.http("GET", "/api/v1/websocket/health", key=None)
            self.assertEqual((status, body["status"], body["storage"]), (200, "ok", "ok"))


if __name__ == "__main__":
    unittest.main()
