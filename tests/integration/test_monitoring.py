"""docs/http-api.md monitoring routes: /api/v1/actors, /metrics (checked by a
strict Prometheus text-format parser), the console's files and its live feed."""
import json
import re
import unittest

from harness import Herald, ServerTestCase, token, wait_for
from rawws import RawWS, UpgradeRefused

SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?P<labels>[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? (?P<value>-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$')


def parse_prometheus(text):
    """Families {name: {"type", "help", "samples": [(name, labels, value)]}}; raises on anything malformed."""
    families, current = {}, None
    assert text.endswith("\n"), "exposition must end with a newline"
    for line in text.rstrip("\n").split("\n"):
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert name not in families, f"family {name} declared twice"
            assert help_text, f"{name}: empty HELP"
            families[name] = {"help": help_text, "type": None, "samples": []}
            current = name
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert name == current, f"TYPE {name} without its HELP just before"
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), kind
            families[name]["type"] = kind
        elif line.startswith("#") or not line:
            raise AssertionError("stray line: " + repr(line))
        else:
            m = SAMPLE.match(line)
            assert m, "malformed sample: " + repr(line)
            name = m.group("name")
            family = current
            assert family and (name == family or name.startswith(family + "_")), f"{name} outside its family {family}"
            labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group("labels") or ""))
            families[family]["samples"].append((name, labels, float(m.group("value"))))
    for name, f in families.items():
        assert name.startswith("herald_"), name
        assert f["type"], f"{name} has no TYPE"
        if f["type"] == "counter":
            assert name.endswith("_total"), f"counter {name} must end in _total"
    return families


class MonitoringTest(ServerTestCase):
    overrides = {"queue__poll_interval": "50ms"}

    @classmethod
    def setUpClass(cls):
        cls.h = Herald(sinks=[{"name": "ops-webhook", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}],
                       **cls.overrides).start()

    def test_metrics_are_valid_prometheus_text(self):
        h = self.h
        ws = RawWS(h.port, "token=" + token("mia"))
        ws.recv()
        h.publish(user="mia", event="e")
        ws.recv()
        status, body = h.http("GET", "/metrics", key=None)
        self.assertEqual(status, 200)
        fams = parse_prometheus(body.decode() if isinstance(body, bytes) else body)
        for name in ["herald_connections", "herald_messages_out_total", "herald_messages_in_total",
                     "herald_publish_to_write_seconds", "herald_evicted_stale_total",
                     "herald_slow_consumer_closes_total", "herald_actor_mailbox", "herald_queue_jobs",
                     "herald_dlq_jobs", "herald_sink_breaker_state", "herald_redis_up"]:
            self.assertIn(name, fams)
        hist = fams["herald_publish_to_write_seconds"]
        self.assertEqual(hist["type"], "histogram")
        buckets = [(float(l["le"]), v) for n, l, v in hist["samples"] if n.endswith("_bucket")]
        self.assertEqual(buckets[-1][0], float("inf"))
        self.assertEqual([b[0] for b in buckets], sorted(b[0] for b in buckets))
        self.assertEqual([b[1] for b in buckets], sorted(b[1] for b in buckets))  # cumulative
        count = [v for n, _, v in hist["samples"] if n.endswith("_count")][0]
        self.assertGreaterEqual(count, 1)
        self.assertEqual(buckets[-1][1], count)
        breaker = {(l["sink"], l["state"]): v for _, l, v in fams["herald_sink_breaker_state"]["samples"]}
        self.assertEqual(breaker[("ops-webhook", "closed")], 1)
        self.assertGreaterEqual(fams["herald_connections"]["samples"][0][2], 1)
        ws.close()

    def test_actors_lists_the_tree_with_paging_and_a_user_filter(self):
        h = self.h
        clients = [RawWS(h.port, "token=" + token(f"tree-{i % 3}")) for i in range(6)]
        for c in clients:
            c.recv()
        self.assertEqual(h.http("GET", "/api/v1/actors", key=None)[0], 401)
        self.assertEqual(h.http("GET", "/api/v1/actors?limit=0")[0], 400)
        status, all_ = h.http("GET", "/api/v1/actors?limit=1000")
        self.assertEqual(status, 200)
        kinds = {a["kind"] for a in all_["actors"]}
        self.assertTrue({"registry", "inbox", "session", "queue", "notifier", "dlq"} <= kinds)
        for a in all_["actors"]:
            for key in ["name", "kind", "parent", "mailbox", "processed", "failures", "restarts", "state"]:
                self.assertIn(key, a)
        notifier = [a for a in all_["actors"] if a["kind"] == "notifier"][0]
        self.assertEqual((notifier["name"], notifier["parent"]), ("notifier ops-webhook", "queue"))
        sessions = [a for a in all_["actors"] if a["kind"] == "session"]
        self.assertTrue(all(s["parent"] == "registry" for s in sessions))
        _, mine = h.http("GET", "/api/v1/actors?user=tree-1")
        found = [a for a in mine["actors"] if a["kind"] == "session"]
        self.assertEqual((mine["total_sessions"], len(found)), (2, 2))
        self.assertEqual(found[0]["user"], "tree-1")
        self.assertEqual(found[0]["channels"], ["user:tree-1"])
        self.assertTrue(found[0]["last_seen"].endswith("Z"))
        self.assertEqual(found[0]["state"], "attached")
        _, page = h.http("GET", "/api/v1/actors?limit=2&offset=1")
        self.assertEqual(len([a for a in page["actors"] if a["kind"] == "session"]), 2)
        self.assertEqual(page["total_sessions"], all_["total_sessions"])
        for c in clients:
            c.close()

    def test_the_console_series_keeps_a_point_a_second_without_a_watcher(self):
        status, _ = self.h.http("GET", "/api/v1/console/series", key=None)
        self.assertEqual(status, 401)
        self.assertTrue(wait_for(lambda: len(self.h.http("GET", "/api/v1/console/series")[1]["points"]) >= 6,
                                 timeout=15))
        series = self.h.http("GET", "/api/v1/console/series")[1]
        self.assertEqual(series["window_s"], 300)
        points = series["points"]
        self.assertEqual([p["t"] for p in points], sorted(p["t"] for p in points))
        for p in points:
            for key in ("connections", "sessions", "deliveries", "p50_ms", "p99_ms", "healthy", "redis_ms"):
                self.assertIn(key, p)
            self.assertTrue(p["healthy"])
            self.assertIsNone(p["redis_ms"])  # no Redis here
        # Nobody watches: the queue's counts (a store query) come every fifth second.
        with_queue = [i for i, p in enumerate(points) if "waiting" in p]
        self.assertTrue(with_queue)
        self.assertLess(len(with_queue), len(points))
        for p in (points[i] for i in with_queue):
            self.assertEqual({k: p[k] for k in ("waiting", "active", "delayed", "dead")},
                             {"waiting": 0, "active": 0, "delayed": 0, "dead": 0})

    def test_console_files_are_served_from_the_binary(self):
        h = self.h
        for path, kind in [("/console", "text/html"), ("/console/app.js", "text/javascript"),
                           ("/console/herald-client.js", "text/javascript"),
                           ("/console/uPlot.iife.min.js", "text/javascript"), ("/console/style.css", "text/css")]:
            import http.client
            conn = http.client.HTTPConnection("127.0.0.1", h.port, timeout=5)
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 200, path)
            self.assertTrue(r.getheader("Content-Type").startswith(kind), path)
            conn.close()
        self.assertEqual(h.http("GET", "/console/nope.js", key=None)[0], 404)

    def test_the_console_feed_needs_a_key_and_sends_snapshots(self):
        h = self.h
        self.assertEqual(h.http("POST", "/api/v1/console/token", key=None)[0], 401)
        status, t = h.http("POST", "/api/v1/console/token")
        self.assertEqual((status, t["channel"]), (200, "herald.monitor"))
        ws = RawWS(h.port, f"token={t['token']}&channels=herald.monitor")
        self.assertEqual(ws.recv()["type"], "welcome")
        snap = ws.recv(timeout=5)
        self.assertEqual((snap["type"], snap["event"], snap["channel"]), ("event", "snapshot", "herald.monitor"))
        data = snap["data"]
        self.assertEqual(data["health"]["status"], "ok")
        self.assertIn("registry", {a["kind"] for a in data["actors"]})
        self.assertGreaterEqual(data["connections"], 1)
        self.assertEqual(ws.recv(timeout=5)["event"], "snapshot")  # again a second later
        ws.close()
        with self.assertRaises(UpgradeRefused) as c:
            RawWS(h.port, f"token={t['token']}&view=admin")
        self.assertEqual(c.exception.status, 403)


if __name__ == "__main__":
    unittest.main()
