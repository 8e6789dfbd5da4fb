#!/usr/bin/python3
"""Outbound jobs: Herald (SQLite, Redis) against BullMQ, to the same no-op sink.

    /usr/bin/python3 bench/queue.py [--jobs 20000] [--in-flight 32] [--systems herald-sqlite,herald-redis,bullmq]

One API call per job. The sink is nginx answering 200 to every POST. The
server side runs on core 0: Herald (and its Redis), or BullMQ's Redis and
its Node worker (concurrency = in flight, keep-alive to the sink). The
producer, one Node process with that many calls outstanding (POST /notify
on keep-alive connections for Herald, Queue.add for BullMQ:
peers/queue-bench.js), and nginx run on core 1. Reports per system: jobs accepted per second, jobs per
second end to end (first call to last job delivered), and the server side's
CPU time per job (utime + stime of its processes, /proc).
BullMQ needs `(cd bench/peers && npm install)`.
"""
import argparse
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time

from run import BUILD, PEERS, free_port, wait_port

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location / {{ return 200 '{{"ok":true}}'; }}
  }}
}}
"""

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def start(procs, args, port=None, **kw):
    p = subprocess.Popen(args, **kw)
    procs.append(p)
    if port:
        wait_port(port, p)
    return p


def start_redis(procs, tmp):
    port = free_port()
    redis = start(procs, ["taskset", "-c", "0", "redis-server", "--port", str(port), "--save", "",
                          "--appendonly", "no", "--dir", tmp], port, stdout=subprocess.DEVNULL)
    return redis, port


def run_herald(backend, opts, tmp, sink_port, procs):
    server_pids = []
    redis_url = "redis://127.0.0.1:6379/0"
    if backend == "redis":
        redis, rport = start_redis(procs, tmp)
        server_pids.append(redis.pid)
        redis_url = f"redis://127.0.0.1:{rport}/0"
    port = free_port()
    cfg = os.path.join(tmp, "herald.toml")
    with open(cfg, "w") as f:
        f.write(f"""[server]\nlisten = "127.0.0.1:{port}"\nthreads = 1\n[auth]\nrequired = false\n[log]\nlevel = "warn"\n
[storage]\nbackend = "{backend}"\npath = "{tmp}/herald.db"\n[redis]\nurl = "{redis_url}"\n
[[sinks]]\nname = "noop"\nkind = "webhook"\nurl = "http://127.0.0.1:{sink_port}/hook"\nrate_per_sec = 1000000\n""")
    herald = start(procs, ["taskset", "-c", "0", os.path.join(BUILD, "herald"), "--config", cfg], port, cwd=tmp)
    server_pids.append(herald.pid)
    time.sleep(1.5)  # connected to Redis; the sink's rate window has opened

    def stats():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/v1/queue/stats")
        st = json.loads(conn.getresponse().read())
        conn.close()
        return st

    script = os.path.join(PEERS, "queue-bench.js")
    cpu0 = cpu_seconds(server_pids)
    t0 = time.time()
    produced = subprocess.run(["taskset", "-c", "1", "node", script, "notify", str(port), str(opts.jobs),
                               str(opts.in_flight)], capture_output=True, text=True, check=True)
    accepted = json.loads(produced.stdout.strip().splitlines()[-1])
    while True:
        st = stats()
        if st["completed"] >= accepted["accepted"] or time.time() - t0 > 600:
            break
        time.sleep(0.02)
    done_s = time.time() - t0
    cpu = cpu_seconds(server_pids) - cpu0
    return {"system": f"herald-{backend}", "jobs": opts.jobs, "refused": accepted["refused"],
            "accepted_per_s": accepted["accepted"] / accepted["seconds"], "end_to_end_per_s": st["completed"] / done_s,
            "cpu_us_per_job": cpu / opts.jobs * 1e6, "completed": st["completed"], "dead": st["dead"]}


def run_bullmq(opts, tmp, sink_port, procs):
    script = os.path.join(PEERS, "queue-bench.js")
    redis, rport = start_redis(procs, tmp)
    worker = start(procs, ["taskset", "-c", "0", "node", script, "work", str(rport),
                           f"http://127.0.0.1:{sink_port}/hook", str(opts.jobs), str(opts.in_flight)],
                   stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)
    redis_cpu0 = cpu_seconds([redis.pid])
    t0 = time.time()
    produced = subprocess.run(["taskset", "-c", "1", "node", script, "produce", str(rport), str(opts.jobs),
                               str(opts.in_flight)], capture_output=True, text=True, check=True)
    accepted = json.loads(produced.stdout.strip().splitlines()[-1])
    worker.wait(600)
    done_s = time.time() - t0
    out = json.loads(worker.stdout.read().strip().splitlines()[-1])
    # Redis from the first add to the last job; the worker from its first job to its last.
    cpu = cpu_seconds([redis.pid]) - redis_cpu0 + out["cpu_s"]
    return {"system": "bullmq", "jobs": opts.jobs, "refused": 0,
            "accepted_per_s": accepted["accepted"] / accepted["seconds"],
            "end_to_end_per_s": out["completed"] / done_s, "cpu_us_per_job": cpu / opts.jobs * 1e6,
            "completed": out["completed"], "dead": 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=20000)
    ap.add_argument("--in-flight", type=int, default=32)
    ap.add_argument("--systems", default="herald-sqlite,herald-redis,bullmq")
    opts = ap.parse_args()
    rows = []
    for system in opts.systems.split(","):
        tmp = tempfile.mkdtemp(prefix="bench-queue-")
        procs = []
        try:
            sink_port = free_port()
            os.makedirs(os.path.join(tmp, "body"))
            with open(os.path.join(tmp, "nginx.conf"), "w") as f:
                f.write(NGINX_CONF.format(prefix=tmp, port=sink_port))
            start(procs, ["taskset", "-c", "1", "nginx", "-p", tmp, "-c", os.path.join(tmp, "nginx.conf")], sink_port)
            if system == "bullmq":
                rows.append(run_bullmq(opts, tmp, sink_port, procs))
            else:
                rows.append(run_herald(system.split("-", 1)[1], opts, tmp, sink_port, procs))
            print(json.dumps(rows[-1]), flush=True)
        finally:
            for p in reversed(procs):
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(10)
                    except subprocess.TimeoutExpired:
                        p.kill()
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{opts.jobs} jobs, {opts.in_flight} in flight, server side on one core\n")
    print("| system | accepted jobs/s | end-to-end jobs/s | server CPU per job |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['system']} | {r['accepted_per_s']:.0f} | {r['end_to_end_per_s']:.0f} | "
              f"{r['cpu_us_per_job']:.0f} µs |")


if __name__ == "__main__":
    main()
