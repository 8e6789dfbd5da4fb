#!/usr/bin/python3
"""Jobs per second through the durable queue to a no-op webhook sink.

    /usr/bin/python3 bench/queue.py [--jobs 5000] [--publishers 8] [--backend sqlite]

The sink is nginx answering 200 to every POST (its own config, private
prefix, loopback port). Herald runs pinned to core 0 with a sink at
rate_per_sec 100000; publishers (Python threads, keep-alive connections)
and nginx run on core 1. Reports: accepted /notify per second, and jobs per
second from the first /notify to the last job completed.
"""
import argparse
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

from run import BUILD, ROOT, free_port, wait_port

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  server {{
    listen 127.0.0.1:{port};
    location / {{ return 200 '{{"ok":true}}'; }}
  }}
}}
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=5000)
    ap.add_argument("--publishers", type=int, default=8)
    ap.add_argument("--backend", default="sqlite")
    opts = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-queue-")
    procs = []
    try:
        sink_port = free_port()
        os.makedirs(os.path.join(tmp, "body"))
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(prefix=tmp, port=sink_port))
        nginx = subprocess.Popen(["taskset", "-c", "1", "nginx", "-p", tmp, "-c", os.path.join(tmp, "nginx.conf")])
        procs.append(nginx)
        wait_port(sink_port, nginx)
        redis_url = ""
        if opts.backend == "redis":
            rport = free_port()
            redis = subprocess.Popen(["taskset", "-c", "1", "redis-server", "--port", str(rport), "--save", "",
                                      "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
            procs.append(redis)
            wait_port(rport, redis)
            redis_url = f"redis://127.0.0.1:{rport}/0"
        port = free_port()
        cfg = os.path.join(tmp, "herald.toml")
        with open(cfg, "w") as f:
            f.write(f"""[server]\nlisten = "127.0.0.1:{port}"\n[auth]\nrequired = false\n[log]\nlevel = "warn"\n
[storage]\nbackend = "{opts.backend}"\npath = "{tmp}/herald.db"\n[redis]\nurl = "{redis_url or 'redis://127.0.0.1:6379/0'}"\n
[[sinks]]\nname = "noop"\nkind = "webhook"\nurl = "http://127.0.0.1:{sink_port}/hook"\nrate_per_sec = 100000\n""")
        herald = subprocess.Popen(["taskset", "-c", "0", os.path.join(BUILD, "herald"), "--config", cfg], cwd=tmp)
        procs.append(herald)
        wait_port(port, herald)
        time.sleep(0.5)

        per = opts.jobs // opts.publishers
        errors = []

        def publisher():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            body = json.dumps({"sink": "noop", "to": "bench", "text": "hello", "data": {"n": 1}})
            for _ in range(per):
                conn.request("POST", "/api/v1/notify", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status != 202:
                    errors.append(r.status)
            conn.close()

        t0 = time.time()
        threads = [threading.Thread(target=publisher) for _ in range(opts.publishers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        accepted_s = time.time() - t0
        total = per * opts.publishers
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/v1/queue/stats")
            st = json.loads(conn.getresponse().read())
            conn.close()
            if st["completed"] >= total or time.time() - t0 > 300:
                break
            time.sleep(0.05)
        done_s = time.time() - t0
        print(f"backend {opts.backend}: {total} jobs, {len(errors)} refused; /notify accepted "
              f"{total / accepted_s:.0f}/s; delivered {st['completed']} at {st['completed'] / done_s:.0f} jobs/s "
              f"end to end; dead {st['dead']}")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
