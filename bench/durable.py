#!/usr/bin/python3
"""Durable publish throughput: publishes to one user, each stored in the
user's inbox before it is answered, and delivered live to that user's
sessions. Runs Herald with storage.backend = sqlite, then redis (a
redis-server started here on a free port), pinned like bench/run.py.

    /usr/bin/python3 bench/durable.py [--publishes 20000] [--parallel 16] [--clients 100]
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time

from run import BUILD, ROOT, SECRET, free_port, herald_token, wait_port


def start_redis():
    port = free_port()
    d = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen(["taskset", "-c", "1", "redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", d],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    wait_port(port, proc)
    return proc, port


def run(backend, opts):
    port = free_port()
    tmp = tempfile.mkdtemp(prefix=f"bench-durable-{backend}-")
    env = dict(os.environ, HERALD_AUTH_JWT_SECRET=SECRET, HERALD_SERVER_LISTEN=f"127.0.0.1:{port}",
               HERALD_LOG_LEVEL="warn", HERALD_STORAGE_BACKEND=backend,
               HERALD_STORAGE_PATH=os.path.join(tmp, "herald.db"))
    redis = None
    if backend == "redis":
        redis, rport = start_redis()
        env["HERALD_REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
    server = subprocess.Popen(["taskset", "-c", "0", os.path.join(BUILD, "herald"), "--config",
                               os.path.join(ROOT, "config", "herald.toml")], env=env, cwd=tmp)
    try:
        wait_port(port, server)
        time.sleep(0.5)  # Redis connects in the background
        cmd = ["taskset", "-c", "1", os.path.join(BUILD, "herald-loadgen"), "--port", str(port),
               "--clients", str(opts.clients), "--pid", str(server.pid), "--path",
               "/ws?token=" + herald_token(), "--publish-body", "herald-user", "--burst", str(opts.publishes),
               "--burst-parallel", str(opts.parallel), "--latency-rate", "10", "--latency-seconds", "1",
               "--no-ping"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-500:])
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(15)
        if redis:
            redis.kill()
            redis.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--publishes", type=int, default=20000)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--backends", default="sqlite,redis")
    opts = ap.parse_args()
    print(f"{opts.publishes} publishes to one user from {opts.parallel} publishers; "
          f"the user has {opts.clients} live sessions\n")
    print("| backend | stored publishes/s | stored | deliveries/s | CPU µs/delivery | lost |")
    print("|---|---|---|---|---|---|")
    for backend in opts.backends.split(","):
        r = run(backend, opts)
        print(f"| {backend} | {r['burst_publishes_per_s']:.0f} | {r['publishes_stored']:.0f} | "
              f"{r['burst_deliveries_per_s']:.0f} | {r['server_cpu_us_per_frame']:.2f} | {r['lost_frames']:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
