"""An asyncio worker that listens to Herald's "admin" channel and acts on
each order as it is created (here: prints it, one line per order).

    HERALD_WS=ws://127.0.0.1:8080/ws HERALD_JWT_SECRET=… python3 worker.py

It reconnects by itself, resumes without a gap, and after a restart of
Herald recovers what it missed from the channel's history when the channel
keeps one ([[channels]] history_size).
"""
import asyncio
import json
import os
import signal

from herald_client import HeraldClient, make_token


def token():
    return make_token(os.environ["HERALD_JWT_SECRET"], "order-worker", channels=["admin"], ttl=3600)


async def main():
    client = HeraldClient(os.environ.get("HERALD_WS", "ws://127.0.0.1:8080/ws"), token,
                          channels=["admin"], auto_ack=True)
    client.on("welcome", lambda w: print("connected", w["session_id"], flush=True))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(client.close()))
    async for event in client.events():
        if event["event"] == "order.created":
            print("order.created", json.dumps(event["data"], sort_keys=True), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
