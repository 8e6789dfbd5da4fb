"""1,000 concurrent clients (python3-websockets) receive 20 broadcasts each,
all of them, in order, with gapless seqs and exact delivered counts."""
import asyncio
import json
import unittest

import websockets

from harness import Herald, token

CLIENTS = 1000
BROADCASTS = 20


class ScaleTest(unittest.TestCase):
    def test_thousand_clients_twenty_broadcasts_in_order(self):
        with Herald() as h:
            async def client(i, ready, results):
                async with websockets.connect(h.ws_url("token=" + token(f"user{i}")),
                                              open_timeout=30, ping_interval=None) as ws:
                    json.loads(await ws.recv())
                    ready.append(i)
                    got = []
                    while len(got) < BROADCASTS:
                        m = json.loads(await asyncio.wait_for(ws.recv(), 60))
                        if m["type"] == "event":
                            got.append(m)
                    results[i] = got

            async def go():
                ready, results = [], {}
                tasks = []
                for i in range(CLIENTS):
                    tasks.append(asyncio.ensure_future(client(i, ready, results)))
                    if i % 100 == 99:
                        await asyncio.sleep(0.05)
                while len(ready) < CLIENTS:
                    await asyncio.sleep(0.05)
                    for t in tasks:
                        if t.done() and t.exception():
                            raise t.exception()
                loop = asyncio.get_running_loop()
                answers = []
                for n in range(BROADCASTS):
                    answers.append(await loop.run_in_executor(
                        None, lambda n=n: h.publish(broadcast=True, event=f"b{n}", data={"n": n})))
                await asyncio.wait_for(asyncio.gather(*tasks), 120)
                return answers, results

            answers, results = asyncio.run(go())
            self.assertEqual([a["delivered"] for a in answers], [CLIENTS] * BROADCASTS)
            ids = [a["id"] for a in answers]
            self.assertEqual(len(results), CLIENTS)
            for i, got in results.items():
                self.assertEqual([e["id"] for e in got], ids, f"client {i}")
                self.assertEqual([e["seq"] for e in got], list(range(1, BROADCASTS + 1)))
            st = h.stats()
            self.assertGreaterEqual(st["total_messages"], CLIENTS * (BROADCASTS + 1))


if __name__ == "__main__":
    unittest.main()
