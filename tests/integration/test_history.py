"""docs/history.md: channel history with offsets and an epoch, `since` on
subscribe and at upgrade, the history and channel presence routes, join and
leave frames, the shutdown reconnect hint. The rolling restart and the
node loss with herald-client.js are in console/tests/recovery.test.js."""
import json
import signal
import unittest
import urllib.parse

from harness import Herald, RedisServer, token, wait_for
from rawws import RawWS, Closed, UpgradeRefused
from test_cluster import node

ORDERS = {"match": "orders.*", "history_size": 5, "history_ttl": "10m", "presence": True,
          "join_leave": True}


def connect(h, user, query=""):
    ws = RawWS(h.port, "token=" + token(user, channels=["*"]) + (("&" + query) if query else ""))
    welcome = ws.recv()
    assert welcome["type"] == "welcome", welcome
    return ws


def frames_until(ws, predicate, limit=50):
    """Frames up to and including the first that satisfies `predicate` (pings skipped)."""
    out = []
    for _ in range(limit):
        m = ws.recv()
        if m.get("type") == "pong":
            continue
        out.append(m)
        if predicate(m):
            return out
    raise AssertionError("no such frame in " + json.dumps(out))


def subscribed(ws, channel):
    return frames_until(ws, lambda m: m["type"] == "subscribed" and m["channel"] == channel)[-1]


def publish(h, n, channel="orders.7"):
    return h.publish(channel=channel, event="tick", data={"n": n})


class HistoryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Herald(channels=[ORDERS]).start()

    @classmethod
    def tearDownClass(cls):
        cls.h.stop()

    def test_events_carry_offsets_and_since_replays_the_missed_ones_once(self):
        h = self.h
        ws = connect(h, "ann", "channels=orders.7")
        first = subscribed(ws, "orders.7")
        self.assertNotIn("recovered", first)  # no since given
        epoch, top = first["epoch"], first["offset"]
        for n in range(3):
            publish(h, n)
        got = ws.events(3)
        self.assertEqual([e["offset"] for e in got], [top + 1, top + 2, top + 3])
        self.assertEqual({e["epoch"] for e in got}, {epoch})
        ws.close()
        # Away: two more; back with since → recovered, exactly the two, then live.
        answers = [publish(h, n) for n in (3, 4)]
        self.assertEqual([(a["stored"], a["offset"], a["epoch"]) for a in answers],
                         [(True, top + 4, epoch), (True, top + 5, epoch)])
        missed = [a["id"] for a in answers]
        again = connect(h, "ann")
        again.send_json({"type": "subscribe", "channel": "orders.7",
                    "since": {"offset": top + 3, "epoch": epoch}})
        sub = subscribed(again, "orders.7")
        self.assertEqual((sub["recovered"], sub["epoch"], sub["offset"]), (True, epoch, top + 5))
        replay = again.events(2)
        self.assertEqual([e["id"] for e in replay], missed)
        self.assertEqual([e["offset"] for e in replay], [top + 4, top + 5])
        live = publish(h, 5)
        self.assertEqual(again.events(1)[0]["id"], live["id"])
        again.close()

    def test_since_at_upgrade_gets_its_own_subscribed_frame(self):
        h = self.h
        start = publish(h, 0, "orders.up")
        mine = h.http("GET", "/api/v1/history/orders.up?since=0")[1]
        epoch, top = mine["epoch"], mine["offset"]
        publish(h, 1, "orders.up")
        q = "channels=orders.up&since.orders.up=" + urllib.parse.quote(f"{top}:{epoch}")
        ws = connect(h, "bob", q)
        sub = subscribed(ws, "orders.up")
        self.assertEqual(sub["recovered"], True)
        self.assertEqual([e["data"]["n"] for e in ws.events(1)], [1])
        ws.close()
        self.assertTrue(start["id"].startswith("e-"))

    def test_trimmed_history_or_another_epoch_is_not_recovered(self):
        h = self.h
        first = publish(h, 0, "orders.trim")
        page = h.http("GET", "/api/v1/history/orders.trim")[1]
        epoch, top = page["epoch"], page["offset"]
        for n in range(1, 9):  # history_size 5: offsets top+1..top+3 are trimmed
            publish(h, n, "orders.trim")
        ws = connect(h, "cy")
        ws.send_json({"type": "subscribe", "channel": "orders.trim", "since": {"offset": top, "epoch": epoch}})
        sub = subscribed(ws, "orders.trim")
        self.assertEqual(sub["recovered"], False)
        # What is kept still comes, oldest first.
        self.assertEqual([e["data"]["n"] for e in ws.events(5)], [4, 5, 6, 7, 8])
        ws.send_json({"type": "subscribe", "channel": "orders.other",
                 "since": {"offset": 1, "epoch": "not-the-epoch"}})
        self.assertEqual(subscribed(ws, "orders.other")["recovered"], False)
        # A channel with no history cannot prove anything either.
        ws.send_json({"type": "subscribe", "channel": "plain", "since": {"offset": 1, "epoch": "x"}})
        self.assertEqual(subscribed(ws, "plain"), {"type": "subscribed", "channel": "plain",
                                                   "recovered": False})
        ws.close()
        self.assertTrue(first["id"])

    def test_bad_since_is_a_clear_error(self):
        h = self.h
        ws = connect(h, "dan")
        for since in ({"offset": -1, "epoch": "a"}, {"offset": 1}, "12:ab", {"offset": 1, "epoch": ""}):
            ws.send_json({"type": "subscribe", "channel": "orders.x", "since": since})
            err = frames_until(ws, lambda m: m["type"] == "error")[-1]
            self.assertEqual(err["code"], "bad_frame")
        ws.close()
        for query, says in (("channels=orders.x&since.orders.x=zz", "<offset>:<epoch>"),
                            ("channels=orders.x&since.orders.y=1:ab", "since.orders.y")):
            with self.assertRaises(UpgradeRefused) as refused:
                connect(h, "dan", query)
            self.assertEqual(refused.exception.status, 400)
            self.assertIn(says, str(refused.exception.body))

    def test_history_route(self):
        h = self.h
        sent = [publish(h, n, "orders.api")["id"] for n in range(7)]
        status, page = h.http("GET", "/api/v1/history/orders.api?since=0&limit=1000")
        self.assertEqual(status, 200)
        self.assertEqual([e["id"] for e in page["events"]], sent[2:])  # history_size 5
        self.assertEqual(page["offset"], page["events"][-1]["offset"])
        self.assertEqual(page["events"][0]["channel"], "orders.api")
        self.assertEqual(page["events"][0]["data"], {"n": 2})
        since = page["events"][2]["offset"]
        status, part = h.http("GET", f"/api/v1/history/orders.api?since={since}&limit=1")
        self.assertEqual([e["id"] for e in part["events"]], [sent[5]])
        self.assertEqual(h.http("GET", "/api/v1/history/orders.api?limit=1001")[0], 400)
        self.assertEqual(h.http("GET", "/api/v1/history/orders.api?since=-1")[0], 400)
        self.assertEqual(h.http("GET", "/api/v1/history/plain")[0], 404)
        self.assertEqual(h.http("GET", "/api/v1/history/orders.api", key="wrong")[0], 401)
        self.assertEqual(h.http("POST", "/api/v1/history/orders.api")[0], 405)

    def test_join_and_leave_frames_and_presence(self):
        h = self.h
        watcher = connect(h, "wat", "channels=orders.room")
        seen = frames_until(watcher, lambda m: m["type"] == "join" and m["user"] == "wat")
        if not any(m["type"] == "subscribed" for m in seen):  # the two come in either order
            subscribed(watcher, "orders.room")
        one = connect(h, "eve", "channels=orders.room")
        two = connect(h, "eve", "channels=orders.room")  # a second session: no second join
        got = frames_until(watcher, lambda m: m["type"] == "join")
        self.assertEqual(got[-1], {"type": "join", "channel": "orders.room", "user": "eve"})
        status, p = h.http("GET", "/api/v1/channels/orders.room/presence")
        self.assertEqual(status, 200)
        self.assertEqual(p, {"channel": "orders.room", "sessions": 3,
                             "users": [{"user": "eve", "sessions": 2}, {"user": "wat", "sessions": 1}]})
        one.close()
        wait_for(lambda: h.http("GET", "/api/v1/channels/orders.room/presence")[1]["sessions"] == 2)
        publish(h, 1, "orders.room")  # a marker: no leave came before it
        marker = frames_until(watcher, lambda m: m["type"] in ("event", "leave"))[-1]
        self.assertEqual(marker["type"], "event")
        two.close()
        left = frames_until(watcher, lambda m: m["type"] == "leave")[-1]
        self.assertEqual(left, {"type": "leave", "channel": "orders.room", "user": "eve"})
        self.assertEqual(h.http("GET", "/api/v1/channels/plain/presence")[0], 404)
        watcher.close()

    def test_shutdown_close_frame_carries_a_reconnect_hint(self):
        with Herald(server__reconnect_spread="2s") as h2:
            clients = [connect(h2, f"s{i}") for i in range(6)]
            h2.proc.send_signal(signal.SIGTERM)
            delays = []
            for ws in clients:
                with self.assertRaises(Closed) as closed:
                    while True:
                        ws.recv()
                self.assertEqual(closed.exception.code, 1001)
                hint = json.loads(closed.exception.reason)
                self.assertEqual(hint["reconnect"], True)
                self.assertTrue(0 <= hint["delay_ms"] <= 2000, hint)
                delays.append(hint["delay_ms"])
            self.assertGreater(len(set(delays)), 1, delays)  # spread, not all the same
            h2.proc.wait(10)


class MemoryEpochTest(unittest.TestCase):
    def test_a_memory_backend_restart_changes_the_epoch(self):
        h = Herald(storage__backend="memory", channels=[ORDERS]).start()
        try:
            publish(h, 0)
            page = h.http("GET", "/api/v1/history/orders.7")[1]
            h.stop()
            h.start()
            ws = connect(h, "mem")
            ws.send_json({"type": "subscribe", "channel": "orders.7",
                     "since": {"offset": page["offset"], "epoch": page["epoch"]}})
            sub = subscribed(ws, "orders.7")
            self.assertEqual(sub["recovered"], False)
            self.assertNotEqual(sub["epoch"], page["epoch"])
            self.assertEqual(sub["offset"], 0)
            ws.close()
        finally:
            h.stop()

    def test_sqlite_keeps_the_epoch_across_a_restart(self):
        h = Herald(channels=[ORDERS]).start()
        try:
            publish(h, 0)
            page = h.http("GET", "/api/v1/history/orders.7")[1]
            h.stop()
            h.start()
            publish(h, 1)
            ws = connect(h, "sql")
            ws.send_json({"type": "subscribe", "channel": "orders.7",
                     "since": {"offset": page["offset"], "epoch": page["epoch"]}})
            sub = subscribed(ws, "orders.7")
            self.assertEqual((sub["recovered"], sub["epoch"]), (True, page["epoch"]))
            self.assertEqual([e["data"]["n"] for e in ws.events(1)], [1])
            ws.close()
        finally:
            h.stop()


class ClusterPresenceTest(unittest.TestCase):
    def test_presence_and_join_leave_across_two_nodes(self):
        with RedisServer() as redis:
            a = node(redis, channels=[ORDERS])
            b = node(redis, channels=[ORDERS])
            try:
                watcher = connect(a, "wat", "channels=orders.x")
                frames_until(watcher, lambda m: m["type"] == "join" and m["user"] == "wat")
                on_b = connect(b, "zed", "channels=orders.x")
                self.assertEqual(frames_until(watcher, lambda m: m["type"] == "join")[-1]["user"], "zed")
                on_a = connect(a, "zed", "channels=orders.x")  # zed is there already: no join
                for h in (a, b):
                    wait_for(lambda: h.http("GET", "/api/v1/channels/orders.x/presence")[1]["sessions"] == 3)
                    p = h.http("GET", "/api/v1/channels/orders.x/presence")[1]
                    self.assertEqual(p["users"], [{"user": "wat", "sessions": 1},
                                                  {"user": "zed", "sessions": 2}])
                on_b.close()
                wait_for(lambda: a.http("GET", "/api/v1/channels/orders.x/presence")[1]["sessions"] == 2)
                # History written on one node is read with the same offsets on the other.
                r = a.publish(channel="orders.x", event="tick", data={"n": 1})
                ev = frames_until(watcher, lambda m: m["type"] in ("event", "leave"))[-1]
                self.assertEqual((ev["type"], ev["id"]), ("event", r["id"]))
                page = b.http("GET", "/api/v1/history/orders.x")[1]
                self.assertEqual(page["events"][-1]["offset"], ev["offset"])
                self.assertEqual(page["epoch"], ev["epoch"])
                on_a.close()
                left = frames_until(watcher, lambda m: m["type"] == "leave")[-1]
                self.assertEqual(left["user"], "zed")
                watcher.close()
            finally:
                a.stop()
                b.stop()


if __name__ == "__main__":
    unittest.main()
