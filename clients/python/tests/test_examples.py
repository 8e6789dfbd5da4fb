"""examples/: the FastAPI app (under uvicorn) publishes on a domain event,
and the asyncio worker, listening on "admin", prints it."""
import json
import os
import subprocess
import sys
import unittest
import urllib.request

from support import API_KEY, SECRET, Herald, free_port, wait_for

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples")
SDK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


class Examples(unittest.TestCase):
    def test_an_order_from_the_api_reaches_the_worker(self):
        with Herald() as h:
            env = dict(os.environ, PYTHONPATH=SDK, HERALD_URL=f"http://127.0.0.1:{h.port}",
                       HERALD_WS=f"ws://127.0.0.1:{h.port}/ws", HERALD_API_KEY=API_KEY,
                       HERALD_JWT_SECRET=SECRET)
            worker = subprocess.Popen([sys.executable, "worker.py"], cwd=EXAMPLES, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            port = free_port()
            api = subprocess.Popen([sys.executable, "-m", "uvicorn", "fastapi_app:app", "--port", str(port),
                                    "--log-level", "warning"], cwd=EXAMPLES, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                self.assertIn("connected", worker.stdout.readline())

                def up():
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/docs")
                        return True
                    except OSError:
                        return False
                self.assertTrue(wait_for(up, timeout=20))
                body = json.dumps({"customer": "ann", "item": "tea", "quantity": 2}).encode()
                req = urllib.request.Request(f"http://127.0.0.1:{port}/orders", data=body,
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req) as r:
                    self.assertEqual(r.status, 201)
                    order_id = json.load(r)["order_id"]
                line = worker.stdout.readline().split(" ", 1)
                self.assertEqual(line[0], "order.created")
                self.assertEqual(json.loads(line[1]), {"customer": "ann", "item": "tea",
                                                       "order_id": order_id, "quantity": 2})
                # The customer's copy waits in ann's inbox.
                inbox = h.http("GET", "/api/v1/users/ann/inbox")[1]
                self.assertEqual(inbox["events"][0]["data"]["order_id"], order_id)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/token?user=ann") as r:
                    self.assertEqual(json.load(r)["token"].count("."), 2)
            finally:
                worker.terminate()
                api.terminate()
                self.assertEqual(worker.wait(10), 0)
                api.wait(10)


if __name__ == "__main__":
    unittest.main()
