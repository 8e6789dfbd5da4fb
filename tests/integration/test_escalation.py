"""CONTRACT §11 escalation: a user publish with "escalate" becomes a notify
job after `after` unless the event is acked (an `ack` frame, or inbox/read
past it) by then; the receipt says which happened. On SQLite and on a real
Redis, with a real local sink; a pending escalation survives kill -9."""
import signal
import time
import unittest

from harness import token, wait_for
from rawws import RawWS
from sinks import SinkBackendCase


def sinks_of(sink):
    return [{"name": "tg", "kind": "webhook", "url": sink.url("/tg")}]


def escalate(after):
    return {"after": after, "sink": "tg", "to": "chat-42", "text": "nobody acked the alert"}


class EscalationCases:
    """Mixed into a TestCase whose setUp starts self.h with sink "tg" at self.sink."""

    def receipt(self, event_id):
        status, body = self.h.http("GET", "/api/v1/events/" + event_id)
        self.assertEqual(status, 200, body)
        return body

    def test_not_acked_in_time_it_is_notified_with_the_event_data(self):
        r = self.h.publish(user="oncall", event="alert", data={"disk": "full"}, escalate=escalate("800ms"))
        self.assertTrue(r["escalation"]["job_id"].startswith("j-"))
        self.assertTrue(r["escalation"]["due_at"].endswith("Z"))
        self.assertEqual(self.receipt(r["id"])["escalation"]["state"], "pending")
        wait_for(lambda: len(self.sink.hits("/tg")) == 1, timeout=10)
        sent = self.sink.hits("/tg")[0][1]
        self.assertEqual((sent["to"], sent["text"], sent["data"]), ("chat-42", "nobody acked the alert", {"disk": "full"}))
        self.assertEqual(sent["job_id"], r["escalation"]["job_id"])
        e = self.receipt(r["id"])["escalation"]
        self.assertEqual((e["state"], e["sink"], e["job_id"]), ("notified", "tg", r["escalation"]["job_id"]))
        self.assertIn("notified_at", e)
        self.assertEqual(self.h.queue_stats()["escalations"], {"cancelled": 0, "notified": 1})
        metrics = self.h.http("GET", "/metrics")[1]
        self.assertIn('herald_escalations_total{outcome="notified"} 1', str(metrics))

    def test_an_inbox_read_in_time_cancels_it(self):
        r = self.h.publish(user="oncall", event="alert", data={}, escalate=escalate("1500ms"))
        status, _ = self.h.http("POST", "/api/v1/users/oncall/inbox/read", {"up_to": r["id"]})
        self.assertEqual(status, 200)
        wait_for(lambda: self.receipt(r["id"])["escalation"]["state"] == "cancelled", timeout=10)
        time.sleep(0.5)
        self.assertEqual(self.sink.hits("/tg"), [])
        e = self.receipt(r["id"])["escalation"]
        self.assertTrue(e["acked_at"].endswith("Z"))
        self.assertEqual(self.h.queue_stats()["escalations"]["cancelled"], 1)

    def test_an_ack_frame_in_time_cancels_it(self):
        ws = RawWS(self.h.port, "token=" + token("oncall"))
        ws.recv_frame()  # welcome
        r = self.h.publish(user="oncall", event="alert", data={}, escalate=escalate("1500ms"))
        self.assertEqual(ws.events(1)[0]["id"], r["id"])
        ws.send_json({"type": "ack", "id": r["id"]})
        wait_for(lambda: self.receipt(r["id"])["escalation"]["state"] == "cancelled", timeout=10)
        self.assertEqual(self.sink.hits("/tg"), [])
        ws.close()

    def test_an_ack_too_late_does_not_cancel_it(self):
        r = self.h.publish(user="oncall", event="alert", data={}, escalate=escalate("300ms"))
        wait_for(lambda: len(self.sink.hits("/tg")) == 1, timeout=10)
        self.h.http("POST", "/api/v1/users/oncall/inbox/read", {"up_to": r["id"]})
        wait_for(lambda: self.receipt(r["id"])["acked_at"] is not None)
        self.assertEqual(self.receipt(r["id"])["escalation"]["state"], "notified")

    def test_bad_escalations_are_refused(self):
        cases = [({"channel": "room", "event": "x", "escalate": escalate("1s")}, "user"),
                 ({"user": "u", "event": "x", "escalate": escalate("soon")}, "after"),
                 ({"user": "u", "event": "x", "escalate": escalate("0s")}, "after"),
                 ({"user": "u", "event": "x", "escalate": {**escalate("1s"), "sink": "nope"}}, "sink"),
                 ({"user": "u", "event": "x", "escalate": {**escalate("1s"), "to": ""}}, "to"),
                 ({"user": "u", "event": "x", "escalate": "1s"}, "escalate")]
        for body, word in cases:
            status, answer = self.h.http("POST", "/api/v1/publish", body)
            self.assertEqual(status, 400, body)
            self.assertIn(word, answer["error"])
        status, answer = self.h.http("POST", "/api/v1/publish/batch",
                                     {"items": [{"user": "u", "event": "x", "escalate": escalate("1s")}]})
        self.assertIn("single", answer["results"][0]["error"])


class SqliteEscalationTest(EscalationCases, SinkBackendCase, unittest.TestCase):
    def sinks_of(self, sink):
        return sinks_of(sink)

    def test_a_pending_escalation_survives_kill_9(self):
        r = self.h.publish(user="oncall", event="alert", data={"n": 1}, escalate=escalate("1500ms"))
        self.h.proc.send_signal(signal.SIGKILL)
        self.h.proc.wait()
        self.h.log.close()
        self.h.start()
        wait_for(lambda: len(self.sink.hits("/tg")) == 1, timeout=15)
        self.assertEqual(self.sink.hits("/tg")[0][1]["data"], {"n": 1})
        self.assertEqual(self.receipt(r["id"])["escalation"]["state"], "notified")


class RedisEscalationTest(EscalationCases, SinkBackendCase, unittest.TestCase):
    backend = "redis"

    def sinks_of(self, sink):
        return sinks_of(sink)


if __name__ == "__main__":
    unittest.main()
