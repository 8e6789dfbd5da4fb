#!/usr/bin/python3
"""What the console costs the node: Herald's CPU with N idle sessions while
nobody watches (the series alone: a point a second, the queue every fifth),
then while one console watches (a snapshot a second: every session is asked
for its numbers, up to console.scan_sessions, to pick the busiest 20).
Herald pinned to core 0, the load generator (holding the sessions) to core 1.

    /usr/bin/python3 bench/console_feed.py [--clients 10000] [--seconds 20] [--scan 10000]
"""
import argparse
import asyncio
import json
import os
import subprocess
import time
import urllib.request

from run import BUILD, ROOT, SECRET, free_port, herald_token, wait_port

API_KEY = "bench-console-key"


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(pid, seconds):
    before, t0 = cpu_seconds(pid), time.time()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.time() - t0)


async def watch(port, seconds, snapshots):
    import websockets
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/console/token", method="POST",
                                 headers={"Authorization": "Bearer " + API_KEY})
    token = json.load(urllib.request.urlopen(req))["token"]
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws?token={token}&channels=herald.monitor",
                                  max_size=1 << 24) as ws:
        end = time.time() + seconds
        while time.time() < end:
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), end - time.time()))
            except asyncio.TimeoutError:
                break
            if msg.get("event") == "snapshot":
                snapshots.append(len(json.dumps(msg["data"])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--scan", type=int, default=10000)
    a = ap.parse_args()
    port = free_port()
    env = dict(os.environ, HERALD_AUTH_JWT_SECRET=SECRET, HERALD_SERVER_LISTEN=f"127.0.0.1:{port}",
               HERALD_LOG_LEVEL="warn", HERALD_SESSION_MAX_PER_USER="1000000",
               HERALD_AUTH_API_KEYS=API_KEY, HERALD_STORAGE_BACKEND="memory",
               HERALD_CONSOLE_SCAN_SESSIONS=str(a.scan))
    herald = subprocess.Popen(["taskset", "-c", "0", os.path.join(BUILD, "herald"), "--config",
                               os.path.join(ROOT, "config", "herald.toml")], env=env)
    try:
        wait_port(port, herald)
        hold = a.seconds * 2 + 30
        loadgen = subprocess.Popen(["taskset", "-c", "1", os.path.join(BUILD, "herald-loadgen"), "--port", str(port),
                                    "--path", "/ws?token=" + herald_token(), "--clients", str(a.clients),
                                    "--listen-only", "--expect", "1", "--timeout", str(hold), "--no-ping"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            stats = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/websocket/stats"))
            if stats["sessions"] >= a.clients:
                break
            time.sleep(0.5)
        time.sleep(2)
        unwatched = measure(herald.pid, a.seconds)
        snapshots = []
        t0, before = time.time(), cpu_seconds(herald.pid)
        asyncio.run(watch(port, a.seconds, snapshots))
        watched = (cpu_seconds(herald.pid) - before) / (time.time() - t0)
        result = {"clients": a.clients, "scan_sessions": a.scan, "seconds": a.seconds,
                  "cpu_share_unwatched": round(unwatched, 4), "cpu_share_watched": round(watched, 4),
                  "snapshots": len(snapshots),
                  "snapshot_bytes": max(snapshots) if snapshots else None,
                  "rss_mib": round(rss_mib(herald.pid), 1)}
        print(json.dumps(result, indent=2))
        loadgen.terminate()
        loadgen.wait(10)
    finally:
        herald.terminate()
        herald.wait(15)


if __name__ == "__main__":
    main()
