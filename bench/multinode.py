#!/usr/bin/python3
"""Many nodes: K Herald nodes on one redis-server, N clients on each, one
publisher. Broadcasts published on node 1 reach every session on every node
through Redis pub/sub. Shows what one box holds past its 20,000-files-per-
process cap and what the bus costs.

    /usr/bin/python3 bench/multinode.py [--nodes 4] [--clients 19000] [--burst 100]

Every Herald node runs on core 0 (the server core, as in bench/run.py); the
load generators and redis-server on core 1. Node 1's load generator
publishes (fixed-rate phase, then the burst) and measures its own clients;
the others only listen (--listen-only) and measure theirs.
"""
import argparse
import datetime
import json
import os
import subprocess
import tempfile
import time

from run import BUILD, ROOT, SECRET, free_port, herald_token, wait_port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=4)
    ap.add_argument("--clients", type=int, default=19000)
    ap.add_argument("--burst", type=int, default=100)
    ap.add_argument("--latency-rate", type=int, default=10)
    ap.add_argument("--latency-seconds", type=float, default=3)
    opts = ap.parse_args()
    latency_count = int(opts.latency_rate * opts.latency_seconds)
    procs = []
    tmp = tempfile.mkdtemp(prefix="bench-multinode-")
    try:
        rport = free_port()
        redis = subprocess.Popen(["taskset", "-c", "1", "redis-server", "--port", str(rport), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", tmp],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        procs.append(redis)
        wait_port(rport, redis)
        nodes = []
        for i in range(opts.nodes):
            port = free_port()
            env = dict(os.environ, HERALD_AUTH_JWT_SECRET=SECRET, HERALD_SERVER_LISTEN=f"127.0.0.1:{port}",
                       HERALD_LOG_LEVEL="warn", HERALD_STORAGE_BACKEND="redis",
                       HERALD_REDIS_URL=f"redis://127.0.0.1:{rport}/0", HERALD_REDIS_NODE_ID=f"bench-{i + 1}")
            p = subprocess.Popen(["taskset", "-c", "0", os.path.join(BUILD, "herald"), "--config",
                                  os.path.join(ROOT, "config", "herald.toml")], env=env, cwd=tmp)
            procs.append(p)
            wait_port(port, p)
            nodes.append((port, p))
        time.sleep(1)
        common = ["--clients", str(opts.clients), "--path", "/ws?token=" + herald_token()]
        listeners = []
        for port, p in nodes[1:]:
            lg = subprocess.Popen(["taskset", "-c", "1", os.path.join(BUILD, "herald-loadgen"), "--port", str(port),
                                   "--pid", str(p.pid), "--listen-only", "--expect",
                                   str(latency_count + opts.burst), "--latency-count", str(latency_count),
                                   "--timeout", "300"] + common, stdout=subprocess.PIPE, text=True)
            procs.append(lg)
            if lg.stdout.readline().strip() != "READY":
                raise RuntimeError("a listening load generator did not get ready")
            listeners.append(lg)
        port, p = nodes[0]
        active = subprocess.run(["taskset", "-c", "1", os.path.join(BUILD, "herald-loadgen"), "--port", str(port),
                                 "--pid", str(p.pid), "--publish-path", "/api/v1/publish", "--publish-body", "herald",
                                 "--burst", str(opts.burst), "--latency-rate", str(opts.latency_rate),
                                 "--latency-seconds", str(opts.latency_seconds), "--no-ping"] + common,
                                capture_output=True, text=True, timeout=600)
        if active.returncode != 0:
            raise RuntimeError(active.stderr[-500:])
        results = [json.loads(active.stdout.strip().splitlines()[-1])]
        for lg in listeners:
            out, _ = lg.communicate(timeout=600)
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()

    frames = sum(r["burst_frames"] for r in results)
    seconds = max(r["burst_seconds"] for r in results)
    cpu = sum(r.get("server_cpu_us_per_frame", 0) * r["burst_frames"] for r in results) / max(1, frames)
    lines = [f"{opts.nodes} nodes × {opts.clients} clients on one redis-server; every node on core 0, "
             f"load generators and Redis on core 1; {latency_count} broadcasts at {opts.latency_rate}/s, "
             f"then a burst of {opts.burst}, all published on node 1.", "",
             "| node | connected | RSS/session KiB | fan-out p50 ms | fan-out p99 ms | burst frames/s | CPU µs/frame | lost |",
             "|---|---|---|---|---|---|---|---|"]
    for i, r in enumerate(results):
        lines.append(f"| {i + 1}{' (publisher)' if i == 0 else ''} | {r['connected']:.0f} | "
                     f"{r.get('rss_per_session_kib', -1):.2f} | {r['latency_p50_ms']:.1f} | {r['latency_p99_ms']:.1f} | "
                     f"{r['burst_deliveries_per_s']:.0f} | {r.get('server_cpu_us_per_frame', -1):.2f} | "
                     f"{r['lost_frames']:.0f} |")
    lines.append(f"| all | {sum(r['connected'] for r in results):.0f} | | | | {frames / seconds:.0f} | {cpu:.2f} | "
                 f"{sum(r['lost_frames'] for r in results):.0f} |")
    table = "\n".join(lines) + "\n"
    stamp = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    outdir = os.path.join(ROOT, "bench", "results")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, f"multinode-{stamp}.md"), "w") as f:
        f.write(table)
    with open(os.path.join(outdir, f"multinode-{stamp}.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(table)


if __name__ == "__main__":
    main()
