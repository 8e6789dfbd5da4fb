#!/usr/bin/python3
"""Durable publish throughput: publishes each kept before it is answered
and delivered live to the sessions that want it. Runs Herald with
storage.backend = sqlite, then redis (a redis-server started here on a free
port), pinned like bench/run.py. Targets:

- user: to one user, kept in the user's inbox;
- channel: to channel "bench.c", no history (live only: the baseline);
- history: to channel "bench.c" with [[channels]] history_size = 1000.

    /usr/bin/python3 bench/durable.py [--publishes 20000] [--parallel 16] [--clients 100]
                                      [--targets user,channel,history]
"""
import argparse
import contextlib
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


BODIES = {"user": "herald-user", "channel": "herald-channel", "history": "herald-channel"}


def config_with_history(tmp):
    """The shipped config plus a [[channels]] entry that keeps bench.c's history."""
    path = os.path.join(tmp, "herald.toml")
    with open(os.path.join(ROOT, "config", "herald.toml")) as f, open(path, "w") as out:
        out.write(f.read() + '\n[[channels]]\nmatch = "bench.c"\nhistory_size = 1000\nhistory_ttl = "10m"\n')
    return path


@contextlib.contextmanager
def herald_on(backend, config=None, **env_more):
    """Herald on core 0 with `backend` (a redis-server on core 1 for "redis"); yields (port, process)."""
    port = free_port()
    tmp = tempfile.mkdtemp(prefix=f"bench-{backend}-")
    env = dict(os.environ, HERALD_AUTH_JWT_SECRET=SECRET, HERALD_SERVER_LISTEN=f"127.0.0.1:{port}",
               HERALD_LOG_LEVEL="warn", HERALD_STORAGE_BACKEND=backend,
               HERALD_STORAGE_PATH=os.path.join(tmp, "herald.db"), **env_more)
    redis = None
    if backend == "redis":
        redis, rport = start_redis()
        env["HERALD_REDIS_URL"] = f"redis://127.0.0.1:{rport}/0"
    server = subprocess.Popen(["taskset", "-c", "0", os.path.join(BUILD, "herald"), "--config",
                               config or os.path.join(ROOT, "config", "herald.toml")], env=env, cwd=tmp)
    try:
        wait_port(port, server)
        time.sleep(0.5)  # Redis connects in the background
        yield port, server
    finally:
        server.terminate()
        server.wait(15)
        if redis:
            redis.kill()
            redis.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def run(backend, target, opts):
    tmp = tempfile.mkdtemp(prefix="bench-config-")
    config = config_with_history(tmp) if target == "history" else None
    # Every client is user "bench".
    with herald_on(backend, config, HERALD_SESSION_MAX_PER_USER=str(max(16, opts.clients))) as (port, server):
        cmd = ["taskset", "-c", "1", os.path.join(BUILD, "herald-loadgen"), "--port", str(port),
               "--clients", str(opts.clients), "--pid", str(server.pid), "--path",
               "/ws?channels=bench.c&token=" + herald_token(channels=["bench.c"]),
               "--publish-body", BODIES[target], "--burst", str(opts.publishes),
               "--burst-parallel", str(opts.parallel), "--latency-rate", "10", "--latency-seconds", "1",
               "--no-ping"]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    shutil.rmtree(tmp, ignore_errors=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-500:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--publishes", type=int, default=20000)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--backends", default="sqlite,redis")
    ap.add_argument("--targets", default="user,channel,history")
    opts = ap.parse_args()
    print(f"{opts.publishes} publishes from {opts.parallel} publishers; "
          f"{opts.clients} live sessions (user bench, in channel bench.c)\n")
    print("| backend | target | publishes/s | stored | deliveries/s | CPU µs/delivery | lost |")
    print("|---|---|---|---|---|---|---|")
    for backend in opts.backends.split(","):
        for target in opts.targets.split(","):
            r = run(backend, target, opts)
            print(f"| {backend} | {target} | {r['burst_publishes_per_s']:.0f} | {r['publishes_stored']:.0f} | "
                  f"{r['burst_deliveries_per_s']:.0f} | {r['server_cpu_us_per_frame']:.2f} | "
                  f"{r['lost_frames']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
