#!/usr/bin/python3
"""Runs every server in turn under the same load and writes a table of medians.

    python3 bench/run.py                       # all servers, N = 1000 10000 19000, 3 repeats
    python3 bench/run.py --servers herald,bun --clients 1000 --repeats 1

Each server is pinned to core 0 and the load generator to core 1 (taskset).
Results: bench/results/<timestamp>.json (every run) and .md (the table).
Run by hand only; needs the build (./dev build), `npm install` in
bench/peers and Debian's nginx-light + libnginx-mod-nchan.
"""
import argparse
import datetime
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("HERALD_BUILD_DIR", os.path.join(ROOT, "build"))
PEERS = os.path.join(ROOT, "bench", "peers")
SECRET = "bench-secret-0123456789abcdef0123456789"

METRICS = [
    ("connect_per_s", "connects/s", "{:.0f}"),
    ("rss_per_session_kib", "RSS/session KiB", "{:.2f}"),
    ("rss_marginal_second_half_kib", "RSS marginal KiB", "{:.2f}"),
    ("latency_p50_ms", "fan-out p50 ms", "{:.2f}"),
    ("latency_p99_ms", "fan-out p99 ms", "{:.2f}"),
    ("latency_max_ms", "fan-out max ms", "{:.2f}"),
    ("latency_cpu_us_per_frame", "fan-out CPU µs/frame", "{:.2f}"),
    ("burst_deliveries_per_s", "burst frames/s", "{:.0f}"),
    ("server_cpu_us_per_frame", "CPU µs/frame", "{:.2f}"),
    ("ping_p50_ms", "ping p50 ms", "{:.3f}"),
    ("ping_p99_ms", "ping p99 ms", "{:.3f}"),
    ("lost_frames", "lost", "{:.0f}"),
    ("event_frame_bytes", "frame bytes", "{:.0f}"),
]

# Herald's broadcast frame is the contract's envelope (~160 bytes with the
# bench's data); the peers broadcast the body they are given. Unless told
# otherwise, that body is padded so every server delivers frames of the same
# size as Herald's (measured in Herald's runs; this when Herald is not run).
HERALD_FRAME_BYTES = 160


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not open its port")


def herald_token(channels=None):
    import jwt  # python3-jwt
    claims = {"sub": "bench"}
    if channels:
        claims["channels"] = channels
    return jwt.encode(claims, SECRET, algorithm="HS256")


class Server:
    """Starts one kind of server pinned to core 0; knows how the loadgen talks to it."""

    def __init__(self, kind, port):
        self.kind, self.port, self.tmp = kind, port, tempfile.mkdtemp(prefix=f"bench-{kind}-")
        env = dict(os.environ)
        pin = ["taskset", "-c", "0"]
        if kind == "herald":
            env.update(HERALD_AUTH_JWT_SECRET=SECRET, HERALD_SERVER_LISTEN=f"127.0.0.1:{port}",
                       HERALD_LOG_LEVEL="warn",
                       # every load-generator client is the user "bench"
                       HERALD_SESSION_MAX_PER_USER="1000000")
            cmd = pin + [os.path.join(BUILD, "herald"), "--config", os.path.join(ROOT, "config", "herald.toml")]
            self.args = ["--path", "/ws?token=" + herald_token(), "--publish-path", "/api/v1/publish",
                         "--publish-body", "herald"]
        elif kind == "bun":
            env["PORT"] = str(port)
            cmd = pin + [os.path.join(PEERS, "node_modules", ".bin", "bun"), os.path.join(PEERS, "bun-server.js")]
            self.args = ["--path", "/ws", "--publish-path", "/publish", "--publish-body", "raw"]
        elif kind == "node":
            env["PORT"] = str(port)
            cmd = pin + ["node", os.path.join(PEERS, "node-ws-server.js")]
            self.args = ["--path", "/ws", "--publish-path", "/publish", "--publish-body", "raw"]
        elif kind == "nchan":
            conf = open(os.path.join(PEERS, "nchan.conf.in")).read()
            conf = conf.replace("@PREFIX@", self.tmp).replace("@PORT@", str(port))
            os.makedirs(os.path.join(self.tmp, "body"), exist_ok=True)
            path = os.path.join(self.tmp, "nginx.conf")
            open(path, "w").write(conf)
            cmd = pin + ["nginx", "-p", self.tmp, "-c", path]
            self.args = ["--path", "/ws", "--publish-path", "/publish", "--publish-body", "raw",
                         "--no-welcome", "--no-ping"]
        else:
            raise ValueError(kind)
        self.log = open(os.path.join(self.tmp, "server.log"), "w")
        self.proc = subprocess.Popen(cmd, env=env, cwd=PEERS if kind != "herald" else ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(port, self.proc)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def run_once(kind, clients, opts, frame_bytes):
    port = free_port()
    server = Server(kind, port)
    try:
        cmd = ["taskset", "-c", "1", os.path.join(BUILD, "herald-loadgen"), "--port", str(port),
               "--clients", str(clients), "--pid", str(server.proc.pid),
               "--burst", str(opts.burst), "--latency-rate", str(opts.latency_rate),
               "--latency-seconds", str(opts.latency_seconds)] + server.args
        if kind != "herald" and frame_bytes:
            cmd += ["--frame-bytes", str(frame_bytes)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            print(f"  {kind} N={clients}: loadgen failed: {out.stderr.strip()[-300:]}", file=sys.stderr)
            return None
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", default="herald,bun,node,nchan")
    ap.add_argument("--clients", default="1000,10000,19000")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--latency-rate", type=int, default=10)
    ap.add_argument("--latency-seconds", type=float, default=3)
    ap.add_argument("--peer-frames", choices=["match", "raw"], default="match",
                    help="match: peers broadcast frames as large as Herald's; raw: the bare bench body")
    opts = ap.parse_args()

    results = []
    for n in [int(x) for x in opts.clients.split(",")]:
        frame_bytes = HERALD_FRAME_BYTES if opts.peer_frames == "match" else 0
        for kind in opts.servers.split(","):
            for r in range(opts.repeats):
                res = run_once(kind, n, opts, frame_bytes)
                if res and kind == "herald" and opts.peer_frames == "match" and res.get("event_frame_bytes", -1) > 0:
                    frame_bytes = round(res["event_frame_bytes"])
                print(f"{kind:7} N={n:6} run {r + 1}: " + (json.dumps(res) if res else "failed"), flush=True)
                if res:
                    results.append({"server": kind, "clients": n, **res})

    stamp = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    outdir = os.path.join(ROOT, "bench", "results")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, stamp + ".json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = [f"Medians of {opts.repeats} runs; server on core 0, load generator on core 1; "
             f"burst {opts.burst} broadcasts from 4 publishers; latency at {opts.latency_rate}/s; "
             f"peers' frames: {'as large as Herald' if opts.peer_frames == 'match' else 'the bare body'}.", "",
             "| server | N | " + " | ".join(m[1] for m in METRICS) + " |",
             "|---|---|" + "---|" * len(METRICS)]
    for n in sorted({r["clients"] for r in results}):
        for kind in opts.servers.split(","):
            rows = [r for r in results if r["server"] == kind and r["clients"] == n]
            if not rows:
                continue
            cells = []
            for key, _, fmt in METRICS:
                vals = [r[key] for r in rows if key in r and r[key] >= 0]
                cells.append(fmt.format(statistics.median(vals)) if vals else "n/a")
            lines.append(f"| {kind} | {int(n)} | " + " | ".join(cells) + " |")
    table = "\n".join(lines) + "\n"
    with open(os.path.join(outdir, stamp + ".md"), "w") as f:
        f.write(table)
    print(table)


if __name__ == "__main__":
    main()
