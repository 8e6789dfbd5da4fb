"""The asyncio WebSocket client against a real Herald: events and acks,
resume after a dropped socket, recovery of history and inbox after a
restart, token refresh, pings, and the codes it does not come back from."""
import asyncio
import json
import time
import unittest

from support import API_KEY, SECRET, Herald, base_url, eventually, free_port, ws_url

from herald_client import Backoff, HeraldClient, Publisher, make_token

FAST = Backoff(initial=0.05, max=0.3, jitter=0.2)


def in_thread(fn, *args, **kwargs):
    return asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


class Client(unittest.TestCase):
    def test_events_in_order_with_acks(self):
        with Herald(delivery__ack_required=True) as h, Publisher(base_url(h), API_KEY) as pub:
            async def scenario():
                client = HeraldClient(ws_url(h), lambda: make_token(SECRET, "ann"), backoff=FAST)
                await client.wait_open(10)
                sent = [await in_thread(pub.publish, "n", {"i": i}, user="ann") for i in range(5)]
                got = []
                async for event in client.events():
                    got.append(event)
                    await client.ack(event["id"])
                    if len(got) == 5:
                        break
                self.assertEqual([e["data"]["i"] for e in got], list(range(5)))
                self.assertEqual([e["seq"] for e in got], [got[0]["seq"] + i for i in range(5)])
                last = sent[-1]["id"]
                await eventually(lambda: pub.receipt(last)["acked_at"] is not None)
                await client.close()
                self.assertEqual(client.state, "closed")
            asyncio.run(scenario())

    def test_a_dropped_socket_resumes_without_a_gap(self):
        with Herald() as h, Publisher(base_url(h), API_KEY) as pub:
            async def scenario():
                client = HeraldClient(ws_url(h), make_token(SECRET, "bob"), backoff=FAST, auto_ack=True)
                welcomes = []
                client.on("welcome", welcomes.append)
                got = []
                client.on("event", lambda e: got.append(e["data"]["i"]))
                await client.wait_open(10)
                await in_thread(pub.publish, "n", {"i": 0}, user="bob")
                await eventually(lambda: got == [0])
                # The socket dies under the client (no close frame); events go on.
                client._ws.transport.abort()
                for i in range(1, 4):
                    await in_thread(pub.publish, "n", {"i": i}, user="bob")
                await eventually(lambda: got == [0, 1, 2, 3])
                self.assertEqual(len(welcomes), 2)
                self.assertTrue(welcomes[1]["resumed"])
                await client.close()
            asyncio.run(scenario())

    def test_after_a_restart_a_fresh_session_recovers_history_and_inbox(self):
        port = free_port()
        h = Herald(channels=[{"match": "orders.*", "history_size": 100}],
                   server__listen=f"127.0.0.1:{port}", server__reconnect_spread="100ms")
        h.start()
        pub = Publisher(f"http://127.0.0.1:{port}", API_KEY, retries=0)
        gate = asyncio.Event()
        opened = []
        try:
            async def token():
                await gate.wait()  # the test decides when it may come back
                return make_token(SECRET, "cat", channels=["orders.*"])

            async def scenario():
                gate.set()
                client = HeraldClient(f"ws://127.0.0.1:{port}/ws", token, channels=["orders.1"],
                                      backoff=FAST)
                got, subscribed = [], []
                client.on("event", lambda e: got.append((e["channel"], e["data"]["n"])))
                client.on("subscribed", subscribed.append)
                client.on("welcome", opened.append)
                await client.wait_open(10)
                for n in (1, 2):
                    await in_thread(pub.publish, "o", {"n": n}, channel="orders.1")
                await in_thread(pub.publish, "u", {"n": 100}, user="cat")
                await eventually(lambda: len(got) == 3)
                gate.clear()
                await in_thread(h.stop)  # 1001 with a delay hint; the client waits at the gate
                await in_thread(h.start)
                for n in (3, 4, 5):
                    await in_thread(pub.publish, "o", {"n": n}, channel="orders.1")
                await in_thread(pub.publish, "u", {"n": 101}, user="cat")
                gate.set()
                await eventually(lambda: len(got) == 7, timeout=15)
                self.assertEqual([n for c, n in got if c == "orders.1"], [1, 2, 3, 4, 5])
                self.assertEqual([n for c, n in got if c == "user:cat"], [100, 101])
                self.assertFalse(opened[-1]["resumed"])  # a new node process: a fresh session
                self.assertTrue(subscribed[-1]["recovered"])
                self.assertEqual(client.position("orders.1")["offset"], 5)
                await client.close()
            asyncio.run(scenario())
        finally:
            pub.close()
            h.stop()

    def test_token_refresh_keeps_the_session_past_exp_and_pings_flow(self):
        with Herald(auth__refresh_ahead="3s", auth__leeway="0s", heartbeat__interval="1s") as h, \
                Publisher(base_url(h), API_KEY) as pub:
            async def scenario():
                asked = []

                def token():
                    asked.append(time.time())
                    return make_token(SECRET, "dan", ttl=4)
                client = HeraldClient(ws_url(h), token, backoff=FAST)
                refreshed = []
                client.on("refreshed", refreshed.append)
                closes = []
                client.on("close", closes.append)
                await client.wait_open(10)
                messages_in = (await in_thread(pub.stats))["messages_in"]
                await eventually(lambda: refreshed, timeout=10)
                started = asked[0]
                await asyncio.sleep(max(0.0, started + 5.5 - time.time()))  # past the first token's exp
                self.assertEqual(closes, [])
                got = []
                client.on("event", lambda e: got.append(e))
                await in_thread(pub.publish, "late", {}, user="dan")
                await eventually(lambda: got)
                self.assertGreaterEqual(len(asked), 2)
                # Pings every 0.8 × heartbeat: the server counted frames from this client.
                self.assertGreater((await in_thread(pub.stats))["messages_in"], messages_in)
                await client.close()
            asyncio.run(scenario())

    def test_it_stops_on_a_disconnect_and_backs_off_while_the_server_is_away(self):
        port = free_port()
        reconnecting = []

        async def scenario():
            client = HeraldClient(f"ws://127.0.0.1:{port}/ws", make_token(SECRET, "eve"), backoff=FAST)
            client.on("reconnecting", reconnecting.append)
            errors = []
            client.on("error", errors.append)
            client.start()
            await eventually(lambda: len(reconnecting) >= 3)  # nobody listens yet
            self.assertTrue(all(e["code"] == "connect_failed" for e in errors))
            self.assertEqual([r["attempt"] for r in reconnecting[:3]], [1, 2, 3])
            # close() while it waits to reconnect ends it at once, however long the wait.
            waiting = HeraldClient(f"ws://127.0.0.1:{port}/ws", "t", backoff=Backoff(initial=3600, max=3600))
            waiting.on("reconnecting", reconnecting.append)
            waiting.start()
            await eventually(lambda: reconnecting[-1]["delay"] > 1000)
            await waiting.close()
            self.assertFalse(waiting._runner.cancelled())  # it ended by itself, not by close()'s fallback
            self.assertEqual(waiting.state, "closed")
            h = Herald(server__listen=f"127.0.0.1:{port}")
            await in_thread(h.start)
            try:
                await client.wait_open(10)
                pub = Publisher(base_url(h), API_KEY)
                await in_thread(pub.disconnect, "eve", 4003, "go away")
                events = [e async for e in client.events()]  # ends: 4003 is final
                self.assertEqual(events, [])
                self.assertEqual((client.close_code, client.close_reason), (4003, "go away"))
                pub.close()
            finally:
                await in_thread(h.stop)
        asyncio.run(scenario())


class HostileServer(unittest.TestCase):
    """Every byte from the server is hostile too: frames that are not JSON,
    not objects, with a seq that is not a number, or too large, are reported
    as errors and the client goes on; a failing handler is logged."""

    def test_bad_frames_are_reported_and_the_client_goes_on(self):
        import websockets

        async def scenario():
            connections = []

            async def serve(ws, path=None):
                connections.append(ws)
                await ws.send(json.dumps({"type": "welcome", "session_id": "s-1", "resumed": False,
                                          "heartbeat_ms": 30000}))
                if len(connections) == 1:
                    for frame in ("not json", "[1,2]", '{"type":7}', '{"type":"event","seq":"1"}',
                                  '{"type":"event","seq":1,"offset":"x","channel":"c"}',
                                  json.dumps({"type": "event", "seq": 1, "id": "e-1", "data": 1})):
                        await ws.send(frame)
                    await ws.send("x" * 5000)  # over max_frame_bytes: the client closes 1009
                else:
                    await ws.send(json.dumps({"type": "event", "seq": 1, "id": "e-2", "data": 2}))
                await ws.wait_closed()

            server = await websockets.serve(serve, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            client = HeraldClient(f"ws://127.0.0.1:{port}/ws", "t", backoff=FAST, max_frame_bytes=4096)
            errors, got = [], []
            client.on("error", errors.append)

            def broken(event):
                raise RuntimeError("the app's bug")
            client.on("event", broken)
            client.on("event", lambda e: got.append(e["data"]))
            with self.assertLogs("herald_client", level="ERROR"):
                client.start()
                await eventually(lambda: got == [1, 2])
            self.assertEqual([e["code"] for e in errors], ["bad_frame"] * 5)
            self.assertEqual(len(connections), 2)  # the oversized frame ended the first
            await client.close()
            server.close()
            await server.wait_closed()
        asyncio.run(scenario())


if __name__ == "__main__":
    unittest.main()
