#!/usr/bin/python3
"""Single against batch publishes of user events (each kept in the user's
inbox before it is answered), on SQLite and on Redis. Herald is pinned to
core 0, this client to core 1 (with its threads); no WebSocket clients, so
what is measured is the publish and store path.

- single: POST /api/v1/publish, one event per request, `--parallel` keep-alive connections;
- batch:  POST /api/v1/publish/batch, `--batch` events per request (one store transaction).

Reports events/s answered stored:true and Herald's CPU µs per event (from
/proc, independent of how fast this client is).

    /usr/bin/python3 bench/batch.py [--events 20000] [--parallel 16] [--batch 100]
"""
import argparse
import http.client
import json
import os
import threading
import time

from durable import herald_on

API_KEY = "bench-key"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post_all(port, path, bodies, parallel):
    """Sends every body over `parallel` keep-alive connections; returns how many events were stored."""
    stored = [0] * parallel

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for body in bodies[k::parallel]:
            conn.request("POST", path, body=body, headers={"Authorization": "Bearer " + API_KEY,
                                                           "Content-Type": "application/json"})
            answer = json.loads(conn.getresponse().read())
            results = answer.get("results", [answer])
            stored[k] += sum(1 for r in results if r.get("stored"))
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(stored)


def event(i):
    return {"user": f"u{i % 100}", "event": "bench", "data": {"n": i}}


def run(backend, mode, opts):
    with herald_on(backend, HERALD_AUTH_API_KEYS=API_KEY) as (port, server):
        os.sched_setaffinity(0, {1})
        if mode == "single":
            bodies = [json.dumps(event(i)) for i in range(opts.events)]
            path, parallel = "/api/v1/publish", opts.parallel
        else:
            bodies = [json.dumps({"items": [event(i) for i in range(s, min(s + opts.batch, opts.events))]})
                      for s in range(0, opts.events, opts.batch)]
            path, parallel = "/api/v1/publish/batch", min(4, len(bodies))
        cpu0, t0 = cpu_seconds(server.pid), time.time()
        stored = post_all(port, path, bodies, parallel)
        seconds, cpu = time.time() - t0, cpu_seconds(server.pid) - cpu0
    return {"events_per_s": opts.events / seconds, "stored": stored,
            "cpu_us_per_event": cpu * 1e6 / opts.events}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--backends", default="sqlite,redis")
    opts = ap.parse_args()
    print(f"{opts.events} user events to 100 users; single: {opts.parallel} connections; "
          f"batch: {opts.batch} events per request, 4 connections\n")
    print("| backend | mode | events/s | stored | Herald CPU µs/event |")
    print("|---|---|---|---|---|")
    for backend in opts.backends.split(","):
        for mode in ("single", "batch"):
            r = run(backend, mode, opts)
            print(f"| {backend} | {mode} | {r['events_per_s']:.0f} | {r['stored']} | "
                  f"{r['cpu_us_per_event']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
