"""docs/protocol.md, docs/http-api.md publish/stats/presence, with python3-websockets
(a client nobody here wrote) as well as our own raw client."""
import asyncio
import json
import unittest

import websockets

from harness import Herald, token, wait_for, ServerTestCase


async def recv_json(ws, timeout=5):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


class DeliveryTest(ServerTestCase):

    def connect(self, user, query=""):
        q = "token=" + token(user, channels=["admin", "candidate"]) + (("&" + query) if query else "")
        return websockets.connect(self.h.ws_url(q))

    def test_ping_pong_and_presence(self):
        async def go():
            self.assertEqual(self.h.presence("pp-user"),
                             {"user": "pp-user", "connected": False, "sessions": 0, "last_seen": None})
            async with self.connect("pp-user") as a, self.connect("pp-user") as b:
                await recv_json(a)
                await recv_json(b)
                await a.send('{"type":"ping"}')
                pong = await recv_json(a)
                self.assertEqual(pong["type"], "pong")
                self.assertRegex(pong["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
                p = self.h.presence("pp-user")
                self.assertTrue(p["connected"])
                self.assertEqual(p["sessions"], 2)
                self.assertRegex(p["last_seen"], r"Z$")
            p = wait_for(lambda: (lambda x: x if not x["connected"] else None)(self.h.presence("pp-user")))
            self.assertEqual(p["sessions"], 0)
            self.assertIsNotNone(p["last_seen"])
        asyncio.run(go())

    def test_user_channel_and_broadcast_delivery_with_exact_counts(self):
        async def go():
            async with self.connect("alice", "view=admin") as a1, self.connect("alice") as a2, \
                    self.connect("bob", "view=candidate") as b:
                for ws in (a1, a2, b):
                    await recv_json(ws)
                r = self.h.publish(user="alice", event="meal_log.completed", data={"meal": 3})
                self.assertEqual(r["delivered"], 2)
                self.assertTrue(r["stored"])  # a user's events go to the inbox
                e1, e2 = await recv_json(a1), await recv_json(a2)
                self.assertEqual(e1["id"], r["id"])
                self.assertEqual(e2["id"], r["id"])
                self.assertEqual(e1["channel"], "user:alice")
                self.assertEqual(e1["event"], "meal_log.completed")
                self.assertEqual(e1["data"], {"meal": 3})
                self.assertEqual(e1["seq"], 1)
                self.assertRegex(e1["ts"], r"Z$")

                r = self.h.publish(channel="admin", event="complaint.assigned", data={})
                self.assertEqual(r["delivered"], 1)
                e = await recv_json(a1)
                self.assertEqual((e["channel"], e["seq"]), ("admin", 2))

                r = self.h.publish(broadcast=True, event="maintenance", data={"in": "5m"})
                self.assertGreaterEqual(r["delivered"], 3)
                for ws, seq in ((a1, 3), (a2, 2), (b, 1)):
                    e = await recv_json(ws)
                    self.assertEqual((e["channel"], e["seq"], e["id"]), ("broadcast", seq, r["id"]))

                self.assertEqual(self.h.publish(user="nobody", event="x")["delivered"], 0)
                st = self.h.stats()
                for key in ("active_connections", "total_connections", "total_messages", "users",
                            "channels", "evicted_stale"):
                    self.assertIsInstance(st[key], int)
                self.assertGreaterEqual(st["active_connections"], 3)
                self.assertGreaterEqual(st["users"], 2)
                self.assertGreaterEqual(st["channels"], 2)
        asyncio.run(go())

    def test_runtime_subscribe_then_channel_publish_in_order(self):
        async def go():
            async with self.connect("carol") as c:
                await recv_json(c)
                await c.send('{"type":"subscribe","channel":"candidate"}')
                self.assertEqual(await recv_json(c), {"type": "subscribed", "channel": "candidate"})
                ids = [self.h.publish(channel="candidate", event=f"n{i}")["id"] for i in range(10)]
                got = [await recv_json(c) for _ in range(10)]
                self.assertEqual([e["id"] for e in got], ids)
                self.assertEqual([e["seq"] for e in got], list(range(1, 11)))
                await c.send('{"type":"unsubscribe","channel":"candidate"}')
                self.assertEqual(await recv_json(c), {"type": "unsubscribed", "channel": "candidate"})
        asyncio.run(go())

    def test_publish_requires_the_api_key(self):
        status, body = self.h.http("POST", "/api/v1/publish", {"broadcast": True, "event": "x"}, key="wrong")
        self.assertEqual(status, 401)
        self.assertIn("error", body)
        status, _ = self.h.http("POST", "/api/v1/publish", {"broadcast": True, "event": "x"}, key=None)
        self.assertEqual(status, 401)
        self.assertEqual(self.h.http("GET", "/api/v1/presence/x", key=None)[0], 401)
        # health and stats stay open
        self.assertEqual(self.h.http("GET", "/api/v1/websocket/stats", key=None)[0], 200)


if __name__ == "__main__":
    unittest.main()
